"""Fraud signals raised through the real flows (registration, claims, returns, withdrawals), their near
misses, deduplication, resolution, and a failing signal that leaves the money write standing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from referral.domain.orders import Attribution
from referral.domain.participants import Participant
from referral.domain.risks import FlagStatus, RiskFlag, RiskKind
from referral.errors import InvalidInput, NotFound, OzonIdTaken
from referral.read.risks import RiskFilter, open_flags
from referral.repository.models import Entity
from referral.services import Services

from tests.support.builders import join, posting
from tests.support.clock import FakeClock
from tests.support.refusals import refused_writes

LIMITS = {
    "enabled": True,
    "shared_payout_participants": 2,
    "registration_burst_count": 3,
    "registration_burst_minutes": 60,
    "refund_rate_percent": 50,
    "refund_min_orders": 4,
    "claim_burst_count": 3,
    "claim_burst_hours": 24,
    "shared_ozon_id_participants": 2,
    "claim_only_min_orders": 3,
}


@pytest.fixture(autouse=True)
def thresholds(services: Services) -> None:
    services.settings.update("owner", {"risks": LIMITS})


def flags(kind: RiskKind | None = None, participant_id: str | None = None) -> list[RiskFlag]:
    found, _ = open_flags(RiskFilter(kind=kind, participant_id=participant_id), 100, None)
    return found


def rich(services: Services, user_id: str) -> Participant:
    participant = join(services, user_id)
    services.ledger.correct_balance(
        "admin",
        participant.id,
        available_change=1000,
        total_change=1000,
        reason="seed",
        idempotency_key=user_id,
    )
    return participant


# --- the same Ozon ID spelt differently ------------------------------------------------------------------


def contest(services: Services, user_id: str, ozon_id: str) -> None:
    """A newcomer gives an Ozon ID equal to a participant's: refused as taken (and the signal sees it)."""
    with pytest.raises(OzonIdTaken):
        join(services, user_id, ozon_id=ozon_id)


def test_equal_ozon_ids_written_differently_raise_one_flag_refreshed_by_each_newcomer(
    services: Services,
) -> None:
    first = join(services, "11", ozon_id="123456")
    contest(services, "12", "0123456")

    (flag,) = flags(RiskKind.SHARED_OZON_ID)
    assert flag.participant_ids == (first.id, "12")
    assert flag.subject == "123456"
    assert flag.evidence["count"] == 2

    contest(services, "13", "１２３４５６")  # full-width digits

    (refreshed,) = flags(RiskKind.SHARED_OZON_ID)
    assert refreshed.flag_id == flag.flag_id
    assert refreshed.raised_times == 2
    assert refreshed.participant_ids == (first.id, "12", "13")
    assert refreshed.evidence["participants"] == [first.id, "12", "13"]


def test_different_ozon_ids_raise_nothing(services: Services) -> None:
    join(services, "11", ozon_id="123456")
    join(services, "12", ozon_id="1234560")

    assert flags(RiskKind.SHARED_OZON_ID) == []


# --- registrations under one sponsor -------------------------------------------------------------------


def test_a_burst_of_registrations_under_one_sponsor_is_flagged(services: Services, clock: FakeClock) -> None:
    sponsor = join(services, "20")
    newcomers = [join(services, f"2{i}", sponsor).id for i in range(1, 4)]

    (flag,) = flags(RiskKind.REGISTRATION_BURST)
    assert (flag.subject, flag.participant_ids) == (sponsor.id, (sponsor.id,))
    assert flag.evidence == {"count": 3, "referrals": sorted(newcomers), "window_minutes": 60}


def test_the_same_registrations_spread_over_more_than_the_window_are_not(
    services: Services, clock: FakeClock
) -> None:
    sponsor = join(services, "20")
    join(services, "21", sponsor)
    join(services, "22", sponsor)
    clock.advance(minutes=61)
    join(services, "23", sponsor)
    join(services, "24", sponsor)

    assert flags(RiskKind.REGISTRATION_BURST) == []


# --- claims ----------------------------------------------------------------------------------------------


def claim(services: Services, clock: FakeClock, participant: Participant, number: str) -> None:
    clock.advance(minutes=1)
    services.purchases.claim_order(participant.id, posting(clock.now, "1000.00", number=number))


def test_many_claims_by_one_participant_within_the_window_are_flagged(
    services: Services, clock: FakeClock
) -> None:
    claimant = join(services, "30")
    for n in range(3):
        claim(services, clock, claimant, f"C-{n}")

    (flag,) = flags(RiskKind.CLAIM_BURST)
    assert flag.participant_ids == (claimant.id,)
    assert flag.evidence == {"count": 3, "postings": ["C-0", "C-1", "C-2"], "window_hours": 24}


def test_claims_spread_over_more_than_the_window_are_not(services: Services, clock: FakeClock) -> None:
    claimant = join(services, "30")
    claim(services, clock, claimant, "C-0")
    claim(services, clock, claimant, "C-1")
    clock.advance(hours=24)
    claim(services, clock, claimant, "C-2")

    assert flags(RiskKind.CLAIM_BURST) == []


def test_a_sponsor_whose_referrals_buy_only_by_claims_is_flagged(
    services: Services, clock: FakeClock
) -> None:
    sponsor = join(services, "40")
    first, second = join(services, "41", sponsor), join(services, "42", sponsor)
    claim(services, clock, first, "K-1")
    claim(services, clock, second, "K-2")
    assert flags(RiskKind.CLAIM_ONLY_REFERRALS) == []  # below the minimum count

    claim(services, clock, second, "K-3")

    (flag,) = flags(RiskKind.CLAIM_ONLY_REFERRALS)
    assert (flag.subject, flag.evidence) == (sponsor.id, {"claimed": 3, "orders": 3})


def test_referrals_who_also_buy_by_customer_id_do_not_flag_their_sponsor(
    services: Services, clock: FakeClock
) -> None:
    sponsor = join(services, "40")
    first, second = join(services, "41", sponsor), join(services, "42", sponsor)
    clock.advance(minutes=1)
    matched = posting(clock.now, "1000.00", number="M-1", customer_id=first.ozon_id)
    services.purchases.record_purchase(matched, first.id, Attribution.CUSTOMER_ID)
    for number, who in (("K-1", first), ("K-2", second), ("K-3", second)):
        claim(services, clock, who, number)

    assert flags(RiskKind.CLAIM_ONLY_REFERRALS) == []


# --- refunds in a network --------------------------------------------------------------------------------


def bought(services: Services, clock: FakeClock, buyer: Participant, count: int) -> list[str]:
    numbers = []
    for n in range(count):
        clock.advance(minutes=1)
        item = posting(clock.now, "1000.00", number=f"R-{buyer.id}-{n}", customer_id=buyer.ozon_id)
        services.purchases.record_purchase(item, buyer.id, Attribution.CUSTOMER_ID)
        numbers.append(item.posting_number)
    return numbers


def cancel(services: Services, clock: FakeClock, number: str) -> None:
    services.purchases.apply_status(posting(clock.now, "1000.00", number=number, status="cancelled"))


def test_a_network_with_many_cancellations_and_returns_is_flagged(
    services: Services, clock: FakeClock
) -> None:
    sponsor = join(services, "50")
    buyer = join(services, "51", sponsor)
    numbers = bought(services, clock, buyer, 4)
    cancel(services, clock, numbers[0])
    assert flags(RiskKind.REFUND_RATE) == []  # 1 of 4

    services.purchases.apply_return(numbers[1], "ret-1", "400.00")
    services.purchases.apply_return(numbers[1], "ret-2", "100.00")  # the same order counts once

    (flag,) = flags(RiskKind.REFUND_RATE)
    assert (flag.subject, flag.participant_ids) == (sponsor.id, (sponsor.id,))
    assert flag.evidence == {"orders": 4, "percent": 50, "refunded": 2, "threshold": 50}


def test_cancellations_below_the_minimum_count_are_not_flagged(services: Services, clock: FakeClock) -> None:
    sponsor = join(services, "50")
    buyer = join(services, "51", sponsor)
    numbers = bought(services, clock, buyer, 3)
    cancel(services, clock, numbers[0])
    cancel(services, clock, numbers[1])
    cancel(services, clock, numbers[2])  # 100%, but only 3 orders

    assert flags(RiskKind.REFUND_RATE) == []


# --- payout details --------------------------------------------------------------------------------------


def raw_table() -> list[dict[str, Any]]:
    connection = Entity._get_connection()
    return list(connection.scan().get("Items", []))


def test_the_same_payout_details_on_two_participants_are_flagged_without_storing_them(
    services: Services,
) -> None:
    first, second = rich(services, "60"), rich(services, "61")
    services.withdrawals.request(first.id, 200, "w-1", payout_details="4276 1234 5678 9012")
    services.withdrawals.request(second.id, 300, "w-2", payout_details="4276-1234-5678-9012")

    (flag,) = flags(RiskKind.SHARED_PAYOUT)
    assert flag.participant_ids == (first.id, second.id)
    assert flag.evidence == {
        "count": 2,
        "participants": [first.id, second.id],
        "kind": "other",
        "last4": "9012",
    }
    stored = json.dumps(raw_table())
    assert "4276" not in stored and "5678" not in stored


def test_different_payout_details_or_one_participant_twice_are_not(services: Services) -> None:
    first, second = rich(services, "60"), rich(services, "61")
    services.withdrawals.request(first.id, 200, "w-1", payout_details="4276 1234 5678 9012")
    services.withdrawals.request(first.id, 200, "w-2", payout_details="4276123456789012")
    services.withdrawals.request(second.id, 300, "w-3", payout_details="4276 1234 5678 9013")

    assert flags(RiskKind.SHARED_PAYOUT) == []


# --- a failing signal ------------------------------------------------------------------------------------


@pytest.fixture
def failing_signals(table_name: str) -> Iterator[None]:
    """DynamoDB failing every write of the signals' sets (the payout and Ozon ID comparisons)."""
    with refused_writes("UpdateItem", "RISKSET#"):
        yield


def test_a_failing_signal_never_fails_the_withdrawal_or_the_registration(
    services: Services, failing_signals: None
) -> None:
    first = rich(services, "70")
    contest(services, "71", "0" + first.ozon_id)

    withdrawal = services.withdrawals.request(first.id, 300, "w-1", payout_details="4276 1234 5678 9012")

    assert services.withdrawals.get(withdrawal.withdrawal_id).points == 300
    assert services.participants.get(first.id).balances.reserved == 300
    assert flags() == []


def test_switched_off_signals_raise_nothing(services: Services) -> None:
    services.settings.update("owner", {"risks": {**LIMITS, "enabled": False}})
    join(services, "11", ozon_id="123456")
    contest(services, "12", "0123456")

    assert flags() == []


# --- resolution ------------------------------------------------------------------------------------------


def test_resolving_is_audited_once_and_a_new_signal_opens_a_new_flag(services: Services) -> None:
    first = join(services, "11", ozon_id="123456")
    contest(services, "12", "0123456")
    (flag,) = flags(RiskKind.SHARED_OZON_ID)

    resolved = services.risks.resolve("900", flag.flag_id, "  family members, checked  ")
    again = services.risks.resolve("901", flag.flag_id, "another note")

    assert (resolved.status, resolved.note, resolved.resolved_by) == (
        FlagStatus.RESOLVED,
        "family members, checked",
        "900",
    )
    assert again == resolved
    audit = services.repos.administration.audit_of("risk_flag", flag.flag_id)
    assert [(a.action, a.actor_id, a.reason) for a in audit] == [
        ("risk.resolve", "900", "family members, checked")
    ]
    assert flags(participant_id=first.id) == []

    contest(services, "13", "00123456")

    (reopened,) = flags(RiskKind.SHARED_OZON_ID)
    assert reopened.flag_id != flag.flag_id
    assert reopened.evidence["count"] == 3


def test_resolving_needs_a_note_and_an_existing_flag(services: Services) -> None:
    join(services, "11", ozon_id="123456")
    contest(services, "12", "0123456")
    (flag,) = flags()

    with pytest.raises(InvalidInput):
        services.risks.resolve("900", flag.flag_id, "   ")
    with pytest.raises(NotFound):
        services.risks.resolve("900", "0" * 20, "note")
    assert flags()[0].status == FlagStatus.OPEN


def test_open_flags_filter_by_kind_participant_and_day_page_by_page(
    services: Services, clock: FakeClock
) -> None:
    first = join(services, "11", ozon_id="123456")
    contest(services, "12", "0123456")
    second = join(services, "12")
    for n in range(3):
        claim(services, clock, second, f"C-{n}")

    assert {f.kind for f in flags()} == {RiskKind.SHARED_OZON_ID, RiskKind.CLAIM_BURST}
    assert [f.kind for f in flags(participant_id=first.id)] == [RiskKind.SHARED_OZON_ID]
    assert [f.kind for f in flags(participant_id=second.id)] == [
        RiskKind.CLAIM_BURST,
        RiskKind.SHARED_OZON_ID,
    ]
    assert flags(RiskKind.CLAIM_BURST, first.id) == []
    clock.advance(days=2)
    later, _ = open_flags(RiskFilter(since=clock.now.date()), 100, None)
    assert later == []
    page, position = open_flags(RiskFilter(), 1, None)
    rest, _ = open_flags(RiskFilter(), 1, position)
    assert [page[0].kind, rest[0].kind] == [RiskKind.CLAIM_BURST, RiskKind.SHARED_OZON_ID]
