"""Withdrawal requests: the list, one request with its history and comments, status changes (R10, R11)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from pydantic import BaseModel, Field, StringConstraints

from referral.admin import context
from referral.admin.pagination import fingerprint, seal, unseal
from referral.admin.roles import actor
from referral.admin.schemas import (
    IdText,
    Strict,
    Timestamp,
    WithdrawalPage,
    WithdrawalRow,
    ordered,
    withdrawal_row,
)
from referral.domain.withdrawals import WithdrawalStatus
from referral.errors import NotFound
from referral.repository import admin_queries as q
from referral.repository import keys
from referral.repository.models import WithdrawalItem

router = Router()  # type: ignore[no-untyped-call]

WithdrawalId = Annotated[str, Path(pattern=r"^[0-9a-f]{1,64}$")]


@router.get("/withdrawals", summary="Withdrawal requests, newest first, filtered", tags=["withdrawals"])
def list_withdrawals(
    status: Annotated[WithdrawalStatus | None, Query()] = None,
    participant_id: Annotated[IdText | None, Query()] = None,
    since: Annotated[date | None, Query(alias="from")] = None,
    until: Annotated[date | None, Query(alias="to")] = None,
    points_min: Annotated[int | None, Query(ge=0)] = None,
    points_max: Annotated[int | None, Query(ge=0)] = None,
    order: Annotated[str, Query(pattern="^(asc|desc)$")] = "desc",
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    cursor: Annotated[str | None, Query(max_length=4096)] = None,
) -> WithdrawalPage:
    scope = fingerprint(
        "withdrawals", s=status, p=participant_id, f=since, t=until, lo=points_min, hi=points_max, o=order
    )
    ordered(dates=(since, until), points=(points_min, points_max))
    low = since.isoformat() if since else None
    high = until.isoformat() + "~" if until else None

    def wanted(item: WithdrawalItem) -> bool:
        return (
            (status is None or item.status == status.value)
            and (participant_id is None or item.participant_id == participant_id)
            and (points_min is None or item.points >= points_min)
            and (points_max is None or item.points <= points_max)
            and (low is None or item.created_at >= low)
            and (high is None or item.created_at <= high)
        )

    start: Any = unseal(cursor, scope)
    if participant_id is not None:
        items, last = q.filtered_page(
            keys.withdrawals_gsi(participant_id),
            WithdrawalItem,
            index="GSI1",
            condition=None,
            predicate=wanted,
            limit=limit,
            start=start,
            descending=order == "desc",
        )
        return WithdrawalPage(items=[withdrawal_row(i) for i in items], next_cursor=seal(last, scope))
    now = context.current().services.withdrawals.clock()
    found, position = q.feed_page(
        q.FEEDS["withdrawals"],
        WithdrawalItem,
        newest=now,
        oldest_month=q.oldest_month(now),
        since=low,
        until=until.isoformat() if until else None,
        predicate=wanted,
        limit=limit,
        cursor=(start[0], start[1]) if start else None,
        descending=order == "desc",
    )
    return WithdrawalPage(items=[withdrawal_row(i) for i in found], next_cursor=seal(position, scope))


class QueueCounts(BaseModel):
    """Open requests per status, for the badge every screen of the web app shows."""

    new: int
    negotiation: int


@router.get("/withdrawals/counts", summary="How many requests are new / in negotiation", tags=["withdrawals"])
def queue_counts() -> QueueCounts:
    return QueueCounts(**q.open_withdrawal_counts())


class WithdrawalEventOut(BaseModel):
    at: Timestamp
    event: str
    """created, status or comment"""
    actor_id: str | None
    from_status: str | None
    to_status: str | None
    text: str | None


class WithdrawalDetail(WithdrawalRow):
    participant_name: str | None
    history: list[WithdrawalEventOut]


def _detail(withdrawal_id: str) -> WithdrawalDetail:
    item = q.get_withdrawal(withdrawal_id)
    if item is None:
        raise NotFound(
            "Withdrawal request not found.",
            details={"withdrawal_id": withdrawal_id},
            reason="withdrawal_not_found",
        )
    participant = (
        context.current().services.store.get_participants([item.participant_id]).get(item.participant_id)
    )
    return WithdrawalDetail(
        **withdrawal_row(item).model_dump(),
        participant_name=participant.profile.display_name if participant else None,
        history=[
            WithdrawalEventOut(
                at=e.created_at,
                event=e.event,
                actor_id=e.actor_id,
                from_status=e.from_status,
                to_status=e.to_status,
                text=e.text,
            )
            for e in q.withdrawal_events(withdrawal_id)
        ],
    )


@router.get(
    "/withdrawals/<withdrawal_id>", summary="One request with history and comments", tags=["withdrawals"]
)
def get_withdrawal(withdrawal_id: WithdrawalId) -> WithdrawalDetail:
    return _detail(withdrawal_id)


class StatusChange(Strict):
    status: WithdrawalStatus = Field(description="negotiation, paid, rejected or cancelled")
    reason: Annotated[str | None, StringConstraints(strip_whitespace=True, max_length=500)] = Field(
        default=None, description="Required for rejected: the participant sees it"
    )


@router.post(
    "/withdrawals/<withdrawal_id>/status",
    summary="Move a request: new → negotiation → paid | rejected (or cancel); the participant is told",
    tags=["withdrawals"],
)
def change_status(withdrawal_id: WithdrawalId, body: StatusChange) -> WithdrawalDetail:
    context.current().services.withdrawals.change_status(
        actor(router).telegram_id, withdrawal_id, body.status, body.reason
    )
    return _detail(withdrawal_id)


class CommentIn(Strict):
    text: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]


@router.post(
    "/withdrawals/<withdrawal_id>/comments", summary="Comment on a request (audited)", tags=["withdrawals"]
)
def comment(withdrawal_id: WithdrawalId, body: CommentIn) -> WithdrawalDetail:
    context.current().services.withdrawals.comment(actor(router).telegram_id, withdrawal_id, body.text)
    return _detail(withdrawal_id)
