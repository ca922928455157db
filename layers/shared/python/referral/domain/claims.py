"""Order claims that need proof or an operator's approval (R6).

An order number is printed on parcel labels, so for a posting Ozon sold without a buyer id (every FBO
posting) the number alone proves nothing: the claimant must also name the price paid for one of the
posting's items, which the buyer sees in their order in the Ozon app and a label does not show. Attempts
are counted per participant and per order in fixed windows, so guessing is slow. Independently of the
proof, the program's ``ClaimPolicy`` may hold a claim for an operator's review: the order is attributed
at once (nobody else can claim it, the sync leaves it alone) but nothing accrues until it is approved.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Protocol

from referral.domain.claim_policy import ClaimPolicy, ReviewMode
from referral.domain.orders import Posting
from referral.errors import Conflict, Forbidden, InvalidInput, NotFound


class FlaggedParticipants(Protocol):
    """Says whether the fraud checks flagged a participant (their claims then wait, with ``flagged``)."""

    def is_flagged(self, participant_id: str) -> bool: ...


class NobodyFlagged:
    """The default until fraud flags exist: nobody is flagged."""

    def is_flagged(self, participant_id: str) -> bool:
        return False


def needs_review(
    policy: ClaimPolicy, participant_id: str, posting: Posting, flagged: FlaggedParticipants
) -> bool:
    """Whether an accepted claim of ``posting`` waits for an operator before anything accrues."""
    if policy.review == ReviewMode.ALL:
        return True
    if policy.review == ReviewMode.ABOVE_AMOUNT:
        return posting.amount > policy.review_above
    if policy.review == ReviewMode.FLAGGED:
        return flagged.is_flagged(participant_id)
    return False


def needs_proof(posting: Posting) -> bool:
    """A posting without a buyer id can be claimed by anyone who read its label: it needs proof."""
    return not posting.customer_id


def proof_prices(postings: Iterable[Posting]) -> frozenset[Decimal]:
    """What counts as proof for these postings: any unit price the buyer paid or saw for an item.

    Ozon reports what the buyer paid (``customer_price``) where it can, else the price with the seller's
    discounts; a buyer may read either in the app, so both count. Without item prices, the amount does.
    """
    prices: set[Decimal] = set()
    for posting in postings:
        found = {p for p in posting.paid_prices if p > 0}
        found |= {line.price for line in posting.lines if line.price > 0}
        prices |= found or {posting.amount}
    return frozenset(prices)


MONEY_TEXT = re.compile(r"^\d{1,9}([.,]\d{1,2})?$")


def parse_price(text: str) -> Decimal | None:
    """A price as a person types it: ``1390``, ``1 390,50``, ``1390.5 ₽``, ``1390 руб``; None if not one."""
    cleaned = re.sub(r"(?i)(₽|руб\.?|rub|р\.?)$", "", text.strip()).strip()
    cleaned = cleaned.replace("\u00a0", "").replace("\u202f", "").replace(" ", "")
    if not MONEY_TEXT.match(cleaned):
        return None
    try:
        return Decimal(cleaned.replace(",", "."))
    except InvalidOperation:  # pragma: no cover - the pattern admits only numbers
        return None


def proof_matches(prices: frozenset[Decimal], named: Decimal, tolerance: Decimal) -> bool:
    return any(abs(price - named) <= tolerance for price in prices)


@dataclass(frozen=True, slots=True)
class AttemptWindow:
    """The fixed window proof attempts are counted in: its index and when the next one starts."""

    index: int
    ends_at: datetime

    @classmethod
    def at(cls, now: datetime, hours: int) -> AttemptWindow:
        seconds = hours * 3600
        index = int(now.timestamp()) // seconds
        return cls(index, datetime.fromtimestamp((index + 1) * seconds, tz=now.tzinfo))

    @property
    def expires_at(self) -> datetime:
        """When the counter may go (TTL): a day after the window, so a late reader still sees it full."""
        return self.ends_at + timedelta(days=1)


class TooManyAttempts(Forbidden):
    """The participant, or the order, used up its proof attempts for the current window."""

    def __init__(self, retry_at: datetime) -> None:
        super().__init__(
            "Too many attempts to prove this order; try again later.",
            details={"retry_at": retry_at.isoformat()},
            reason="claim_attempts_exhausted",
        )
        self.retry_at = retry_at


class ProofMismatch(InvalidInput):
    """The named price is not one of the posting's: the claim is not accepted."""

    def __init__(self) -> None:
        super().__init__("The price does not match the order.", reason="claim_proof_mismatch")


class ReviewStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


@dataclass(frozen=True, slots=True)
class ClaimReview:
    """A claim held for an operator: who claimed which posting, and what became of it."""

    posting_number: str
    participant_id: str
    status: ReviewStatus
    amount: Decimal
    scheme: str
    order_created_at: datetime
    created_at: datetime
    order_number: str | None = None
    proven: bool = False
    """The claimant named a matching price (postings without a buyer id)."""
    customer_id_matched: bool = False
    """Ozon's buyer id of the posting is the claimant's Ozon ID."""
    decided_at: datetime | None = None
    decided_by: str | None = None
    reason: str | None = None
    version: int = 1


def check_decidable(review: ClaimReview | None, posting_number: str, participant_id: str) -> ClaimReview:
    """Only a pending claim can be approved or rejected."""
    if review is None:
        raise NotFound(
            "No claim of this order by this participant.",
            details={"posting_number": posting_number, "participant_id": participant_id},
            reason="claim_not_found",
        )
    if review.status != ReviewStatus.PENDING:
        raise Conflict(
            f"This claim was {review.status.value} already.",
            details={"status": review.status.value},
            reason="claim_decided",
        )
    return review
