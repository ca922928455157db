"""R9, R10: withdrawal requests, the reservation, the status flow and its notifications."""

from __future__ import annotations

from decimal import Decimal

import pytest
from referral.domain.ledger import EntryKind
from referral.domain.notifications import NotificationKind
from referral.domain.participants import Participant
from referral.domain.withdrawals import WithdrawalStatus
from referral.errors import Conflict, Forbidden, InsufficientFunds, InvalidInput, InvalidTransition
from referral.services import Services

from tests.support.builders import join


@pytest.fixture
def rich(services: Services) -> Participant:
    """A participant with 1000 available points and 200 frozen."""
    participant = join(services, "1")
    services.ledger.correct_balance(
        "admin",
        participant.id,
        available_change=1000,
        total_change=1200,
        reason="seed",
        idempotency_key="seed",
    )
    services.settings.update("owner", {"min_withdrawal": 100, "max_withdrawal": 800, "point_rate": "0.5"})
    return participant


def parts(services: Services, participant_id: str) -> tuple[int, int, int, int]:
    b = services.participants.get(participant_id).balances
    return b.frozen, b.available, b.reserved, b.withdrawn


def test_r10_a_request_reserves_points_and_fixes_the_fiat_amount(
    services: Services, rich: Participant
) -> None:
    withdrawal = services.withdrawals.request(rich.id, 300, "req-1")

    assert (withdrawal.status, withdrawal.points, withdrawal.fiat_amount) == (
        WithdrawalStatus.NEW,
        300,
        Decimal("150.00"),
    )
    assert parts(services, rich.id) == (200, 700, 300, 0)
    entry = services.ledger.entries_of(rich.id)[0]
    assert (entry.kind, entry.delta.available, entry.delta.reserved) == (
        EntryKind.WITHDRAWAL_RESERVE,
        -300,
        300,
    )
    # the rate in force later does not change an open request
    services.settings.update("owner", {"point_rate": "2"})
    assert services.withdrawals.get(withdrawal.withdrawal_id).fiat_amount == Decimal("150.00")


def test_r10_a_retried_request_is_the_same_request(services: Services, rich: Participant) -> None:
    first = services.withdrawals.request(rich.id, 300, "req-1")
    again = services.withdrawals.request(rich.id, 300, "req-1")

    assert first.withdrawal_id == again.withdrawal_id
    assert parts(services, rich.id) == (200, 700, 300, 0)


def test_r10_a_retry_returns_the_request_even_when_its_points_are_reserved_by_now(
    services: Services, rich: Participant
) -> None:
    first = services.withdrawals.request(rich.id, 800, "req-1")  # 200 of 1000 still available

    again = services.withdrawals.request(rich.id, 800, "req-1")
    services.participants.set_blocked("admin", rich.id, True)
    after_blocking = services.withdrawals.request(rich.id, 800, "req-1")

    assert again == first and after_blocking == first
    assert parts(services, rich.id) == (200, 200, 800, 0)
    assert [w.withdrawal_id for w in services.repos.withdrawals.withdrawals_of(rich.id)] == [
        first.withdrawal_id
    ]


def test_r10_a_request_key_reused_for_another_amount_is_refused(
    services: Services, rich: Participant
) -> None:
    first = services.withdrawals.request(rich.id, 300, "req-1")

    with pytest.raises(Conflict) as refused:
        services.withdrawals.request(rich.id, 400, "req-1")

    assert refused.value.reason == "idempotency_key_reused"
    assert parts(services, rich.id) == (200, 700, 300, 0)
    assert services.withdrawals.get(first.withdrawal_id).points == 300


@pytest.mark.parametrize(
    ("points", "error", "message"),
    [
        (99, InvalidInput, "minimum withdrawal is 100"),
        (801, InvalidInput, "maximum withdrawal is 800"),
        (0, InvalidInput, "positive whole number"),
    ],
)
def test_r10_limits_are_enforced(
    services: Services, rich: Participant, points: int, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        services.withdrawals.request(rich.id, points, "req")
    assert parts(services, rich.id) == (200, 1000, 0, 0)


def test_r10_cannot_withdraw_more_than_available(services: Services, rich: Participant) -> None:
    services.withdrawals.request(rich.id, 800, "a")
    with pytest.raises(InsufficientFunds, match="Only 200 points"):
        services.withdrawals.request(rich.id, 300, "b")
    assert parts(services, rich.id) == (200, 200, 800, 0)


def test_r10_paid_moves_reserved_to_withdrawn_and_tells_what_is_left(
    services: Services, rich: Participant
) -> None:
    withdrawal = services.withdrawals.request(rich.id, 300, "req-1")

    services.withdrawals.change_status("op", withdrawal.withdrawal_id, WithdrawalStatus.NEGOTIATION)
    paid = services.withdrawals.change_status("op", withdrawal.withdrawal_id, WithdrawalStatus.PAID)

    assert paid.status == WithdrawalStatus.PAID
    assert parts(services, rich.id) == (200, 700, 0, 300)
    participant = services.participants.get(rich.id)
    assert participant.last_withdrawal_points == 300
    notices = [n for n in services.outbox.pending() if n.kind == NotificationKind.WITHDRAWAL_STATUS]
    assert sorted(n.payload["status"] for n in notices) == ["negotiation", "paid"]
    paid_notice = next(n for n in notices if n.payload["status"] == "paid")
    assert (paid_notice.payload["points"], paid_notice.payload["available_after"]) == (300, 700)
    events = [
        (e.event, e.from_status, e.to_status)
        for e in services.repos.withdrawals.withdrawal_events(withdrawal.withdrawal_id)
    ]
    assert events == [
        ("created", None, "new"),
        ("status", "new", "negotiation"),
        ("status", "negotiation", "paid"),
    ]


@pytest.mark.parametrize("target", [WithdrawalStatus.REJECTED, WithdrawalStatus.CANCELLED])
def test_r10_rejected_or_cancelled_returns_the_reservation(
    services: Services, rich: Participant, target: WithdrawalStatus
) -> None:
    withdrawal = services.withdrawals.request(rich.id, 300, "req-1")

    services.withdrawals.change_status("op", withdrawal.withdrawal_id, target, reason="wrong card details")

    assert parts(services, rich.id) == (200, 1000, 0, 0)
    notice = next(n for n in services.outbox.pending() if n.kind == NotificationKind.WITHDRAWAL_STATUS)
    assert notice.payload["reason"] == "wrong card details"
    assert services.reconciliation.run().clean


def test_r10_a_rejection_needs_a_reason(services: Services, rich: Participant) -> None:
    withdrawal = services.withdrawals.request(rich.id, 300, "req-1")
    with pytest.raises(InvalidInput, match="reason"):
        services.withdrawals.change_status("op", withdrawal.withdrawal_id, WithdrawalStatus.REJECTED)
    assert services.withdrawals.get(withdrawal.withdrawal_id).status == WithdrawalStatus.NEW


def test_r10_the_status_flow_is_enforced(services: Services, rich: Participant) -> None:
    withdrawal = services.withdrawals.request(rich.id, 300, "req-1")

    with pytest.raises(InvalidTransition):
        services.withdrawals.change_status("op", withdrawal.withdrawal_id, WithdrawalStatus.PAID)
    services.withdrawals.change_status("op", withdrawal.withdrawal_id, WithdrawalStatus.NEGOTIATION)
    services.withdrawals.change_status("op", withdrawal.withdrawal_id, WithdrawalStatus.PAID)
    with pytest.raises(InvalidTransition):
        services.withdrawals.change_status(
            "op", withdrawal.withdrawal_id, WithdrawalStatus.CANCELLED, reason="x"
        )

    assert parts(services, rich.id) == (200, 700, 0, 300)


def test_r9_a_blocked_participant_cannot_withdraw(services: Services, rich: Participant) -> None:
    services.participants.set_blocked("admin", rich.id, True)
    with pytest.raises(Forbidden):
        services.withdrawals.request(rich.id, 300, "req-1")
    assert parts(services, rich.id) == (200, 1000, 0, 0)


def test_operators_comment_on_requests(services: Services, rich: Participant) -> None:
    withdrawal = services.withdrawals.request(rich.id, 300, "req-1")
    services.withdrawals.comment("op", withdrawal.withdrawal_id, "Asked for the card number")
    with pytest.raises(InvalidInput):
        services.withdrawals.comment("op", withdrawal.withdrawal_id, "   ")
    comments = [
        e.text
        for e in services.repos.withdrawals.withdrawal_events(withdrawal.withdrawal_id)
        if e.event == "comment"
    ]
    assert comments == ["Asked for the card number"]
