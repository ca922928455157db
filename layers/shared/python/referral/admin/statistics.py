"""Statistics: the dashboard (monthly rollups), ratings (top 100 from sorted indexes) and CSV exports."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from enum import StrEnum
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
from pydantic import BaseModel

from referral.admin import context
from referral.admin.pagination import fingerprint, seal, unseal
from referral.errors import InvalidInput
from referral.repository import admin_queries as q
from referral.repository.models import OrderItem, ParticipantItem
from referral.services.statistics import display_name

router = Router()  # type: ignore[no-untyped-call]

CSV = "text/csv; charset=utf-8"
CSV_RESPONSE: dict[int, OpenAPIResponse] = {
    200: {
        "description": "CSV; when more rows follow, the X-Next-Cursor header holds the next part's cursor",
        "content": {"text/csv": {"schema": {"type": "string"}}},
    }
}
MAX_PERIOD_DAYS = 366
EARLIEST_DAY = date(2000, 1, 1)
"""No data of the program is older: an earlier period is a typo."""


class Dashboard(BaseModel):
    months: list[str]
    """The 12 months of the charts, oldest first (YYYY-MM)."""
    series: dict[str, list[float]]
    """Metric → one point per month."""
    updated_at: str | None
    """When the rollups were last computed."""


@router.get("/statistics/dashboard", summary="Dashboard: 12 monthly points per metric", tags=["statistics"])
def dashboard() -> Dashboard:
    result = context.current().statistics.dashboard()
    return Dashboard(months=result.months, series=result.series, updated_at=result.updated_at)


class RollupDone(BaseModel):
    months: list[str]


@router.post(
    "/statistics/rollup", summary="Recompute the recent months of the dashboard now", tags=["statistics"]
)
def rollup() -> RollupDone:
    return RollupDone(months=context.current().statistics.rollup())


class RatingKind(StrEnum):
    REFERRALS = "referrals"
    NETWORK_ORDERS = "network_orders"
    NETWORK_SUM = "network_sum"
    WITHDRAWN = "withdrawn"


class RatingRow(BaseModel):
    rank: int
    participant_id: str
    name: str
    value: str
    """Referrals brought, network orders, network purchase sum (RUB) or points withdrawn."""


class Rating(BaseModel):
    kind: str
    items: list[RatingRow]
    next_cursor: str | None = None
    """Always null: a rating is one page of at most 100."""


@router.get("/statistics/ratings/<kind>", summary="Top participants (at most 100)", tags=["statistics"])
def rating(kind: Annotated[RatingKind, Path()], limit: Annotated[int, Query(ge=1, le=100)] = 100) -> Rating:
    items = context.current().statistics.rating(kind.value, limit)
    attribute = {
        RatingKind.REFERRALS: "direct_referrals",
        RatingKind.NETWORK_ORDERS: "network_orders",
        RatingKind.NETWORK_SUM: "network_amount",
        RatingKind.WITHDRAWN: "withdrawn",
    }[kind]
    return Rating(
        kind=kind.value,
        items=[
            RatingRow(
                rank=n,
                participant_id=i.participant_id,
                name=display_name(i),
                value=str(getattr(i, attribute) or 0),
            )
            for n, i in enumerate(items, start=1)
        ],
    )


def _safe(value: Any) -> str:
    """Cells are data, never formulas, when the file is opened in a spreadsheet."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _csv(header: list[str], rows: list[list[Any]], next_cursor: str | None, name: str) -> Response[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows([[_safe(v) for v in row] for row in rows])
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    if next_cursor:
        headers["X-Next-Cursor"] = next_cursor
    return Response(status_code=200, content_type=CSV, body=buffer.getvalue(), headers=headers)


def _period(since: date, until: date) -> tuple[str, str]:
    """A past period of at most a year; its end is cut at today (no data lies in the future)."""
    today = context.current().statistics.clock().date()
    if until < since:
        raise InvalidInput("'to' must not be before 'from'.", reason="range_reversed")
    if until - since > timedelta(days=MAX_PERIOD_DAYS):
        raise InvalidInput(f"The period may be at most {MAX_PERIOD_DAYS} days.", reason="period_too_long")
    if since > today:
        raise InvalidInput("The period starts in the future.", reason="period_in_future")
    if since < EARLIEST_DAY:
        raise InvalidInput(
            f"The period may not start before {EARLIEST_DAY.isoformat()}.", reason="period_too_early"
        )
    return since.isoformat(), min(until, today).isoformat()


@router.get(
    "/exports/referral-tree.csv",
    summary="The referral tree: name, ID, registration date, who invited (in parts)",
    tags=["exports"],
    responses=CSV_RESPONSE,
)
def export_tree(
    limit: Annotated[int, Query(ge=1, le=5000)] = 5000,
    cursor: Annotated[str | None, Query(max_length=4096)] = None,
) -> Response[str]:
    scope = fingerprint("tree")
    start = unseal(cursor, scope)
    rows: list[list[Any]] = []
    items: list[ParticipantItem] = []
    while len(items) < limit:
        page, start = q.all_participants_by_registration(start, min(100, limit - len(items)))
        items.extend(page)
        if start is None:
            break
    sponsors = q.load_profiles(
        [{"PK": {"S": f"P#{i.sponsor_id}"}, "SK": {"S": "PROFILE"}} for i in items if i.sponsor_id]
    )
    for item in items:
        sponsor = sponsors.get(f"P#{item.sponsor_id}") if item.sponsor_id else None
        rows.append(
            [
                item.participant_id,
                display_name(item),
                item.username or "",
                item.registered_at,
                item.sponsor_id or "",
                display_name(sponsor) if sponsor else "",
            ]
        )
    header = ["participant_id", "name", "username", "registered_at", "sponsor_id", "sponsor_name"]
    return _csv(header, rows, seal(start, scope), "referral-tree.csv")


@router.get(
    "/exports/purchases.csv",
    summary="Purchases by referrals over a period (in parts)",
    tags=["exports"],
    responses=CSV_RESPONSE,
)
def export_purchases(
    since: Annotated[date, Query(alias="from")],
    until: Annotated[date, Query(alias="to")],
    referrals_only: Annotated[bool, Query()] = True,
    limit: Annotated[int, Query(ge=1, le=1000)] = 1000,
    cursor: Annotated[str | None, Query(max_length=4096)] = None,
) -> Response[str]:
    low, high = _period(since, until)
    scope = fingerprint("purchases", f=low, t=high, r=referrals_only)
    start: Any = unseal(cursor, scope)
    now = context.current().services.settings.clock()
    orders, position = q.feed_page(
        q.FEEDS["orders"],
        OrderItem,
        newest=now,
        oldest_month=low[:7],
        since=low,
        until=high,
        predicate=lambda o: o.participant_id is not None,
        limit=limit,
        cursor=(start[0], start[1]) if start else None,
        descending=False,
    )
    buyers = q.load_profiles([{"PK": {"S": f"P#{o.participant_id}"}, "SK": {"S": "PROFILE"}} for o in orders])
    rows = []
    for order in orders:
        buyer = buyers.get(f"P#{order.participant_id}")
        if referrals_only and (buyer is None or not buyer.sponsor_id):
            continue
        rows.append(
            [
                order.participant_id,
                display_name(buyer) if buyer else "",
                buyer.sponsor_id if buyer else "",
                "ozon",
                order.scheme,
                order.posting_number,
                order.order_number or "",
                order.created_at,
                order.status,
                order.amount,
                order.kept_amount,
                order.attribution or "",
            ]
        )
    header = [
        "participant_id",
        "name",
        "sponsor_id",
        "marketplace",
        "scheme",
        "posting_number",
        "order_number",
        "created_at",
        "status",
        "amount",
        "kept_amount",
        "attribution",
    ]
    return _csv(header, rows, seal(position, scope), "purchases.csv")


@router.get(
    "/exports/referral-stats.csv",
    summary="Per participant for a period: referrals brought, how many referrals bought, their sum",
    tags=["exports"],
    responses=CSV_RESPONSE,
)
def export_referral_stats(
    since: Annotated[date, Query(alias="from")], until: Annotated[date, Query(alias="to")]
) -> Response[str]:
    low, high = _period(since, until)
    rows = context.current().statistics.referral_stats(low, high)
    header = ["participant_id", "name", "referrals_brought", "referrals_bought", "referrals_purchases_sum"]
    return _csv(header, [[r[h] for h in header] for r in rows], None, "referral-stats.csv")
