"""R5, R6, R8, R9: what a purchase earns, for whom, exactly once."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from referral.domain.ledger import EntryKind
from referral.domain.notifications import NotificationKind
from referral.domain.orders import Attribution
from referral.errors import Conflict, Forbidden, NotFound
from referral.services import Services

from tests.support.builders import chain, join, posting
from tests.support.clock import FakeClock


def ledger_points(services: Services, participant_id: str, kind: EntryKind) -> list[tuple[int | None, int]]:
    return sorted(
        (entry.level, entry.delta.total_change)
        for entry in services.ledger.entries_of(participant_id)
        if entry.kind == kind
    )


def test_r5_each_level_earns_its_rate_per_1000_rub_and_the_rate_is_stored(
    services: Services, clock: FakeClock
) -> None:
    services.settings.update("owner", {"level_rates": ["10", "3", "1"], "own_rate": "2"})
    top, second, first, buyer = chain(services, "1", "2", "3", "4")
    clock.advance(hours=1)

    result = services.purchases.record_purchase(
        posting(clock.now, "2590.50"), buyer.id, Attribution.CUSTOMER_ID
    )

    assert sorted((a.beneficiary_id, a.level, a.points) for a in result.accruals) == [
        ("1", 3, 2),  # floor(2590.50 * 1 / 1000)
        ("2", 2, 7),  # floor(2590.50 * 3 / 1000)
        ("3", 1, 25),  # floor(2590.50 * 10 / 1000)
        ("4", 0, 5),  # own purchase at rate 2
    ]
    entry = services.ledger.entries_of(first.id)[0]
    assert (entry.kind, entry.level, entry.rate, entry.amount) == (
        EntryKind.ACCRUAL,
        1,
        Decimal("10"),
        Decimal("2590.50"),
    )
    assert services.participants.get(first.id).balances.frozen == 25
    assert services.participants.get(top.id).accrued_total == 2
    assert services.participants.network(second.id)[2].earned == 7
    assert services.participants.network(buyer.id)[0].earned == 5


def test_r5_own_purchases_earn_nothing_by_default_and_levels_beyond_the_setting_earn_nothing(
    services: Services, clock: FakeClock
) -> None:
    members = chain(services, "1", "2", "3", "4", "5")
    clock.advance(hours=1)

    result = services.purchases.record_purchase(
        posting(clock.now, "1000"), members[-1].id, Attribution.CUSTOMER_ID
    )

    assert {a.beneficiary_id: a.points for a in result.accruals} == {"4": 50, "3": 50, "2": 50}
    assert services.participants.get("1").balances.frozen == 0
    assert services.participants.get("5").balances.frozen == 0
    # statistics still count the purchase at every level of the network, rewarded or not
    assert services.participants.network("1")[4].orders == 1
    assert services.participants.get("5").orders_count == 1


def test_r5_changed_rates_apply_to_new_accruals_only(services: Services, clock: FakeClock) -> None:
    sponsor = join(services, "1")
    buyer = join(services, "2", sponsor)
    clock.advance(hours=1)
    services.purchases.record_purchase(posting(clock.now, "1000"), buyer.id, Attribution.CUSTOMER_ID)
    services.settings.update("owner", {"level_rates": ["10", "3", "1"]})
    services.purchases.record_purchase(posting(clock.now, "1000"), buyer.id, Attribution.CUSTOMER_ID)

    rates = sorted(e.rate for e in services.ledger.entries_of(sponsor.id) if e.rate is not None)
    assert rates == [Decimal("10"), Decimal("50")]
    assert services.participants.get(sponsor.id).balances.frozen == 60


def test_r6_orders_placed_before_registration_do_not_count(services: Services, clock: FakeClock) -> None:
    sponsor = join(services, "1")
    buyer = join(services, "2", sponsor)

    with pytest.raises(Forbidden):
        services.purchases.record_purchase(
            posting(clock.now - timedelta(minutes=1)), buyer.id, Attribution.CUSTOMER_ID
        )

    assert services.ledger.entries_of(sponsor.id) == []
    assert services.participants.get(buyer.id).orders_count == 0


def test_r6_sync_attributes_by_customer_id_and_keeps_strangers_postings(
    services: Services, clock: FakeClock
) -> None:
    sponsor = join(services, "1")
    buyer = join(services, "2", sponsor, ozon_id="600000002")
    clock.advance(hours=1)

    mine = services.purchases.observe(posting(clock.now, "1000", customer_id="600000002"))
    stranger = services.purchases.observe(posting(clock.now, "1000", customer_id="999999999", number="S-1"))

    assert mine is not None and mine.points == 50
    assert stranger is None
    order = services.repos.orders.get_order("S-1")
    assert order is not None and order.participant_id is None
    assert services.participants.get(sponsor.id).balances.frozen == 50
    assert services.repos.orders.orders_of(buyer.id)[0].attribution == Attribution.CUSTOMER_ID


def test_r6_an_order_claim_is_accepted_once_for_the_right_participant(
    services: Services, clock: FakeClock
) -> None:
    sponsor = join(services, "1")
    claimant = join(services, "2", sponsor, ozon_id="600000002")
    other = join(services, "3", sponsor, ozon_id="600000003")
    clock.advance(hours=1)
    fbo = posting(clock.now, "3000", number="FBO-1", scheme="FBO")
    services.purchases.record_posting(fbo)

    result = services.purchases.claim_order(claimant.id, fbo)

    assert result.points == 150
    with pytest.raises(Conflict, match="another participant"):
        services.purchases.claim_order(other.id, fbo)
    with pytest.raises(Conflict, match="already claimed"):
        services.purchases.claim_order(claimant.id, fbo)
    assert services.participants.get(sponsor.id).balances.frozen == 150
    order = services.repos.orders.get_order("FBO-1")
    assert order is not None and (order.participant_id, order.attribution) == ("2", Attribution.CLAIM)


def test_r6_claims_are_refused_for_another_account_or_an_older_order(
    services: Services, clock: FakeClock
) -> None:
    claimant = join(services, "2", ozon_id="600000002")
    clock.advance(hours=1)

    with pytest.raises(Forbidden, match="another Ozon account"):
        services.purchases.claim_order(claimant.id, posting(clock.now, customer_id="600000099"))
    with pytest.raises(Forbidden, match="before you joined"):
        services.purchases.claim_order(claimant.id, posting(clock.now - timedelta(days=1)))
    with pytest.raises(NotFound):
        services.purchases.claim_order("nobody", posting(clock.now))
    assert services.ledger.entries_of(claimant.id) == []


def test_r8_the_same_posting_seen_many_times_accrues_once(services: Services, clock: FakeClock) -> None:
    sponsor = join(services, "1")
    buyer = join(services, "2", sponsor, ozon_id="600000002")
    clock.advance(hours=1)
    seen = posting(clock.now, "1000", customer_id="600000002")

    first = services.purchases.record_purchase(seen, buyer.id, Attribution.CUSTOMER_ID)
    again = services.purchases.record_purchase(seen, buyer.id, Attribution.CUSTOMER_ID)
    observed = services.purchases.observe(seen)

    assert (first.duplicate, again.duplicate, observed) == (False, True, None)
    assert ledger_points(services, sponsor.id, EntryKind.ACCRUAL) == [(1, 50)]
    assert services.participants.get(buyer.id).orders_count == 1
    accrued = [n for n in services.outbox.pending() if n.kind == NotificationKind.POINTS_ACCRUED]
    assert len(accrued) == 1
    assert services.reconciliation.run().clean


def test_r9_a_blocked_ancestor_gets_nothing_and_nobody_gets_their_share(
    services: Services, clock: FakeClock
) -> None:
    top, blocked, sponsor, buyer = chain(services, "1", "2", "3", "4")
    services.participants.set_blocked("admin", blocked.id, True, reason="fraud")
    clock.advance(hours=1)

    result = services.purchases.record_purchase(posting(clock.now, "1000"), buyer.id, Attribution.CUSTOMER_ID)

    assert {a.beneficiary_id for a in result.accruals} == {sponsor.id, top.id}
    assert services.participants.get(blocked.id).balances.frozen == 0
    assert services.participants.get(top.id).balances.frozen == 50  # its own level-3 share only
    assert services.reconciliation.run().clean


def test_r9_a_blocked_buyer_earns_no_own_points_but_the_network_still_does(
    services: Services, clock: FakeClock
) -> None:
    services.settings.update("owner", {"own_rate": "20"})
    sponsor = join(services, "1")
    buyer = join(services, "2", sponsor)
    services.participants.set_blocked("admin", buyer.id, True)
    clock.advance(hours=1)

    result = services.purchases.record_purchase(posting(clock.now, "1000"), buyer.id, Attribution.CUSTOMER_ID)

    assert [(a.beneficiary_id, a.points) for a in result.accruals] == [(sponsor.id, 50)]
    assert services.participants.get(buyer.id).balances.frozen == 0


def test_links_count_purchases_of_the_referrals_they_brought(services: Services, clock: FakeClock) -> None:
    sponsor = join(services, "1")
    buyer = join(services, "2", sponsor)
    clock.advance(hours=1)
    services.purchases.record_purchase(posting(clock.now), buyer.id, Attribution.CUSTOMER_ID)

    assert sponsor.personal_code is not None
    link = services.repos.links.get_link(sponsor.personal_code)
    assert link is not None and link.purchases == 1
