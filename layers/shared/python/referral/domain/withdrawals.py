"""Withdrawal requests: limits, the status flow and what each transition does to balances (R10)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from referral.domain.ledger import BalanceDelta, EntryKind
from referral.domain.participants import Participant
from referral.domain.payouts import Payout
from referral.domain.settings import Settings
from referral.errors import Forbidden, InsufficientFunds, InvalidInput, InvalidTransition


class WithdrawalStatus(StrEnum):
    NEW = "new"
    NEGOTIATION = "negotiation"
    PAID = "paid"
    REJECTED = "rejected"
    CANCELLED = "cancelled"

    @property
    def is_open(self) -> bool:
        return self in OPEN_STATUSES


OPEN_STATUSES = frozenset({WithdrawalStatus.NEW, WithdrawalStatus.NEGOTIATION})

TRANSITIONS: dict[WithdrawalStatus, frozenset[WithdrawalStatus]] = {
    WithdrawalStatus.NEW: frozenset(
        {WithdrawalStatus.NEGOTIATION, WithdrawalStatus.REJECTED, WithdrawalStatus.CANCELLED}
    ),
    WithdrawalStatus.NEGOTIATION: frozenset(
        {WithdrawalStatus.PAID, WithdrawalStatus.REJECTED, WithdrawalStatus.CANCELLED}
    ),
}


@dataclass(frozen=True, slots=True)
class Withdrawal:
    withdrawal_id: str
    participant_id: str
    points: int
    point_rate: Decimal
    fiat_amount: Decimal
    status: WithdrawalStatus
    created_at: datetime
    updated_at: datetime
    reason: str | None = None
    number: int | None = None
    """The short human number (``W-<number>``); ``None`` for a request from before numbering."""
    payout: Payout | None = None
    closed_by: str | None = None


def fiat_amount(points: int, point_rate: Decimal) -> Decimal:
    return (Decimal(points) * point_rate).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def check_request(participant: Participant, points: int, settings: Settings) -> None:
    """R9/R10: whether a participant may ask for ``points`` now. The reservation re-checks atomically."""
    if participant.blocked:
        raise Forbidden(
            "Your participation is suspended, so withdrawals are not available.", reason="participant_blocked"
        )
    if not isinstance(points, int) or isinstance(points, bool) or points <= 0:
        raise InvalidInput(
            "The amount must be a positive whole number of points.", reason="amount_not_positive"
        )
    if points < settings.min_withdrawal:
        raise InvalidInput(
            f"The minimum withdrawal is {settings.min_withdrawal} points.",
            details={"min_withdrawal": settings.min_withdrawal},
            reason="below_min_withdrawal",
        )
    if settings.max_withdrawal is not None and points > settings.max_withdrawal:
        raise InvalidInput(
            f"The maximum withdrawal is {settings.max_withdrawal} points.",
            details={"max_withdrawal": settings.max_withdrawal},
            reason="above_max_withdrawal",
        )
    if points > participant.balances.available:
        raise InsufficientFunds(
            f"Only {max(participant.balances.available, 0)} points are available now.",
            details={"available": participant.balances.available},
        )


def check_transition(current: WithdrawalStatus, target: WithdrawalStatus) -> None:
    if target not in TRANSITIONS.get(current, frozenset()):
        raise InvalidTransition(
            f"A withdrawal in status '{current}' cannot become '{target}'.",
            details={"from": current.value, "to": target.value},
        )


def transition_effect(target: WithdrawalStatus, points: int) -> tuple[EntryKind, BalanceDelta] | None:
    """Balance movement of a transition: paid consumes the reservation, rejected/cancelled returns it."""
    if target == WithdrawalStatus.PAID:
        return EntryKind.WITHDRAWAL_PAID, BalanceDelta(reserved=-points, withdrawn=points)
    if target in (WithdrawalStatus.REJECTED, WithdrawalStatus.CANCELLED):
        return EntryKind.WITHDRAWAL_RETURN, BalanceDelta(reserved=-points, available=points)
    return None
