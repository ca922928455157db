"""Statistics: the dashboard (monthly rollups), ratings (top 100 from sorted indexes) and CSV exports."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
from pydantic import BaseModel

from referral.admin import context, csv_export
from referral.admin.pagination import fingerprint, seal, unseal
from referral.admin.roles import owner_only
from referral.admin.schemas import Cursor, Day, Money
from referral.admin.schemas_names import CsvDelimiter, CsvLang
from referral.read.exports import Table
from referral.read.rollups import UNITS
from referral.read.views import money

router = Router()  # type: ignore[no-untyped-call]

CSV = "text/csv; charset=utf-8"
CSV_RESPONSE: dict[int, OpenAPIResponse] = {
    200: {
        "description": "CSV; when more rows follow, the X-Next-Cursor header holds the next part's cursor; "
        "an export of a period names the days it covers in X-Period (FROM/TO, absent when none)",
        "content": {"text/csv": {"schema": {"type": "string"}}},
    }
}


class Dashboard(BaseModel):
    months: list[str]
    """The 12 months of the charts, oldest first (YYYY-MM)."""
    series: dict[str, list[int | float | str]]
    """Metric → one point per month: whole numbers for counts and points, decimal strings for RUB
    ("11570.00"), plain numbers for ratios and days."""
    units: dict[str, str]
    """Metric → count, points, rub, ratio or days."""
    updated_at: str | None
    """When the rollups were last computed."""


@router.get("/statistics/dashboard", summary="Dashboard: 12 monthly points per metric", tags=["statistics"])
def dashboard() -> Dashboard:
    result = context.current().statistics.dashboard()
    return Dashboard(months=result.months, series=result.series, units=UNITS, updated_at=result.updated_at)


class RollupDone(BaseModel):
    months: list[str]


@router.post(
    "/statistics/rollup",
    summary="Recompute the recent months of the dashboard now (owners)",
    tags=["statistics"],
    middlewares=[owner_only],
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
    value: int | Money
    """Referrals brought, network orders or points withdrawn (whole numbers), or the network purchase sum
    (RUB, a decimal string)."""


class Rating(BaseModel):
    kind: str
    items: list[RatingRow]
    period_from: str | None = None
    """The first month the rating covers (YYYY-MM); null for all time or an empty period."""
    period_to: str | None = None
    """The last month it covers: the period asked for, cut at this month and to at most 24 months."""
    next_cursor: str | None = None
    """Always null: a rating is one page of at most 100."""


MONTH = r"^[0-9]{4}-(0[1-9]|1[0-2])$"


@router.get(
    "/statistics/ratings/<kind>",
    summary="Top participants (at most 100), of all time or of a period of months",
    tags=["statistics"],
)
def rating(
    kind: Annotated[RatingKind, Path()],
    limit: Annotated[int, Query(ge=1, le=100)] = 100,
    first: Annotated[
        str | None, Query(alias="from", pattern=MONTH, description="First month of the period, YYYY-MM")
    ] = None,
    last: Annotated[
        str | None, Query(alias="to", pattern=MONTH, description="Last month, YYYY-MM (default: this month)")
    ] = None,
) -> Rating:
    """With a period: referrals registered in it, network purchases made in it, withdrawals paid (by the
    month of the request) — as of the last rollup."""
    statistics = context.current().statistics
    months = statistics.months(first, last) if first or last else None
    ranked = statistics.rating(kind.value, limit, months) if months or not (first or last) else []
    return Rating(
        kind=kind.value,
        period_from=months[0] if months else None,
        period_to=months[1] if months else None,
        items=[
            RatingRow(
                rank=n,
                participant_id=r.participant.participant_id,
                name=r.participant.display_name,
                value=money(r.value) if kind == RatingKind.NETWORK_SUM else int(r.value),
            )
            for n, r in enumerate(ranked, start=1)
        ],
    )


def csv_response(table: Table, scope: str, name: str, period: tuple[str, str] | None = None) -> Response[str]:
    """Every export's response: the shared writer's format (``referral.admin.csv_export``), chosen by the
    request's ``delimiter`` and ``lang``, the next part's cursor in ``X-Next-Cursor`` and, for an export
    of a period, the days it covers in ``X-Period``."""
    event = router.current_event
    fmt = csv_export.format_of(event.query_string_parameters, event.headers.get("accept-language"))
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    if period is not None:
        headers["X-Period"] = "/".join(period)
    next_cursor = seal(table.position, scope)
    if next_cursor:
        headers["X-Next-Cursor"] = next_cursor
    return Response(status_code=200, content_type=CSV, body=csv_export.write(table, fmt), headers=headers)


@router.get(
    "/exports/referral-tree.csv",
    summary="The referral tree: name, ID, registration date, who invited (in parts)",
    tags=["exports"],
    responses=CSV_RESPONSE,
)
def export_tree(
    limit: Annotated[int, Query(ge=1, le=5000)] = 5000,
    cursor: Cursor = None,
    delimiter: CsvDelimiter = "semicolon",
    lang: CsvLang = None,
) -> Response[str]:
    scope = fingerprint("tree")
    table = context.current().statistics.referral_tree(unseal(cursor, scope), limit)
    return csv_response(table, scope, "referral-tree.csv")


@router.get(
    "/exports/purchases.csv",
    summary="Purchases by referrals over a period (in parts)",
    tags=["exports"],
    responses=CSV_RESPONSE,
)
def export_purchases(
    since: Annotated[Day, Query(alias="from")],
    until: Annotated[Day, Query(alias="to")],
    referrals_only: Annotated[bool, Query()] = True,
    limit: Annotated[int, Query(ge=1, le=1000)] = 1000,
    cursor: Cursor = None,
    delimiter: CsvDelimiter = "semicolon",
    lang: CsvLang = None,
) -> Response[str]:
    statistics = context.current().statistics
    days = statistics.period(since, until)
    scope = fingerprint("purchases", d=days, r=referrals_only)
    table = statistics.purchases(days, referrals_only, limit, unseal(cursor, scope))
    return csv_response(table, scope, "purchases.csv", days)


@router.get(
    "/exports/referral-stats.csv",
    summary="Per participant for a period: referrals brought, how many referrals bought, their sum",
    tags=["exports"],
    responses=CSV_RESPONSE,
)
def export_referral_stats(
    since: Annotated[Day, Query(alias="from")],
    until: Annotated[Day, Query(alias="to")],
    limit: Annotated[int, Query(ge=1, le=1000)] = 1000,
    cursor: Cursor = None,
    delimiter: CsvDelimiter = "semicolon",
    lang: CsvLang = None,
) -> Response[str]:
    """Sponsors in the order they registered; a part ends after ``limit`` rows or a bounded amount of
    reading (then it may hold fewer rows), and ``X-Next-Cursor`` says where the next part starts."""
    statistics = context.current().statistics
    days = statistics.period(since, until)
    scope = fingerprint("referral-stats", d=days)
    table = statistics.referral_stats(days, limit, unseal(cursor, scope))
    return csv_response(table, scope, "referral-stats.csv", days)
