"""Participants: the sortable, filterable list, the card, referrals, ledger, operators' edits (R11, R12)."""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from pydantic import BaseModel, Field, StrictBool, StrictInt

from referral.admin import context
from referral.admin.pagination import fingerprint, seal, unseal
from referral.admin.roles import actor
from referral.admin.schemas import (
    Cursor,
    Day,
    Done,
    IdText,
    LedgerPage,
    Limit,
    Money,
    ParticipantPage,
    ParticipantRow,
    Reason,
    Since,
    Strict,
    Timestamp,
    Until,
    empty_range,
    ledger_row,
    participant_row,
)
from referral.clock import day_bounds
from referral.domain.ledger import CorrectionNotice, EntryKind
from referral.domain.numbers import RublesText
from referral.read.feeds import LedgerFilter
from referral.read.participants import ParticipantFilter, Range
from referral.read.views import money

router = Router()  # type: ignore[no-untyped-call]

ParticipantId = Annotated[str, Path(pattern=r"^[0-9]{1,20}$", description="Telegram user id")]
Points = Annotated[int | None, Query(ge=-(10**12), le=10**12)]
Amount = Annotated[Decimal | None, RublesText, Query(ge=0, le=10**12, max_digits=16, decimal_places=2)]
OptionalDay = Annotated[Day | None, Query(description="A day, YYYY-MM-DD (UTC)")]


class Sort(StrEnum):
    ID = "id"
    NAME = "name"
    REGISTERED_AT = "registered_at"
    BALANCE = "balance"
    LAST_ORDER_AT = "last_order_at"
    REFERRALS = "referrals"
    PURCHASES_SUM = "purchases_sum"
    ACCRUED = "accrued"
    WITHDRAWN = "withdrawn"


class Order(StrEnum):
    ASC = "asc"
    DESC = "desc"


RANGE_PARAMETERS = {
    "registered_at": "registered",
    "last_order_at": "last_order",
    "balance": "balance",
    "referrals": "referrals",
    "purchases_sum": "purchases",
    "accrued": "accrued",
    "withdrawn": "withdrawn",
}
"""Each filtered attribute and the name its pair of bounds has in the query (``<name>_from``/``_min``)."""
DAY_ATTRIBUTES = ("registered_at", "last_order_at")


def bounded_ranges(bounds: dict[str, tuple[Any, Any]]) -> dict[str, Range]:
    """The ranges that bound something, each as the read side takes it (days cover their whole day)."""
    ranges = {
        attribute: Range(*day_bounds(*pair)) if attribute in DAY_ATTRIBUTES else Range(*pair)
        for attribute, pair in bounds.items()
    }
    return {attribute: r for attribute, r in ranges.items() if not r.is_open}


@router.get(
    "/participants",
    summary="List participants: sort by any attribute, filter, paginate",
    tags=["participants"],
)
def list_participants(
    sort: Annotated[Sort, Query()] = Sort.REGISTERED_AT,
    order: Annotated[Order, Query()] = Order.DESC,
    limit: Limit = 50,
    cursor: Cursor = None,
    id: Annotated[IdText | None, Query(description="Exactly this participant")] = None,
    name: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=100,
            description="Any part of the name or @username, any case, ё = е ('@' first: the username only)",
        ),
    ] = None,
    ozon_id: Annotated[
        str | None, Query(pattern=r"^[0-9]{1,20}$", description="The participant with this Ozon ID")
    ] = None,
    blocked: Annotated[bool | None, Query()] = None,
    sponsor_id: Annotated[IdText | None, Query()] = None,
    registered_from: OptionalDay = None,
    registered_to: OptionalDay = None,
    last_order_from: OptionalDay = None,
    last_order_to: OptionalDay = None,
    balance_min: Points = None,
    balance_max: Points = None,
    referrals_min: Points = None,
    referrals_max: Points = None,
    purchases_min: Amount = None,
    purchases_max: Amount = None,
    accrued_min: Points = None,
    accrued_max: Points = None,
    withdrawn_min: Points = None,
    withdrawn_max: Points = None,
) -> ParticipantPage:
    bounds = {
        "registered_at": (registered_from, registered_to),
        "last_order_at": (last_order_from, last_order_to),
        "balance": (balance_min, balance_max),
        "referrals": (referrals_min, referrals_max),
        "purchases_sum": (purchases_min, purchases_max),
        "accrued": (accrued_min, accrued_max),
        "withdrawn": (withdrawn_min, withdrawn_max),
    }
    if empty_range(**{RANGE_PARAMETERS[attribute]: pair for attribute, pair in bounds.items()}):
        return ParticipantPage(items=[], next_cursor=None)
    flt = ParticipantFilter(
        participant_id=id,
        name=name.strip() or None if name else None,
        blocked=blocked,
        sponsor_id=sponsor_id,
        ranges=bounded_ranges(bounds),
    )
    scope = fingerprint("participants", sort=sort, order=order, flt=repr(flt), ozon_id=ozon_id)
    items, last = context.current().listings.participants(
        sort.value, order == Order.DESC, limit, flt, unseal(cursor, scope), ozon_id=ozon_id
    )
    return ParticipantPage(items=[participant_row(i) for i in items], next_cursor=seal(last, scope))


class LevelOut(BaseModel):
    level: int
    """0 = the participant's own purchases."""
    referrals: int
    orders: int
    amount: Money
    earned: int
    last_order_at: Timestamp | None


class LastEvent(BaseModel):
    at: Timestamp
    amount: Money | None = None
    points: int | None = None


class ParticipantCard(ParticipantRow):
    first_name: str | None
    last_name: str | None
    ozon_id: str
    ancestors: list[str]
    joined_via: str | None
    personal_code: str | None
    first_order_at: Timestamp | None
    last_order: LastEvent | None
    last_withdrawal: LastEvent | None
    network_orders: int
    network_amount: Money
    levels: list[LevelOut]


@router.get("/participants/<participant_id>", summary="A participant's card", tags=["participants"])
def participant_card(participant_id: ParticipantId) -> ParticipantCard:
    card = context.current().listings.card(participant_id)
    item = card.profile
    return ParticipantCard(
        **participant_row(item).model_dump(),
        first_name=item.first_name,
        last_name=item.last_name,
        ozon_id=item.ozon_id,
        ancestors=list(item.ancestors),
        joined_via=item.joined_via,
        personal_code=item.personal_code,
        first_order_at=item.first_order_at,
        last_order=(
            LastEvent(at=card.last_order.created_at, amount=money(card.last_order.kept_amount))
            if card.last_order
            else None
        ),
        last_withdrawal=(
            LastEvent(at=item.last_withdrawal_at, points=item.last_withdrawal_points)
            if item.last_withdrawal_at
            else None
        ),
        network_orders=item.network_orders,
        network_amount=money(item.network_amount),
        levels=[
            LevelOut(
                level=level.level,
                referrals=level.referrals,
                orders=level.orders,
                amount=money(level.amount),
                earned=level.earned,
                last_order_at=level.last_order_at,
            )
            for level in card.levels
        ],
    )


@router.get(
    "/participants/<participant_id>/referrals",
    summary="Referrals of one level (1 = invited directly), oldest first",
    tags=["participants"],
)
def participant_referrals(
    participant_id: ParticipantId,
    level: Annotated[int, Query(ge=1, le=10)] = 1,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> ParticipantPage:
    scope = fingerprint("referrals", participant_id=participant_id, level=level)
    items, following = context.current().listings.referrals(
        participant_id, level, limit, unseal(cursor, scope)
    )
    return ParticipantPage(items=[participant_row(i) for i in items], next_cursor=seal(following, scope))


@router.get(
    "/participants/<participant_id>/ledger",
    summary="A participant's ledger, newest first",
    tags=["participants"],
)
def participant_ledger(
    participant_id: ParticipantId,
    kind: Annotated[EntryKind | None, Query()] = None,
    since: Since = None,
    until: Until = None,
    level: Annotated[int | None, Query(ge=0, le=10)] = None,
    posting_number: Annotated[str | None, Query(max_length=64)] = None,
    withdrawal_id: Annotated[str | None, Query(max_length=64)] = None,
    direction: Annotated[str | None, Query(pattern="^(credit|debit)$")] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> LedgerPage:
    if empty_range(dates=(since, until)):
        return LedgerPage(items=[], next_cursor=None)
    flt = LedgerFilter(
        kind=kind.value if kind else None,
        level=level,
        posting_number=posting_number,
        withdrawal_id=withdrawal_id,
        direction=direction,
        since=since,
        until=until,
    )
    scope = fingerprint("ledger", p=participant_id, flt=repr(flt))
    listings = context.current().listings
    items, last = listings.participant_ledger(participant_id, flt, limit, unseal(cursor, scope))
    people = listings.names_for_ledger(items)
    return LedgerPage(items=[ledger_row(i, people) for i in items], next_cursor=seal(last, scope))


class BalanceCorrection(Strict):
    available_change: Annotated[
        StrictInt, Field(ge=-(10**9), le=10**9, description="Change of available points")
    ]
    total_change: Annotated[
        StrictInt, Field(ge=-(10**9), le=10**9, description="Change of the balance (frozen + available)")
    ]
    reason: Reason
    idempotency_key: Annotated[
        str, Field(pattern=r"^[A-Za-z0-9_-]{8,64}$", description="Repeat-safe request id")
    ]
    participant_notice: CorrectionNotice = Field(
        default=CorrectionNotice.NONE,
        description="What the participant is told in the bot: nothing, the change, or also its reason",
    )


@router.post(
    "/participants/<participant_id>/balance-corrections",
    summary="Correct a participant's balances (ledger entry + audit record)",
    tags=["participants"],
)
def correct_balance(participant_id: ParticipantId, body: BalanceCorrection) -> Done:
    applied = context.current().services.ledger.correct_balance(
        actor(router).telegram_id,
        participant_id,
        available_change=body.available_change,
        total_change=body.total_change,
        reason=body.reason,
        idempotency_key=body.idempotency_key,
        notice=body.participant_notice,
    )
    return Done(applied=applied)


class SponsorChange(Strict):
    sponsor_id: IdText | None = Field(description="The new sponsor, or null to detach")
    reason: Reason


class SponsorChanged(BaseModel):
    participant_id: str
    old_sponsor_id: str | None
    new_sponsor_id: str | None
    rechained: int


@router.put(
    "/participants/<participant_id>/sponsor",
    summary="Re-parent a participant (R12, audited)",
    tags=["participants"],
)
def change_sponsor(participant_id: ParticipantId, body: SponsorChange) -> SponsorChanged:
    result = context.current().services.tree.reparent(
        actor(router).telegram_id, participant_id, body.sponsor_id, body.reason
    )
    return SponsorChanged(
        participant_id=result.participant_id,
        old_sponsor_id=result.old_sponsor_id,
        new_sponsor_id=result.new_sponsor_id,
        rechained=result.rechained,
    )


class BlockChange(Strict):
    blocked: StrictBool
    reason: Reason


@router.put(
    "/participants/<participant_id>/blocked",
    summary="Block or unblock a participant (audited)",
    tags=["participants"],
)
def set_blocked(participant_id: ParticipantId, body: BlockChange) -> ParticipantRow:
    current = context.current()
    current.services.participants.set_blocked(
        actor(router).telegram_id, participant_id, body.blocked, body.reason
    )
    return participant_row(current.listings.profile(participant_id))
