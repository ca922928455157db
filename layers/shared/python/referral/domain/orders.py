"""Orders (Ozon postings) and the rules that turn them into accruals and reversals (R5–R9)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Protocol

from referral.domain.ledger import points_for, reversal_points, to_amount
from referral.domain.participants import Participant
from referral.domain.settings import Settings
from referral.errors import Conflict, Forbidden, InvalidInput

DELIVERED = "delivered"
CANCELLED = "cancelled"


class Attribution(StrEnum):
    CUSTOMER_ID = "customer_id"
    """Matched automatically: the posting's Ozon customer id is the participant's Ozon ID."""
    CLAIM = "claim"
    """The participant claimed the order by its number in the bot."""
    CLAIM_UNDER_REVIEW = "claim_under_review"
    """Claimed, held for an operator's approval: attributed, nothing accrued (``referral.domain.claims``)."""


class AccrualState(StrEnum):
    FROZEN = "frozen"
    RELEASED = "released"
    VOIDED = "voided"
    """Fully reversed while still frozen; nothing left to release."""


@dataclass(frozen=True, slots=True)
class PostingLine:
    """One product of a posting as Ozon listed it (price per unit, before Ozon's own discounts)."""

    sku: str | None
    offer_id: str | None
    name: str | None
    price: Decimal
    quantity: int


@dataclass(frozen=True, slots=True)
class Posting:
    """What the system needs to know about an Ozon posting."""

    posting_number: str
    scheme: str
    status: str
    created_at: datetime
    amount: Decimal
    order_number: str | None = None
    customer_id: str | None = None
    delivered_at: datetime | None = None
    lines: tuple[PostingLine, ...] = ()
    """The posting's products; kept on the order for operators (the amount comes from what was paid)."""
    paid_prices: tuple[Decimal, ...] = ()
    """Unit prices Ozon reports the buyer paid or saw (``financial_data``): proof of a claim, never stored."""

    def __post_init__(self) -> None:
        if not self.posting_number:
            raise InvalidInput("posting_number is required")
        if self.created_at.tzinfo is None:
            raise InvalidInput("created_at must be timezone-aware")
        object.__setattr__(self, "amount", to_amount(self.amount))

    @property
    def is_cancelled(self) -> bool:
        return self.status == CANCELLED

    def with_status(self, status: str) -> Posting:
        return replace(self, status=status)

    @property
    def is_delivered(self) -> bool:
        return self.status == DELIVERED


class PostingLookup(Protocol):
    """Finds the company's postings by what a participant knows: an order or a posting number.

    The Ozon Seller API client implements it; order claims (R6) depend only on this port.
    """

    def find_postings(self, number: str) -> list[Posting]:
        """The one posting a posting number names, or every shipment of the order an order number names."""
        ...


@dataclass(frozen=True, slots=True)
class AccrualRef:
    beneficiary_id: str
    level: int
    points: int


@dataclass(frozen=True, slots=True)
class Order:
    posting: Posting
    kept_amount: Decimal
    participant_id: str | None = None
    attribution: Attribution | None = None
    accruals: tuple[AccrualRef, ...] = ()
    applied_returns: tuple[str, ...] = ()
    version: int = 0

    @property
    def under_review(self) -> bool:
        """Claimed but not approved yet: it has accrued nothing and counts in no statistics."""
        return self.attribution == Attribution.CLAIM_UNDER_REVIEW


@dataclass(frozen=True, slots=True)
class Accrual:
    """One reward for one (posting, beneficiary, level) and its current state."""

    participant_id: str
    posting_number: str
    level: int
    buyer_id: str
    amount: Decimal
    rate: Decimal
    points: int
    reversed_points: int
    state: AccrualState
    order_created_at: datetime
    release_at: datetime

    @property
    def remaining(self) -> int:
        return self.points - self.reversed_points


@dataclass(frozen=True, slots=True)
class PlannedAccrual:
    beneficiary_id: str
    level: int
    rate: Decimal
    points: int


@dataclass(frozen=True, slots=True)
class AccrualPlan:
    """Everything one purchase writes, decided before touching the table."""

    posting: Posting
    buyer_id: str
    attribution: Attribution
    accounted_amount: Decimal
    accruals: tuple[PlannedAccrual, ...]
    network_levels: tuple[tuple[str, int], ...]
    """(participant, level) pairs whose purchase statistics count this order: the buyer and ancestors."""
    release_at: datetime
    due: bool
    """Already delivered: the accruals enter the release schedule at once."""
    link_code: str | None = None
    buyer_last_order_at: datetime | None = None
    """The buyer's new last-order date, or None when this order is not newer than the one known."""
    buyer_first_order_at: datetime | None = None
    """The buyer's new first-order date, or None when this order is not older than the one known."""


def plan_accruals(
    buyer: Participant,
    posting: Posting,
    settings: Settings,
    attribution: Attribution,
    *,
    kept_amount: Decimal | None = None,
    blocked_ancestors: frozenset[str] = frozenset(),
) -> AccrualPlan:
    """R5/R6/R9: who earns what for a purchase. Blocked beneficiaries get nothing, nobody gets their share."""
    if posting.created_at <= buyer.registered_at:
        raise Forbidden(
            "The order was placed before the participant registered, so it does not count.",
            details={"posting_number": posting.posting_number},
            reason="order_before_registration",
        )
    amount = posting.amount if kept_amount is None else kept_amount
    beneficiaries: list[tuple[str, int]] = [(buyer.id, 0)]
    beneficiaries += [(ancestor, level) for level, ancestor in enumerate(buyer.ancestors, start=1)]
    accruals = []
    if not posting.is_cancelled:
        for beneficiary_id, level in beneficiaries:
            if (level == 0 and buyer.blocked) or beneficiary_id in blocked_ancestors:
                continue
            rate = settings.rate_for_level(level)
            points = points_for(amount, rate)
            if points > 0:
                accruals.append(PlannedAccrual(beneficiary_id, level, rate, points))
    return AccrualPlan(
        posting=posting,
        buyer_id=buyer.id,
        attribution=attribution,
        accounted_amount=amount,
        accruals=tuple(accruals),
        network_levels=tuple(beneficiaries),
        release_at=posting.created_at + timedelta(days=settings.hold_days),
        due=posting.is_delivered,
        link_code=buyer.joined_via,
        # order dates only widen: a claim of an older order never moves "last order" back
        buyer_last_order_at=(
            posting.created_at
            if buyer.last_order_at is None or posting.created_at > buyer.last_order_at
            else None
        ),
        buyer_first_order_at=(
            posting.created_at
            if buyer.first_order_at is None or posting.created_at < buyer.first_order_at
            else None
        ),
    )


def check_claim(participant: Participant, order: Order | None, posting: Posting) -> None:
    """R6: an order claim is accepted only for an unattributed posting of this participant."""
    if posting.is_cancelled:
        raise InvalidInput("This order was cancelled, so it earns nothing.", reason="order_cancelled")
    if order is not None and order.participant_id is not None:
        if order.participant_id == participant.id:
            raise Conflict("You have already claimed this order.", reason="order_already_yours")
        raise Conflict("This order is already counted for another participant.", reason="order_taken")
    if posting.customer_id and posting.customer_id != participant.ozon_id:
        raise Forbidden("This order was placed from another Ozon account.", reason="order_other_account")
    if posting.created_at <= participant.registered_at:
        raise Forbidden(
            "This order was placed before you joined the program, so it does not count.",
            reason="order_before_registration",
        )


@dataclass(frozen=True, slots=True)
class PlannedReversal:
    accrual: Accrual
    points: int

    @property
    def from_frozen(self) -> bool:
        return self.accrual.state == AccrualState.FROZEN


@dataclass(frozen=True, slots=True)
class ReversalPlan:
    posting_number: str
    new_kept_amount: Decimal
    reversals: tuple[PlannedReversal, ...] = field(default_factory=tuple)


def plan_reversal(posting_number: str, accruals: list[Accrual], new_kept_amount: Decimal) -> ReversalPlan:
    """R7: bring every accrual of the posting down to what ``new_kept_amount`` would have earned."""
    reversals = []
    for accrual in accruals:
        if accrual.state == AccrualState.VOIDED:
            continue
        points = reversal_points(accrual.points, accrual.reversed_points, new_kept_amount, accrual.rate)
        if points > 0:
            reversals.append(PlannedReversal(accrual, points))
    return ReversalPlan(posting_number, new_kept_amount, tuple(reversals))
