"""The points ledger: balance parts, entry kinds and the accrual arithmetic.

Every movement of points is an immutable ledger entry carrying its delta for each balance part.
A participant's stored balances are a cache of the sum of those deltas; reconciliation checks it.
All arithmetic is integer or Decimal: points are whole numbers, amounts are RUB with kopecks.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal
from enum import StrEnum

from referral.errors import InsufficientFunds, InvalidInput

THOUSAND = Decimal(1000)


class EntryKind(StrEnum):
    ACCRUAL = "accrual"
    """Points for a purchase (level 0: own purchase, 1..N: a referral's), frozen."""
    RELEASE = "release"
    """A matured accrual moves frozen → available."""
    REVERSAL = "reversal"
    """A cancellation or (partial) return takes back part of an accrual."""
    WITHDRAWAL_RESERVE = "withdrawal_reserve"
    WITHDRAWAL_PAID = "withdrawal_paid"
    WITHDRAWAL_RETURN = "withdrawal_return"
    """A rejected or cancelled withdrawal gives the reserved points back."""
    CORRECTION = "correction"
    """An operator's manual balance correction, with a reason."""


@dataclass(frozen=True, slots=True)
class BalanceDelta:
    frozen: int = 0
    available: int = 0
    reserved: int = 0
    withdrawn: int = 0

    def __add__(self, other: BalanceDelta) -> BalanceDelta:
        return BalanceDelta(
            self.frozen + other.frozen,
            self.available + other.available,
            self.reserved + other.reserved,
            self.withdrawn + other.withdrawn,
        )

    @property
    def is_zero(self) -> bool:
        return not (self.frozen or self.available or self.reserved or self.withdrawn)

    @property
    def total_change(self) -> int:
        """Change of the participant's balance (frozen + available): credit if > 0, debit if < 0."""
        return self.frozen + self.available


@dataclass(frozen=True, slots=True)
class Balances:
    frozen: int = 0
    available: int = 0
    reserved: int = 0
    withdrawn: int = 0

    @property
    def balance(self) -> int:
        """What the bot calls "balance": points not yet withdrawn and not reserved."""
        return self.frozen + self.available

    def apply(self, delta: BalanceDelta) -> Balances:
        return Balances(
            self.frozen + delta.frozen,
            self.available + delta.available,
            self.reserved + delta.reserved,
            self.withdrawn + delta.withdrawn,
        )


def to_amount(value: Decimal | int | str) -> Decimal:
    """Normalise a RUB amount to kopecks precision; refuse floats and negatives."""
    if isinstance(value, float):
        raise InvalidInput("Amounts must be Decimal or str, never float", reason="invalid_amount")
    try:
        amount = Decimal(value)
    except ArithmeticError:
        raise InvalidInput(f"Not an amount: {value!r}", reason="invalid_amount") from None
    if not amount.is_finite() or amount < 0:
        raise InvalidInput(f"Amount must be a non-negative number: {value!r}", reason="invalid_amount")
    return amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def points_for(amount: Decimal, rate: Decimal) -> int:
    """R5: floor(amount × rate / 1000), exact in Decimal."""
    if amount < 0 or rate < 0:
        raise InvalidInput("amount and rate must be non-negative", reason="invalid_amount")
    return int((amount * rate / THOUSAND).to_integral_value(rounding=ROUND_FLOOR))


def reversal_points(accrued: int, already_reversed: int, kept_amount: Decimal, rate: Decimal) -> int:
    """R7: how much more to take back so that the accrual equals the one recomputed on ``kept_amount``.

    Computed against the target rather than the returned amount, so any sequence of partial returns
    ends exactly where a single return of the same total would. Never negative: a kept amount that
    grows back does not re-credit.
    """
    target = points_for(kept_amount, rate)
    return max(0, accrued - already_reversed - target)


def correction_delta(available_change: int, total_change: int) -> BalanceDelta:
    """An operator edits "available" and "total" (frozen + available) separately; frozen takes the rest."""
    return BalanceDelta(frozen=total_change - available_change, available=available_change)


def check_correction(before: Balances, frozen_corrections: int, delta: BalanceDelta) -> None:
    """R11 within R7: what an operator's correction may take, given the balances it starts from.

    A part is refused only when the correction takes from it more than it holds: a correction that adds
    to a negative available (after a return following a release) is always allowed. Frozen points of
    accruals in hold are not the operator's to take: they leave frozen only by their own release or
    reversal, otherwise that release would later move points the correction already took (frozen below
    zero, available inflated). So a correction takes from frozen at most what corrections put there.
    """
    if delta.available < 0 and before.available + delta.available < 0:
        raise InsufficientFunds(
            f"The correction would make available negative: it holds {max(before.available, 0)} points.",
            details={"available": before.available, "frozen": before.frozen},
            reason="negative_balance",
        )
    if delta.frozen < 0 and frozen_corrections + delta.frozen < 0:
        raise InsufficientFunds(
            f"Only {max(frozen_corrections, 0)} frozen points came from corrections and can be taken back; "
            "the other frozen points belong to purchases still in hold (a return reverses them, or correct "
            "available after their release).",
            details={"frozen": before.frozen, "frozen_corrections": frozen_corrections},
            reason="frozen_in_hold",
        )


class CorrectionNotice(StrEnum):
    """What the participant is told of an operator's correction: nothing, the change, or also its reason."""

    NONE = "none"
    CHANGE = "change"
    CHANGE_AND_REASON = "change_and_reason"


def correction_fingerprint(
    participant_id: str,
    available_change: int,
    total_change: int,
    reason: str,
    notice: CorrectionNotice = CorrectionNotice.NONE,
) -> str:
    """What a correction's idempotency key is bound to: a retry must ask for exactly the same change (and
    the same notice; a correction without one keeps the fingerprint it always had)."""
    request: list[object] = [participant_id, available_change, total_change, reason]
    if notice != CorrectionNotice.NONE:
        request.append(notice.value)
    return hashlib.sha256(json.dumps(request, ensure_ascii=False).encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    entry_id: str
    participant_id: str
    kind: EntryKind
    created_at: datetime
    delta: BalanceDelta
    idempotency_key: str
    level: int | None = None
    posting_number: str | None = None
    amount: Decimal | None = None
    rate: Decimal | None = None
    withdrawal_id: str | None = None
    actor_id: str | None = None
    reason: str | None = None

    @property
    def credit(self) -> int:
        return max(self.delta.total_change, 0)

    @property
    def debit(self) -> int:
        return max(-self.delta.total_change, 0)
