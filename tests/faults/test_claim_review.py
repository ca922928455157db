"""Claims with proof and under review: wrong prices refused and rate-limited, held claims accrue nothing
until approved (exactly once), rejected ones never, and the sync leaves a held claim alone."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest
from referral.domain.claims import ProofMismatch, TooManyAttempts
from referral.domain.orders import Posting, PostingLine
from referral.errors import Conflict
from referral.repository import keys
from referral.repository.models import AuditItem, ParticipantItem
from referral.services import Services

from tests.faults.conftest import Faults
from tests.support.builders import chain, join, posting
from tests.support.clock import FakeClock


def fbo(clock: FakeClock, number: str = "5000-0001-1", amount: str = "2000.00") -> Posting:
    """A posting without a buyer id, as FBO postings are: two items of 1390.50 and 609.50."""
    return replace(
        posting(clock.now, amount, number=number, scheme="FBO"),
        lines=(
            PostingLine("1", "tea", "Tea", Decimal("1390.50"), 1),
            PostingLine("2", "cup", "Cup", Decimal("609.50"), 1),
        ),
        paid_prices=(Decimal("1390.50"), Decimal("609.50")),
    )


def review_all(services: Services) -> None:
    services.settings.update("admin", {"claims": {"review": "all"}})


def test_a_wrong_price_is_refused_and_attempts_run_out(services: Services, clock: FakeClock) -> None:
    services.settings.update("admin", {"claims": {"attempts_per_order": 2, "proof_tolerance": "1.00"}})
    buyer = join(services, "1")
    clock.advance(hours=1)
    bought = fbo(clock)

    for _ in range(2):
        with pytest.raises(ProofMismatch):
            services.claims.prove(buyer.id, [bought], "1388")
    with pytest.raises(TooManyAttempts) as exhausted:
        services.claims.prove(buyer.id, [bought], "1390.50")  # right, but no attempt is left

    assert exhausted.value.retry_at > clock.now
    assert services.claims.blocked_until(buyer.id, [bought]) == exhausted.value.retry_at
    assert services.repos.orders.get_order(bought.posting_number) is None
    assert services.ledger.entries_of(buyer.id) == []
    clock.advance(hours=25)  # the next window
    [outcome] = services.claims.prove(buyer.id, [bought], "1 390")  # 0.50 off: within the tolerance
    assert outcome.result is not None and not outcome.held


def test_attempts_are_limited_per_participant_across_orders(services: Services, clock: FakeClock) -> None:
    services.settings.update("admin", {"claims": {"attempts_per_participant": 1}})
    buyer = join(services, "1")
    clock.advance(hours=1)
    with pytest.raises(ProofMismatch):
        services.claims.prove(buyer.id, [fbo(clock, "5000-0001-1")], "1")
    with pytest.raises(TooManyAttempts):
        services.claims.prove(buyer.id, [fbo(clock, "5000-0002-1")], "1390.50")


def test_a_right_price_accrues_exactly_once_even_when_retried(
    services: Services, clock: FakeClock, faults: Faults
) -> None:
    sponsor, buyer = chain(services, "1", "2")
    clock.advance(hours=1)
    bought = fbo(clock)
    faults.cancel("TransactionConflict", on=(keys.order_pk(bought.posting_number), keys.ORDER_SK))

    [outcome] = services.claims.prove(buyer.id, [bought], "609,50")
    again = services.claims.screen(buyer.id, [bought])

    assert outcome.result is not None and outcome.result.points == 100
    assert [r.reason for r in again.refusals] == ["order_already_yours"]
    frozen = services.repos.participants.get_participant(sponsor.id)
    assert frozen is not None and frozen.balances.frozen == 100
    assert len(services.ledger.entries_of(sponsor.id)) == 1


def test_a_claim_under_review_accrues_nothing_until_approved_once(
    services: Services, clock: FakeClock, faults: Faults
) -> None:
    review_all(services)
    sponsor, buyer = chain(services, "1", "2")
    clock.advance(hours=1)
    bought = fbo(clock)

    [outcome] = services.claims.prove(buyer.id, [bought], "1390.50")

    assert outcome.held
    order = services.repos.orders.get_order(bought.posting_number)
    assert order is not None and order.participant_id == buyer.id and order.under_review
    assert services.ledger.entries_of(sponsor.id) == []
    # the sync sees it delivered: statuses only, nothing accrues
    services.purchases.observe(bought.with_status("delivered"))
    assert services.ledger.entries_of(sponsor.id) == []

    faults.cancel("TransactionConflict", on=(keys.order_pk(bought.posting_number), keys.ORDER_SK))
    assert services.claims.approve("100", bought.posting_number, buyer.id, "key-approve-1") is True
    assert services.claims.approve("100", bought.posting_number, buyer.id, "key-approve-1") is False
    with pytest.raises(Conflict):
        services.claims.approve("100", bought.posting_number, buyer.id, "key-approve-2")

    sponsor_now = services.repos.participants.get_participant(sponsor.id)
    assert sponsor_now is not None and sponsor_now.balances.frozen == 100
    assert len(services.ledger.entries_of(sponsor.id)) == 1
    order = services.repos.orders.get_order(bought.posting_number)
    assert order is not None and not order.under_review and len(order.accruals) == 1
    audit = [i for i in AuditItem.scan() if i.action == "claim.approve"]
    assert len(audit) == 1 and audit[0].actor_id == "100"


def test_a_rejected_claim_never_accrues_and_frees_the_order(services: Services, clock: FakeClock) -> None:
    review_all(services)
    sponsor, buyer = chain(services, "1", "2")
    clock.advance(hours=1)
    bought = fbo(clock)
    services.claims.prove(buyer.id, [bought], "1390.50")

    reject = ("100", bought.posting_number, buyer.id, "Not your order", "key-reject-1")
    assert services.claims.reject(*reject)
    assert not services.claims.reject(*reject)  # the same request again: already applied
    with pytest.raises(Conflict):
        services.claims.approve("100", bought.posting_number, buyer.id, "key-approve-3")
    services.purchases.observe(bought.with_status("delivered"))  # the sync after it

    order = services.repos.orders.get_order(bought.posting_number)
    assert order is not None and order.participant_id is None
    assert services.ledger.entries_of(sponsor.id) == []
    [refused] = services.claims.screen(buyer.id, [bought]).refusals
    assert (refused.reason, refused.details["reason"]) == ("claim_rejected", "Not your order")
    audit = [i for i in AuditItem.scan() if i.action == "claim.reject"]
    assert len(audit) == 1 and audit[0].reason == "Not your order"


def test_a_returned_held_claim_changes_no_statistics(services: Services, clock: FakeClock) -> None:
    review_all(services)
    sponsor, buyer = chain(services, "1", "2")
    clock.advance(hours=1)
    bought = fbo(clock)
    services.claims.prove(buyer.id, [bought], "1390.50")

    services.purchases.apply_status(bought.with_status("cancelled"))

    sponsor_item = ParticipantItem.get(keys.participant_pk(sponsor.id), keys.PROFILE)
    buyer_item = ParticipantItem.get(keys.participant_pk(buyer.id), keys.PROFILE)
    assert (sponsor_item.network_orders or 0, buyer_item.orders_count or 0) == (0, 0)  # nothing taken back
    assert services.claims.approve("100", bought.posting_number, buyer.id, "key-approve-4")
    assert services.ledger.entries_of(sponsor.id) == []


def test_review_above_an_amount_and_for_flagged_participants(services: Services, clock: FakeClock) -> None:
    services.settings.update("admin", {"claims": {"review": "above_amount", "review_above": "1500"}})
    buyer = join(services, "1")
    clock.advance(hours=1)
    [small] = services.claims.prove(buyer.id, [fbo(clock, "5000-0001-1", "1000.00")], "1390.50")
    [large] = services.claims.prove(buyer.id, [fbo(clock, "5000-0002-1", "2000.00")], "1390.50")
    assert not small.held and large.held

    class Flagged:
        def is_flagged(self, participant_id: str) -> bool:
            return participant_id == "1"

    services.settings.update("admin", {"claims": {"review": "flagged"}})
    services.claims.flagged = Flagged()
    [flagged] = services.claims.prove(buyer.id, [fbo(clock, "5000-0003-1", "100.00")], "1390.50")
    assert flagged.held
