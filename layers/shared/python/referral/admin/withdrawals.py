"""Withdrawal requests: the list, one request with its history and comments, status changes (R10, R11)."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from referral.admin import context
from referral.admin.pagination import fingerprint, seal, unseal
from referral.admin.roles import actor
from referral.admin.schemas import (
    Cursor,
    IdText,
    Limit,
    PayoutIn,
    Since,
    Strict,
    Timestamp,
    Until,
    WithdrawalPage,
    WithdrawalRow,
    empty_range,
    non_blank,
    withdrawal_row,
)
from referral.admin.schemas_names import PersonOut, person_out
from referral.domain.payouts import number_label
from referral.domain.withdrawals import WithdrawalStatus
from referral.errors import InvalidInput
from referral.read.withdrawals import WithdrawalFilter
from referral.services.withdrawals import MAX_BULK

router = Router()  # type: ignore[no-untyped-call]

WithdrawalId = Annotated[str, Path(pattern=r"^[0-9a-f]{1,64}$")]


class BulkTarget(StrEnum):
    NEGOTIATION = "negotiation"
    PAID = "paid"


class WithdrawalSort(StrEnum):
    CREATED_AT = "created_at"
    POINTS = "points"
    AMOUNT = "amount"
    """The fiat amount (points × the rate in force then)."""
    STATUS = "status"
    """new, negotiation, paid, rejected, cancelled (desc: the reverse); newest first within each."""


@router.get(
    "/withdrawals", summary="Withdrawal requests, newest first, filtered and sortable", tags=["withdrawals"]
)
def list_withdrawals(
    sort: Annotated[WithdrawalSort, Query()] = WithdrawalSort.CREATED_AT,
    status: Annotated[WithdrawalStatus | None, Query()] = None,
    participant_id: Annotated[IdText | None, Query()] = None,
    since: Since = None,
    until: Until = None,
    points_min: Annotated[int | None, Query(ge=0)] = None,
    points_max: Annotated[int | None, Query(ge=0)] = None,
    order: Annotated[str, Query(pattern="^(asc|desc)$")] = "desc",
    limit: Limit = 50,
    cursor: Cursor = None,
) -> WithdrawalPage:
    if empty_range(dates=(since, until), points=(points_min, points_max)):
        return WithdrawalPage(items=[], next_cursor=None)
    flt = WithdrawalFilter(
        status=status.value if status else None,
        participant_id=participant_id,
        since=since,
        until=until,
        points_min=points_min,
        points_max=points_max,
    )
    scope = fingerprint("withdrawals", flt=repr(flt), s=sort, o=order)
    listings = context.current().listings
    items, last = listings.withdrawals(flt, sort.value, order == "desc", limit, unseal(cursor, scope))
    people = listings.names_for_withdrawals(items)
    return WithdrawalPage(items=[withdrawal_row(i, people) for i in items], next_cursor=seal(last, scope))


class QueueCounts(BaseModel):
    """Open requests per status, for the badge every screen of the web app shows."""

    new: int
    negotiation: int


@router.get("/withdrawals/counts", summary="How many requests are new / in negotiation", tags=["withdrawals"])
def queue_counts() -> QueueCounts:
    return QueueCounts(**context.current().listings.open_withdrawal_counts())


class WithdrawalEventOut(BaseModel):
    at: Timestamp
    event: str
    """created, status or comment"""
    actor_id: str | None
    from_status: str | None
    to_status: str | None
    text: str | None
    actor: PersonOut | None = None


class WithdrawalDetail(WithdrawalRow):
    participant_name: str | None
    history: list[WithdrawalEventOut]


def _detail(withdrawal_id: str) -> WithdrawalDetail:
    listings = context.current().listings
    view = listings.withdrawal(withdrawal_id)
    people = listings.names_of([view.request.participant_id], [e.actor_id for e in view.history])
    return WithdrawalDetail(
        **withdrawal_row(view.request, people).model_dump(),
        participant_name=view.participant_name,
        history=[
            WithdrawalEventOut(
                at=e.created_at,
                event=e.event,
                actor_id=e.actor_id,
                from_status=e.from_status,
                to_status=e.to_status,
                text=e.text,
                actor=person_out(people.operator(e.actor_id)),
            )
            for e in view.history
        ],
    )


@router.get(
    "/withdrawals/find",
    summary="One request by its number (W-1042 or 1042) or its id, with history and comments",
    tags=["withdrawals"],
)
def find_withdrawal(q: Annotated[str, Query(min_length=1, max_length=64)]) -> WithdrawalDetail:
    return _detail(context.current().listings.find_withdrawal(q).request.withdrawal_id)


@router.get(
    "/withdrawals/<withdrawal_id>", summary="One request with history and comments", tags=["withdrawals"]
)
def get_withdrawal(withdrawal_id: WithdrawalId) -> WithdrawalDetail:
    return _detail(withdrawal_id)


def required_for(status: str, field: str, schema: dict[str, Any], *, only: bool = False) -> dict[str, Any]:
    """JSON Schema's way to say "``field`` is required (not null) with ``status``" and, when ``only``,
    "null with any other status"."""
    rule: dict[str, Any] = {
        "if": {"properties": {"status": {"const": status}}, "required": ["status"]},
        "then": {"required": [field], "properties": {field: schema}},
    }
    if only:
        rule["else"] = {"properties": {field: {"type": "null"}}}
    return rule


class StatusChange(Strict):
    """Paid needs the payout; rejected needs the reason the participant sees."""

    model_config = ConfigDict(
        json_schema_extra={
            "allOf": [
                required_for(WithdrawalStatus.PAID, "payout", {"type": "object"}, only=True),
                required_for(WithdrawalStatus.REJECTED, "reason", {"type": "string", "pattern": r"\S"}),
            ]
        }
    )

    status: WithdrawalStatus = Field(description="negotiation, paid, rejected or cancelled")
    reason: Annotated[str | None, StringConstraints(strip_whitespace=True, max_length=500)] = Field(
        default=None, description="Required for rejected: the participant sees it"
    )
    payout: PayoutIn | None = Field(default=None, description="Required for paid: how it was paid")


@router.post(
    "/withdrawals/<withdrawal_id>/status",
    summary="Move a request: new → negotiation → paid | rejected (or cancel); the participant is told",
    tags=["withdrawals"],
)
def change_status(withdrawal_id: WithdrawalId, body: StatusChange) -> WithdrawalDetail:
    _payout_required(body.status.value, body.payout)
    context.current().services.withdrawals.change_status(
        actor(router).telegram_id,
        withdrawal_id,
        body.status,
        body.reason,
        body.payout.validated() if body.payout else None,
    )
    return _detail(withdrawal_id)


class CommentIn(Strict):
    text: Annotated[str, non_blank(2000)]


@router.post(
    "/withdrawals/<withdrawal_id>/comments", summary="Comment on a request (audited)", tags=["withdrawals"]
)
def comment(withdrawal_id: WithdrawalId, body: CommentIn) -> WithdrawalDetail:
    context.current().services.withdrawals.comment(actor(router).telegram_id, withdrawal_id, body.text)
    return _detail(withdrawal_id)


class BulkChange(Strict):
    """Paid needs the payout (one for all)."""

    model_config = ConfigDict(
        json_schema_extra={
            "allOf": [required_for(WithdrawalStatus.PAID, "payout", {"type": "object"}, only=True)]
        }
    )

    ids: list[Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{1,64}$")]] = Field(
        min_length=1, max_length=MAX_BULK, description="The requests to move (each on its own)"
    )
    status: BulkTarget
    payout: PayoutIn | None = Field(default=None, description="Required for paid: one payout for all")


class BulkItemOut(BaseModel):
    id: str
    label: str
    """``W-1042`` (the id for a request without a number)."""
    result: str
    """done, unchanged (already in that status) or refused"""
    reason: str | None
    """For refused: the stable machine key, as in error bodies."""
    message: str | None


class BulkOut(BaseModel):
    items: list[BulkItemOut]


@router.post(
    "/withdrawals/bulk",
    summary="Move several requests to negotiation or paid; each is its own audited change",
    tags=["withdrawals"],
)
def change_many(body: BulkChange) -> BulkOut:
    """Always 200 when the body is valid: the answer says per request whether it moved or why not."""
    _payout_required(body.status.value, body.payout)
    outcomes = context.current().services.withdrawals.change_many(
        actor(router).telegram_id,
        body.ids,
        WithdrawalStatus(body.status.value),
        body.payout.validated() if body.payout else None,
    )
    return BulkOut(
        items=[
            BulkItemOut(
                id=o.withdrawal_id,
                label=number_label(o.number, o.withdrawal_id),
                result=o.result.value,
                reason=o.reason,
                message=o.message,
            )
            for o in outcomes
        ]
    )


def _payout_required(status: str, given: PayoutIn | None) -> None:
    """An operator marking a request paid records how it was paid."""
    if status == WithdrawalStatus.PAID and given is None:
        raise InvalidInput(
            "Record how the request was paid: the method and the payment's reference.",
            reason="payout_required",
        )
