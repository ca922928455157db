"""The dashboard and what its rollups are computed from.

The dashboard reads one item per month. The items are computed by the statistics service (scheduled, and
on demand) from the month-partitioned feeds of registrations, orders and withdrawals, so its cost is
proportional to one month's activity, never to the size of the table.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal

from referral.clock import months_back, months_between, previous_month
from referral.read.network import profiles_of
from referral.read.query import feed_items, get
from referral.read.views import (
    OrderView,
    ParticipantView,
    WithdrawalView,
    money,
    order_view,
    participant_view,
    withdrawal_view,
)
from referral.repository import keys
from referral.repository.models import OrderItem, ParticipantItem, RollupItem, WithdrawalItem

DASHBOARD_MONTHS = 12

METRICS = (
    "participants_new",
    "participants_total",
    "sales_orders",
    "sales_sum",
    "withdrawals_requested",
    "withdrawals_paid",
    "points_withdrawn",
    "fiat_withdrawn",
    "referrals_first_purchase",
    "referrals_with_purchase_total",
    "referrals_with_purchase_share",
    "avg_days_to_first_purchase",
    "links_total",
    "avg_referrals_per_link",
    "active_referrals",
    "average_order",
    "repeat_purchase_share",
    "return_share",
)

UNITS = {
    **dict.fromkeys(METRICS, "count"),
    "points_withdrawn": "points",
    "sales_sum": "rub",
    "fiat_withdrawn": "rub",
    "average_order": "rub",
    "referrals_with_purchase_share": "ratio",
    "repeat_purchase_share": "ratio",
    "return_share": "ratio",
    "avg_referrals_per_link": "ratio",
    "avg_days_to_first_purchase": "days",
}
"""What each dashboard metric counts: counts and points are whole numbers, RUB decimal strings, ratios and
days plain numbers (chart values, not money)."""

CUMULATIVE = frozenset(
    name for name in METRICS if name.endswith(("_total", "_share")) or name.startswith("avg_r")
)
"""Metrics a month without a rollup carries over from the month before (the others are 0)."""

Point = int | float | str
"""One dashboard value: see ``UNITS``."""


@dataclass(frozen=True, slots=True)
class Dashboard:
    months: list[str]
    series: dict[str, list[Point]]
    updated_at: str | None


@dataclass(frozen=True, slots=True)
class MonthActivity:
    """What a month's rollup is computed from: its registrations, orders, withdrawal requests, buyers."""

    registered: list[ParticipantView]
    orders: list[OrderView]
    withdrawals: list[WithdrawalView]
    buyers: dict[str, ParticipantView]
    """The profiles of the month's buyers, by participant id."""


def month_activity(month: str) -> MonthActivity:
    """One month of the feeds (cost proportional to the month) and one BatchGetItem per 100 buyers."""
    registered = list(feed_items(keys.FEED_PARTICIPANTS, month, ParticipantItem, participant_view))
    orders = [o for o in feed_items(keys.FEED_ORDERS, month, OrderItem, order_view) if o.participant_id]
    withdrawals = list(feed_items(keys.FEED_WITHDRAWALS, month, WithdrawalItem, withdrawal_view))
    buyers = profiles_of(list(dict.fromkeys(o.participant_id for o in orders if o.participant_id)))
    return MonthActivity(registered, orders, withdrawals, buyers)


def month_metrics(month: str) -> dict[str, str] | None:
    """A month's rolled-up metrics (``None``: not rolled up)."""
    item = get(RollupItem, keys.STATS_PK, keys.stats_month_sk(month))
    return _values(item) if item is not None else None


def rolled_up(month: str) -> bool:
    """Whether a month has its rollup: the dashboard's metrics and the ratings' totals."""
    return (
        get(RollupItem, keys.STATS_PK, keys.stats_month_sk(month)) is not None
        and get(RollupItem, keys.STATS_PK, keys.stats_rating_sk("referrals", month, 0)) is not None
    )


def link_counters(last_month: str) -> dict[str, int]:
    """Product links created per month up to ``last_month`` (one Query of small counter items)."""
    return {
        item.month: item.links or 0
        for item in RollupItem.query(
            keys.STATS_PK, RollupItem.sk.between(*keys.stats_links_bounds(last_month))
        )
    }


def _values(item: RollupItem) -> dict[str, str]:
    loaded: dict[str, str] = json.loads(item.value) if item.value else {}
    return loaded


def dashboard(current: str) -> Dashboard:
    """12 monthly points per metric up to ``current`` from the rollup items (one Query)."""
    first = months_back(current, DASHBOARD_MONTHS - 1)
    items = {
        item.month: item
        for item in RollupItem.query(
            keys.STATS_PK,
            RollupItem.sk.between(keys.stats_month_sk(previous_month(first)), keys.stats_month_sk(current)),
        )
    }
    months = months_between(first, current)
    series: dict[str, list[Point]] = {name: [] for name in METRICS}
    before = items.get(previous_month(first))
    last = _values(before) if before is not None else {}
    updated = max((i.updated_at or "" for i in items.values()), default="") or None
    for month in months:
        item = items.get(month)
        values = _values(item) if item is not None and item.value else None
        for name in METRICS:
            if values is not None:
                raw = values.get(name, "0")
            else:
                raw = last.get(name, "0") if name in CUMULATIVE else "0"
            series[name].append(_point(name, Decimal(raw)))
        if values is not None:
            last = values
    return Dashboard(months, series, updated)


def _point(metric: str, value: Decimal) -> Point:
    unit = UNITS[metric]
    if unit == "rub":
        return money(value)
    if unit in ("count", "points"):
        return int(value)
    return float(value)
