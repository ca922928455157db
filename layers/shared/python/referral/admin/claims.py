"""Claims under review: the queue with each posting's facts, and the operators' approve / reject (audited)."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from pydantic import BaseModel, Field

from referral.admin import context
from referral.admin.pagination import fingerprint, seal, unseal
from referral.admin.roles import actor
from referral.admin.schemas import Cursor, Done, IdText, Limit, Reason, Strict, Timestamp
from referral.admin.schemas_names import PersonOut, person_out
from referral.clock import to_iso
from referral.domain.claims import ReviewStatus
from referral.read.claims import ClaimView, claims_by_status
from referral.read.people import People

router = Router()  # type: ignore[no-untyped-call]

PostingNumber = Annotated[str, Path(pattern=r"^[0-9A-Za-z-]{1,64}$")]
IdempotencyKey = Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{8,64}$", description="Repeat-safe request id")]


class ClaimLineOut(BaseModel):
    name: str | None
    sku: str | None
    price: str
    quantity: int


class ClaimOut(BaseModel):
    posting_number: str
    order_number: str | None
    participant_id: str
    participant_name: str | None
    status: str
    amount: str
    scheme: str
    order_status: str | None
    order_created_at: Timestamp
    created_at: Timestamp
    proven: bool
    """The claimant named a matching item price (a posting without a buyer id)."""
    customer_id_matched: bool
    decided_at: Timestamp | None
    decided_by: str | None
    decider: PersonOut | None = None
    """The operator who decided, by name (one BatchGetItem per page, none for a pending page)."""
    reason: str | None
    lines: list[ClaimLineOut]


class ClaimPage(BaseModel):
    items: list[ClaimOut]
    next_cursor: str | None


def _out(view: ClaimView, people: People) -> ClaimOut:
    review = view.review
    return ClaimOut(
        posting_number=review.posting_number,
        order_number=review.order_number,
        participant_id=review.participant_id,
        participant_name=view.participant_name,
        status=review.status.value,
        amount=f"{review.amount:.2f}",
        scheme=review.scheme,
        order_status=view.order_status,
        order_created_at=to_iso(review.order_created_at),
        created_at=to_iso(review.created_at),
        proven=review.proven,
        customer_id_matched=review.customer_id_matched,
        decided_at=to_iso(review.decided_at) if review.decided_at else None,
        decided_by=review.decided_by,
        decider=person_out(people.operator(review.decided_by)),
        reason=review.reason,
        lines=[
            ClaimLineOut(name=x.name, sku=x.sku, price=f"{x.price:.2f}", quantity=x.quantity)
            for x in view.lines
        ],
    )


@router.get(
    "/claims",
    summary="Order claims of a review status: pending oldest first, decided newest decided first",
    tags=["claims"],
)
def list_claims(
    status: Annotated[ReviewStatus, Query()] = ReviewStatus.PENDING,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> ClaimPage:
    scope = fingerprint("claims", status=status.value)
    listings = context.current().listings
    views, last = claims_by_status(status, limit, unseal(cursor, scope))
    people = listings.names_of([], [view.review.decided_by for view in views])
    return ClaimPage(items=[_out(v, people) for v in views], next_cursor=seal(last, scope))


class Approval(Strict):
    participant_id: IdText
    idempotency_key: IdempotencyKey


class Rejection(Strict):
    participant_id: IdText
    reason: Reason = Field(description="The participant sees it in the bot")
    idempotency_key: IdempotencyKey


@router.post(
    "/claims/<posting_number>/approve",
    summary="Approve a claim under review: it accrues as an accepted claim (audited, exactly once)",
    tags=["claims"],
)
def approve_claim(posting_number: PostingNumber, body: Approval) -> Done:
    applied = context.current().services.claims.approve(
        actor(router).telegram_id, posting_number, body.participant_id, body.idempotency_key
    )
    return Done(applied=applied)


@router.post(
    "/claims/<posting_number>/reject",
    summary="Reject a claim under review with a reason the participant sees (audited, exactly once)",
    tags=["claims"],
)
def reject_claim(posting_number: PostingNumber, body: Rejection) -> Done:
    applied = context.current().services.claims.reject(
        actor(router).telegram_id, posting_number, body.participant_id, body.reason, body.idempotency_key
    )
    return Done(applied=applied)
