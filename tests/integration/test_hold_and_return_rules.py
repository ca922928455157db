"""R7: accruals stay frozen until the hold passed and the posting was delivered; returns reverse them."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from referral.domain.ledger import EntryKind, points_for
from referral.domain.notifications import NotificationKind
from referral.domain.orders import Attribution, Posting
from referral.domain.participants import Participant
from referral.errors import InsufficientFunds, StaleRead
from referral.services import Services

from tests.support.builders import join, posting
from tests.support.clock import FakeClock

Purchase = tuple[Participant, Participant, Posting]


@pytest.fixture
def purchase(services: Services, clock: FakeClock) -> Purchase:
    sponsor = join(services, "1")
    buyer = join(services, "2", sponsor)
    clock.advance(hours=1)
    bought = posting(clock.now, "3000.00", number="P-1")
    services.purchases.record_purchase(bought, buyer.id, Attribution.CUSTOMER_ID)
    return sponsor, buyer, bought


def balances(services: Services, participant_id: str) -> tuple[int, int]:
    participant = services.participants.get(participant_id)
    return participant.balances.frozen, participant.balances.available


def test_r7_points_stay_frozen_until_delivered_even_after_the_hold(
    services: Services, clock: FakeClock, purchase: Purchase
) -> None:
    sponsor, _, _ = purchase
    clock.advance(days=31)

    report = services.release.release_matured()

    assert report.released == 0
    assert balances(services, sponsor.id) == (150, 0)


def test_r7_points_stay_frozen_until_the_hold_passed_even_when_delivered(
    services: Services, clock: FakeClock, purchase: Purchase
) -> None:
    sponsor, _, bought = purchase
    services.purchases.apply_status(bought.with_status("delivered"))
    clock.advance(days=29)

    assert services.release.release_matured().released == 0
    assert balances(services, sponsor.id) == (150, 0)

    clock.advance(days=1, minutes=1)
    report = services.release.release_matured()

    assert (report.released, report.points) == (1, 150)
    assert balances(services, sponsor.id) == (0, 150)
    release = services.ledger.entries_of(sponsor.id)[0]
    assert (release.kind, release.delta.frozen, release.delta.available) == (EntryKind.RELEASE, -150, 150)
    assert NotificationKind.POINTS_RELEASED in {n.kind for n in services.outbox.pending()}
    # released once only
    clock.advance(days=1)
    assert services.release.release_matured().released == 0
    assert balances(services, sponsor.id) == (0, 150)


def test_r7_delivery_after_the_hold_releases_at_the_next_run(
    services: Services, clock: FakeClock, purchase: Purchase
) -> None:
    sponsor, _, bought = purchase
    clock.advance(days=40)
    services.purchases.apply_status(bought.with_status("delivered"))

    assert services.release.release_matured().released == 1
    assert balances(services, sponsor.id) == (0, 150)


def test_r7_cancellation_reverses_frozen_points(
    services: Services, clock: FakeClock, purchase: Purchase
) -> None:
    sponsor, buyer, bought = purchase

    result = services.purchases.apply_status(bought.with_status("cancelled"))

    assert result is not None and result.reversed_points == 150
    assert balances(services, sponsor.id) == (0, 0)
    reversal = services.ledger.entries_of(sponsor.id)[0]
    assert (reversal.kind, reversal.delta.frozen, reversal.posting_number) == (
        EntryKind.REVERSAL,
        -150,
        "P-1",
    )
    assert services.participants.get(buyer.id).orders_count == 0
    # a cancelled posting never releases, even if Ozon later says "delivered"
    services.purchases.apply_status(bought.with_status("delivered"))
    clock.advance(days=60)
    assert services.release.release_matured().released == 0
    assert services.reconciliation.run().clean


def released_then_returned(services: Services, clock: FakeClock, purchase: Purchase) -> Participant:
    """The sponsor's 150 points released, 100 of them taken by a correction, then the purchase returned."""
    sponsor, _, bought = purchase
    services.purchases.apply_status(bought.with_status("delivered"))
    clock.advance(days=31)
    services.release.release_matured()
    services.ledger.correct_balance(
        "admin",
        sponsor.id,
        available_change=-100,
        total_change=-100,
        reason="test payout",
        idempotency_key="k1",
    )
    assert balances(services, sponsor.id) == (0, 50)

    services.purchases.apply_return("P-1", "R-1", "3000.00")
    return sponsor


def test_r7_a_return_after_release_takes_points_from_available_which_may_go_negative(
    services: Services, clock: FakeClock, purchase: Purchase
) -> None:
    sponsor = released_then_returned(services, clock, purchase)

    assert balances(services, sponsor.id) == (0, -100)
    services.settings.update("owner", {"min_withdrawal": 1})
    with pytest.raises(InsufficientFunds):
        services.withdrawals.request(sponsor.id, 1, "after-return")
    assert services.reconciliation.run().clean


def test_r7_r11_a_correction_may_raise_a_negative_available_but_not_take_more_than_there_is(
    services: Services, clock: FakeClock, purchase: Purchase
) -> None:
    sponsor = released_then_returned(services, clock, purchase)
    assert balances(services, sponsor.id) == (0, -100)

    def correct(available: int, total: int, key: str) -> bool:
        return services.ledger.correct_balance(
            "admin",
            sponsor.id,
            available_change=available,
            total_change=total,
            reason="fix",
            idempotency_key=key,
        )

    assert correct(50, 50, "up-1") is True  # still negative afterwards, but closer to zero
    assert balances(services, sponsor.id) == (0, -50)
    with pytest.raises(InsufficientFunds) as refused:
        correct(-1, -1, "down-1")
    assert refused.value.reason == "negative_balance"
    assert correct(80, 80, "up-2") is True
    assert balances(services, sponsor.id) == (0, 30)
    assert services.reconciliation.run().clean


def test_r7_r11_a_correction_cannot_take_frozen_points_of_accruals_in_hold(
    services: Services, clock: FakeClock, purchase: Purchase
) -> None:
    sponsor, _, bought = purchase  # 150 frozen, all of them the purchase's accrual
    services.ledger.correct_balance(
        "admin", sponsor.id, available_change=0, total_change=40, reason="bonus", idempotency_key="bonus"
    )
    assert balances(services, sponsor.id) == (190, 0)

    with pytest.raises(InsufficientFunds) as refused:
        services.ledger.correct_balance(
            "admin", sponsor.id, available_change=0, total_change=-100, reason="take", idempotency_key="take"
        )
    assert refused.value.reason == "frozen_in_hold"
    # what corrections put into frozen, they may take out again (here: moved to available by hand)
    services.ledger.correct_balance(
        "admin", sponsor.id, available_change=40, total_change=0, reason="release", idempotency_key="move"
    )
    assert balances(services, sponsor.id) == (150, 40)

    services.purchases.apply_status(bought.with_status("delivered"))
    clock.advance(days=31)
    services.release.release_matured()

    assert balances(services, sponsor.id) == (0, 190)
    assert services.reconciliation.run().clean


def test_r7_partial_returns_in_steps_end_where_one_return_would(services: Services, clock: FakeClock) -> None:
    sponsor = join(services, "1")
    buyer = join(services, "2", sponsor)
    twin_buyer = join(services, "3", sponsor)
    clock.advance(hours=1)
    stepwise = posting(clock.now, "3333.33", number="STEP")
    at_once = posting(clock.now, "3333.33", number="ONCE")
    services.purchases.record_purchase(stepwise, buyer.id, Attribution.CUSTOMER_ID)
    services.purchases.record_purchase(at_once, twin_buyer.id, Attribution.CUSTOMER_ID)

    for return_id, amount in (("r1", "1000.00"), ("r2", "111.11"), ("r3", "1111.11")):
        services.purchases.apply_return("STEP", return_id, amount)
    services.purchases.apply_return("ONCE", "r-all", "2222.22")

    def reversed_for(number: str) -> int:
        return -sum(
            e.delta.total_change
            for e in services.ledger.entries_of(sponsor.id)
            if e.kind == EntryKind.REVERSAL and e.posting_number == number
        )

    assert reversed_for("STEP") == reversed_for("ONCE") == 166 - points_for(Decimal("1111.11"), Decimal(50))
    order = services.repos.orders.get_order("STEP")
    assert order is not None and order.kept_amount == Decimal("1111.11")


def test_r7_a_return_is_applied_once_per_return_id(
    services: Services, clock: FakeClock, purchase: Purchase
) -> None:
    sponsor, buyer, _ = purchase

    first = services.purchases.apply_return("P-1", "R-1", "1000.00")
    again = services.purchases.apply_return("P-1", "R-1", "1000.00")

    assert (first.reversed_points, again.duplicate) == (50, True)
    assert balances(services, sponsor.id) == (100, 0)
    assert services.participants.get(buyer.id).purchases_sum == Decimal("2000.00")


def test_r7_a_partially_returned_frozen_accrual_releases_what_is_left(
    services: Services, clock: FakeClock, purchase: Purchase
) -> None:
    sponsor, _, bought = purchase
    services.purchases.apply_return("P-1", "R-1", "1000.00")
    services.purchases.apply_status(bought.with_status("delivered"))
    clock.advance(days=31)

    report = services.release.release_matured()

    assert report.points == 100
    assert balances(services, sponsor.id) == (0, 100)
    assert services.reconciliation.run().clean


def test_r7_overlapping_release_runs_release_an_accrual_once(
    services: Services, clock: FakeClock, purchase: Purchase
) -> None:
    sponsor, _, bought = purchase
    services.purchases.apply_status(bought.with_status("delivered"))
    clock.advance(days=31)
    first_run, second_run = clock.now, clock.now + timedelta(minutes=1)
    [seen_by_first] = services.repos.orders.due_accruals(first_run, 100)
    [seen_by_second] = services.repos.orders.due_accruals(first_run, 100)  # read before the first one commits

    services.repos.orders.commit_release(seen_by_first, first_run, [])
    with pytest.raises(StaleRead) as refused:
        services.repos.orders.commit_release(seen_by_second, second_run, [])

    assert refused.value.reason == "stale"
    assert balances(services, sponsor.id) == (0, 150)
    releases = [e for e in services.ledger.entries_of(sponsor.id) if e.kind == EntryKind.RELEASE]
    assert len(releases) == 1
    assert services.repos.orders.due_accruals(second_run, 100) == []
    assert services.reconciliation.run().clean


def test_release_handler_releases_through_the_lambda_entry_point(
    services: Services, clock: FakeClock, purchase: Purchase, table_name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from functions.release_frozen import handler as release_function
    from tests.support.lambda_context import lambda_context

    sponsor, _, bought = purchase
    services.purchases.apply_status(bought.with_status("delivered"))
    monkeypatch.setenv("TABLE_NAME", table_name)
    # the handler runs on the real clock, long after this purchase's hold ended
    result = release_function.handler(
        {"source": "aws.events", "detail-type": "Scheduled Event"}, lambda_context()
    )

    assert result["released"] == 1 and result["points"] == 150
    assert balances(services, sponsor.id) == (0, 150)
