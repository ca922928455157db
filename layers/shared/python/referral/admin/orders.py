"""Orders (Ozon postings): attribution, status, returns and accruals, filtered; the top products and links."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Query
from pydantic import BaseModel

from referral.admin import context
from referral.admin.pagination import fingerprint, seal, unseal
from referral.admin.schemas import Cursor, IdText, Limit, Money, Since, Timestamp, Until, empty_range
from referral.read.orders import NONE, OrderFilter, OrderRow, Seller
from referral.read.views import money
from referral.services.money import MoneyService

router = Router()  # type: ignore[no-untyped-call]


class AttributionFilter(StrEnum):
    AUTOMATIC = "customer_id"
    CLAIM = "claim"
    NONE = NONE


class AccrualOut(BaseModel):
    beneficiary_id: str
    level: int
    """0: the buyer's own purchase; 1..N: the buyer's sponsor, their sponsor, ..."""
    points: int
    """As accrued; a return or cancellation takes back part of it later (see the ledger)."""


class OrderOut(BaseModel):
    posting_number: str
    order_number: str | None
    created_at: Timestamp
    status: str
    scheme: str
    """fbs or fbo."""
    amount: Money
    kept_amount: Money
    """What the buyer kept after returns (0 when cancelled)."""
    returned_amount: Money
    returns: int
    """Returns applied to the posting."""
    participant_id: str | None
    attribution: str
    """``customer_id`` (matched automatically), ``claim`` (claimed in the bot) or ``none``."""
    points: int
    """Points the posting accrued, all levels."""
    accruals: list[AccrualOut]


class OrderPage(BaseModel):
    items: list[OrderOut]
    next_cursor: str | None


def order_out(row: OrderRow) -> OrderOut:
    return OrderOut(
        posting_number=row.posting_number,
        order_number=row.order_number,
        created_at=row.created_at,
        status=row.status,
        scheme=row.scheme,
        amount=money(row.amount),
        kept_amount=money(row.kept_amount),
        returned_amount=money(row.returned_amount),
        returns=row.returns,
        participant_id=row.participant_id,
        attribution=row.attribution,
        points=row.points,
        accruals=[
            AccrualOut(beneficiary_id=a.beneficiary_id, level=a.level, points=a.points) for a in row.accruals
        ],
    )


@router.get("/orders", summary="Orders (postings), newest first, filtered", tags=["orders"])
def list_orders(
    participant_id: Annotated[IdText | None, Query()] = None,
    status: Annotated[str | None, Query(pattern=r"^[a-z_]{1,40}$", description="Ozon status")] = None,
    attribution: Annotated[AttributionFilter | None, Query()] = None,
    since: Since = None,
    until: Until = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> OrderPage:
    """A participant's orders are their own partition; otherwise the monthly order feed. A page read
    within the read budget may hold fewer items than asked: follow ``next_cursor``."""
    if empty_range(dates=(since, until)):
        return OrderPage(items=[], next_cursor=None)
    flt = OrderFilter(
        participant_id=participant_id,
        status=status,
        attribution=attribution.value if attribution else None,
        since=since,
        until=until,
    )
    scope = fingerprint("orders", flt=repr(flt))
    items, last = MoneyService(clock=context.current().clock).orders(flt, limit, unseal(cursor, scope))
    return OrderPage(items=[order_out(i) for i in items], next_cursor=seal(last, scope))


class SellerOut(BaseModel):
    key: str
    """The product's SKU (or offer id), or the link's code."""
    name: str
    orders: int
    quantity: int
    """Units sold (products; 0 for links)."""
    amount: Money
    owner_id: str | None
    """The participant the product link belongs to."""


class TopOut(BaseModel):
    products: list[SellerOut]
    links: list[SellerOut]
    orders_read: int
    complete: bool
    """False when the period holds more orders than one answer reads: narrow the period."""


def seller_out(seller: Seller) -> SellerOut:
    return SellerOut(
        key=seller.key,
        name=seller.name,
        orders=seller.orders,
        quantity=seller.quantity,
        amount=money(seller.amount),
        owner_id=seller.owner_id,
    )


@router.get(
    "/orders/top",
    summary="Top products and product links by sales through the program over a period",
    tags=["orders"],
)
def top_sellers(
    since: Since = None,
    until: Until = None,
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
) -> TopOut:
    if empty_range(dates=(since, until)):
        return TopOut(products=[], links=[], orders_read=0, complete=True)
    top = MoneyService(clock=context.current().clock).top(since, until, limit)
    return TopOut(
        products=[seller_out(s) for s in top.products],
        links=[seller_out(s) for s in top.links],
        orders_read=top.orders_read,
        complete=top.complete,
    )
