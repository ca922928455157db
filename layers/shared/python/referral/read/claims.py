"""Claims under review for the operators' screen: each with the posting's facts and the claimant."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from referral.domain.claims import ClaimReview, ReviewStatus
from referral.repository import keys
from referral.repository.claims import claim_review
from referral.repository.models import ClaimReviewItem, Entity, OrderItem, ParticipantItem


@dataclass(frozen=True, slots=True)
class ClaimLineView:
    name: str | None
    sku: str | None
    price: Decimal
    quantity: int


@dataclass(frozen=True, slots=True)
class ClaimView:
    review: ClaimReview
    participant_name: str | None
    order_status: str | None
    customer_id: str | None
    lines: tuple[ClaimLineView, ...]


def claims_by_status(
    status: ReviewStatus, limit: int, start: dict[str, Any] | None = None
) -> tuple[list[ClaimView], dict[str, Any] | None]:
    """One page of the claims of one status joined with their orders and claimants (one query and one
    batch read), and where the next page starts (None at the end). Waiting claims come oldest first (a
    queue); decided ones by their decision, newest first (what was done lately)."""
    page = Entity.by_owner.query(
        keys.claims_gsi(status.value),
        limit=limit,
        scan_index_forward=status is ReviewStatus.PENDING,
        last_evaluated_key=start,
    )
    reviews = [claim_review(item) for item in page if isinstance(item, ClaimReviewItem)]
    return _joined(reviews), page.last_evaluated_key


def _joined(reviews: list[ClaimReview]) -> list[ClaimView]:
    wanted = {(keys.order_pk(r.posting_number), keys.ORDER_SK) for r in reviews}
    wanted |= {(keys.participant_pk(r.participant_id), keys.PROFILE) for r in reviews}
    orders: dict[str, OrderItem] = {}
    names: dict[str, str | None] = {}
    for item in Entity.batch_get(sorted(wanted)) if wanted else []:
        if isinstance(item, OrderItem):
            orders[item.posting_number] = item
        elif isinstance(item, ParticipantItem):
            name = " ".join(p for p in (item.first_name, item.last_name) if p) or item.username
            names[item.participant_id] = name
    return [
        _view(review, orders.get(review.posting_number), names.get(review.participant_id))
        for review in reviews
    ]


def _view(review: ClaimReview, order: OrderItem | None, name: str | None) -> ClaimView:
    lines = tuple(
        ClaimLineView(line.name, line.sku, line.price, line.quantity)
        for line in (order.products or [] if order else [])
    )
    return ClaimView(
        review=review,
        participant_name=name,
        order_status=order.status if order else None,
        customer_id=order.customer_id if order else None,
        lines=lines,
    )
