"""Orders (Ozon postings) for operators: their attribution, status, returns and the accruals they made;
the products and product links that sell through the program.

A participant's orders are read from their own index partition (``ORDERS#<id>``, dates as the key
condition); all orders from the monthly order feed. Status and attribution are filters on what a page read.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from referral.clock import day_bounds
from referral.domain.orders import CANCELLED
from referral.read.feeds import Page, month_feed, within_days
from referral.read.query import FeedWindow, Partition, feed_page, filtered_page, oldest_month
from referral.repository import keys
from referral.repository.models import LinkItem, OrderItem, ParticipantItem

NONE = "none"
"""The attribution filter for postings no participant's: nobody claimed them, no customer id matched."""

TOP_BUDGET = 3000
"""Most orders one top-products answer reads; a period with more answers with ``complete = false``."""


@dataclass(frozen=True, slots=True)
class AccrualMade:
    beneficiary_id: str
    level: int
    points: int


@dataclass(frozen=True, slots=True)
class OrderRow:
    posting_number: str
    order_number: str | None
    created_at: str
    status: str
    scheme: str
    amount: Decimal
    kept_amount: Decimal
    returns: int
    participant_id: str | None
    attribution: str
    accruals: list[AccrualMade]

    @property
    def returned_amount(self) -> Decimal:
        return self.amount - self.kept_amount

    @property
    def points(self) -> int:
        return sum(a.points for a in self.accruals)


def order_row(item: OrderItem) -> OrderRow:
    return OrderRow(
        posting_number=item.posting_number,
        order_number=item.order_number,
        created_at=item.created_at,
        status=item.status,
        scheme=item.scheme,
        amount=Decimal(item.amount),
        kept_amount=Decimal(item.kept_amount),
        returns=len(item.applied_returns or []),
        participant_id=item.participant_id,
        attribution=item.attribution or NONE,
        accruals=[AccrualMade(a.beneficiary_id, a.level, a.points) for a in item.accruals or []],
    )


@dataclass(frozen=True)
class OrderFilter:
    participant_id: str | None = None
    status: str | None = None
    attribution: str | None = None
    """``customer_id`` (automatic), ``claim`` or ``none``."""
    since: date | None = None
    until: date | None = None

    def matches(self, row: OrderRow) -> bool:
        return (
            (self.status is None or row.status == self.status)
            and (self.attribution is None or row.attribution == self.attribution)
            and (self.participant_id is None or row.participant_id == self.participant_id)
            and within_days(row.created_at, self.since, self.until)
        )


def orders(flt: OrderFilter, limit: int, start: Any, now: datetime) -> Page[OrderRow]:
    """Newest first: a participant's own partition, or the monthly order feed."""
    if flt.participant_id is not None:
        low, high = day_bounds(flt.since, flt.until)
        condition = OrderItem.gsi1sk.between(low or "0", high or keys.HIGHEST) if low or high else None
        return filtered_page(
            Partition(keys.orders_gsi(flt.participant_id), "GSI1", condition),
            OrderItem,
            order_row,
            predicate=flt.matches,
            limit=limit,
            start=start,
            descending=True,
        )
    return month_feed(
        keys.FEED_ORDERS, OrderItem, order_row, now, (flt.since, flt.until), flt.matches, limit, start
    )


@dataclass(frozen=True, slots=True)
class Seller:
    """A product or a product link and what sold through the program with it."""

    key: str
    name: str
    orders: int
    quantity: int
    amount: Decimal
    owner_id: str | None = None


@dataclass(frozen=True, slots=True)
class TopSellers:
    products: list[Seller]
    links: list[Seller]
    orders_read: int
    complete: bool


def top_sellers(since: date | None, until: date | None, limit: int, now: datetime) -> TopSellers:
    """Products by the amount sold to participants (attributed, not cancelled postings; lines as listed),
    and product links by the kept amount of their buyers' orders (the link a buyer registered with)."""
    window = FeedWindow(
        now, oldest_month(now), since.isoformat() if since else None, until.isoformat() if until else None
    )
    rows: list[OrderItem] = []
    cursor: Any = None
    while len(rows) < TOP_BUDGET:
        page, cursor = feed_page(
            keys.FEED_ORDERS,
            OrderItem,
            lambda item: item,
            window,
            predicate=lambda item: bool(item.participant_id) and item.status != CANCELLED,
            limit=min(100, TOP_BUDGET - len(rows)),
            cursor=cursor,
        )
        rows += page
        if cursor is None:
            break
    return TopSellers(_products(rows)[:limit], _links(rows)[:limit], len(rows), cursor is None)


def _ranked(sellers: list[Seller]) -> list[Seller]:
    return sorted(sellers, key=lambda s: (-s.amount, -s.orders, s.key))


def _products(rows: list[OrderItem]) -> list[Seller]:
    totals: dict[str, list[Any]] = {}
    for order in rows:
        for line in order.products or []:
            key = line.sku or line.offer_id or line.name or "?"
            entry = totals.setdefault(key, [line.name or key, set(), 0, Decimal(0)])
            entry[1].add(order.posting_number)
            entry[2] += line.quantity
            entry[3] += Decimal(line.price) * line.quantity
    return _ranked([Seller(k, v[0], len(v[1]), v[2], v[3]) for k, v in totals.items()])


def _links(rows: list[OrderItem]) -> list[Seller]:
    buyers = list(dict.fromkeys(o.participant_id for o in rows if o.participant_id))
    joined: dict[str, str] = {}
    for start in range(0, len(buyers), 100):
        wanted = [(keys.participant_pk(b), keys.PROFILE) for b in buyers[start : start + 100]]
        joined |= {p.participant_id: p.joined_via for p in ParticipantItem.batch_get(wanted) if p.joined_via}
    codes = sorted(set(joined.values()))
    links: dict[str, LinkItem] = {}
    for start in range(0, len(codes), 100):
        wanted = [(keys.link_pk(c), keys.LINK_SK) for c in codes[start : start + 100]]
        links |= {link.code: link for link in LinkItem.batch_get(wanted) if link.kind == "product"}
    orders: dict[str, int] = defaultdict(int)
    amounts: dict[str, Decimal] = defaultdict(Decimal)
    for order in rows:
        code = joined.get(order.participant_id or "")
        if code in links:
            orders[code] += 1
            amounts[code] += Decimal(order.kept_amount)
    return _ranked(
        [
            Seller(
                code, links[code].product_name or code, orders[code], 0, amounts[code], links[code].owner_id
            )
            for code in orders
        ]
    )
