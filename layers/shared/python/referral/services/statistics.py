"""Statistics for operators: the monthly rollups behind the dashboard and the period ratings; the
dashboard, ratings and CSV exports themselves are read by ``referral.read``.

``rollup`` (scheduled, and on demand) computes a month's metrics from the month-partitioned feeds of
registrations, orders and withdrawals, so its cost is proportional to one month's activity.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from referral.clock import (
    from_iso,
    month_number,
    month_of,
    months_back,
    months_between,
    previous_month,
    to_iso,
    utcnow,
)
from referral.read import exports, ratings, rollups
from referral.read.exports import Table
from referral.read.query import first_registration_month
from referral.read.ratings import RATINGS, Ranked
from referral.read.rollups import Dashboard, MonthActivity
from referral.repository.rollups import put_rating, put_rollup
from referral.services.money import MoneyService

MAX_PERIOD_DAYS = 366
MAX_RATING_MONTHS = 24
EARLIEST_DAY = date(2000, 1, 1)
"""No data of the program is older: an earlier period is a typo."""
ROLLUP_MONTHS_BACK = 2
"""Recent months recomputed on every run: late status changes (returns, payouts) land in them."""

Totals = dict[str, dict[str, int | Decimal]]
"""Rating kind → participant id → what they did in a month."""


def _ratio(numerator: Decimal | int, denominator: Decimal | int) -> Decimal:
    return (
        (Decimal(numerator) / Decimal(denominator)).quantize(Decimal("0.0001")) if denominator else Decimal(0)
    )


class StatisticsService:
    def __init__(self, *, clock: Callable[[], datetime] = utcnow) -> None:
        self.clock = clock

    # --- periods ---------------------------------------------------------------------------------------

    def period(self, since: date, until: date) -> tuple[str, str] | None:
        """The days of a period an answer covers, as ISO days; ``None`` when no day is left.

        A period is the days it names that can hold data: from ``EARLIEST_DAY`` to today, and at most
        ``MAX_PERIOD_DAYS`` ending at its end (the answer names the days it covers). A reversed or
        future period holds no day, so its answer is empty rather than an error.
        """
        high = min(until, self.clock().date())
        if high < max(since, EARLIEST_DAY):
            return None
        low = max(since, EARLIEST_DAY, high - timedelta(days=MAX_PERIOD_DAYS - 1))
        return low.isoformat(), high.isoformat()

    def months(self, first: str | None, last: str | None) -> tuple[str, str] | None:
        """The whole months (``YYYY-MM``) a rating covers, the same way: at most ``MAX_RATING_MONTHS``
        ending at its last month (cut at this month), none before ``EARLIEST_DAY``; ``None`` when empty."""
        current = month_of(self.clock())
        last = min(last or current, current, key=month_number)
        if month_number(last) < month_number(EARLIEST_DAY.isoformat()[:7]):
            return None
        first = max(
            first or last,
            EARLIEST_DAY.isoformat()[:7],
            months_back(last, MAX_RATING_MONTHS - 1),
            key=month_number,
        )
        return (first, last) if month_number(first) <= month_number(last) else None

    # --- rollups --------------------------------------------------------------------------------------

    def rollup(self, months_back_count: int = ROLLUP_MONTHS_BACK) -> list[str]:
        """Recompute the recent months (and any missing earlier ones). Returns the months written."""
        now = self.clock()
        MoneyService(clock=self.clock).seal()
        current = month_of(now)
        first = first_registration_month()
        if first is None:
            return []
        start = max(months_back(current, months_back_count), first, key=month_number)
        while month_number(start) > month_number(first) and not rollups.rolled_up(previous_month(start)):
            start = previous_month(start)
        carried = rollups.month_metrics(previous_month(start)) or {}
        product_links = rollups.link_counters(current)
        written = []
        for month in months_between(start, current):
            activity = rollups.month_activity(month)
            metrics = _metrics(month, activity, carried, product_links.get(month, 0))
            for kind, values in _ratings(activity).items():
                put_rating(kind, month, {pid: str(value) for pid, value in values.items()}, to_iso(now))
            put_rollup(month, json.dumps(metrics, sort_keys=True), to_iso(now))
            carried = metrics
            written.append(month)
        return written

    def dashboard(self) -> Dashboard:
        """12 monthly points per metric from the rollup items (one Query)."""
        return rollups.dashboard(month_of(self.clock()))

    # --- ratings and exports ----------------------------------------------------------------------------

    @staticmethod
    def rating(kind: str, limit: int = 100, months: tuple[str, str] | None = None) -> list[Ranked]:
        return ratings.rating(kind, limit, months)

    @staticmethod
    def referral_tree(start: Any, limit: int) -> Table:
        return exports.referral_tree(start, limit)

    def purchases(
        self, period: tuple[str, str] | None, referrals_only: bool, limit: int, start: Any
    ) -> Table:
        if period is None:
            return Table(exports.PURCHASES_HEADER, [])
        return exports.purchases(*period, referrals_only, limit, start, self.clock())

    @staticmethod
    def referral_stats(period: tuple[str, str] | None, limit: int, start: Any) -> Table:
        if period is None:
            return Table(exports.REFERRAL_STATS_HEADER, [])
        return exports.referral_stats(*period, limit, start)


def _ratings(activity: MonthActivity) -> Totals:
    """What each participant did in the month, per period rating."""
    totals: Totals = {kind: defaultdict(int) for kind in RATINGS}
    for participant in activity.registered:
        if participant.sponsor_id:
            totals["referrals"][participant.sponsor_id] += 1
    for order in activity.orders:
        if order.status == "cancelled":
            continue
        buyer = activity.buyers.get(order.participant_id or "")
        for ancestor in buyer.ancestors if buyer is not None else ():
            totals["network_orders"][ancestor] += 1
            totals["network_sum"][ancestor] += order.kept_amount
    for request in activity.withdrawals:
        if request.status == "paid":
            totals["withdrawn"][request.participant_id] += request.points
    return totals


def _metrics(
    month: str, activity: MonthActivity, previous: dict[str, str], product_links: int
) -> dict[str, str]:
    """One month's dashboard metrics; the running totals go on from the month before (``previous``)."""
    first_referrals, first_purchases = _first_purchases(month, activity)
    values: dict[str, Any] = {
        **_running_totals(activity, previous, product_links, first_referrals),
        **first_purchases,
        **_sales(activity),
        **_payouts(activity),
    }
    return {name: str(value) for name, value in values.items()}


def _running_totals(
    activity: MonthActivity, previous: dict[str, str], product_links: int, first_referrals: int
) -> dict[str, Any]:
    """Totals since the start: last month's plus this month's."""

    def carried(name: str) -> int:
        return int(Decimal(previous.get(name, "0")))

    registered = activity.registered
    referrals_total = carried("referrals_total") + sum(1 for p in registered if p.sponsor_id)
    with_purchase = carried("referrals_with_purchase_total") + first_referrals
    links_total = carried("links_total") + len(registered) + product_links
    return {
        "participants_new": len(registered),
        "participants_total": carried("participants_total") + len(registered),
        "referrals_total": referrals_total,
        "referrals_with_purchase_total": with_purchase,
        "referrals_with_purchase_share": _ratio(with_purchase, referrals_total),
        "links_total": links_total,
        "avg_referrals_per_link": _ratio(referrals_total, links_total),
    }


def _first_purchases(month: str, activity: MonthActivity) -> tuple[int, dict[str, Any]]:
    """Buyers whose first order is in the month: how many are referrals, how long they took to buy."""
    first_buyers = [b for b in activity.buyers.values() if b.first_order_at and b.first_order_at[:7] == month]
    first_referrals = sum(1 for b in first_buyers if b.sponsor_id)
    days = [
        Decimal((from_iso(b.first_order_at or "") - from_iso(b.registered_at)).total_seconds()) / 86400
        for b in first_buyers
    ]
    return first_referrals, {
        "referrals_first_purchase": first_referrals,
        "avg_days_to_first_purchase": _ratio(sum(days, Decimal(0)), len(days)).quantize(Decimal("0.01")),
    }


def _sales(activity: MonthActivity) -> dict[str, Any]:
    """Orders not cancelled, their sum and average, repeat purchases, returns, buying referrals."""
    orders, buyers = activity.orders, activity.buyers
    counted = [o for o in orders if o.status != "cancelled"]
    sales = sum((o.kept_amount for o in counted), Decimal(0))
    repeat = sum(
        1
        for o in counted
        if (b := buyers.get(o.participant_id or "")) is not None
        and b.first_order_at is not None
        and o.created_at > b.first_order_at
    )
    returned = sum(1 for o in orders if o.status == "cancelled" or o.kept_amount < o.amount)
    return {
        "sales_orders": len(counted),
        "sales_sum": sales,
        "active_referrals": sum(1 for b in buyers.values() if b.sponsor_id),
        "average_order": _ratio(sales, len(counted)).quantize(Decimal("0.01")),
        "repeat_purchase_share": _ratio(repeat, len(counted)),
        "return_share": _ratio(returned, len(orders)),
    }


def _payouts(activity: MonthActivity) -> dict[str, Any]:
    paid = [w for w in activity.withdrawals if w.status == "paid"]
    return {
        "withdrawals_requested": len(activity.withdrawals),
        "withdrawals_paid": len(paid),
        "points_withdrawn": sum(w.points for w in paid),
        "fiat_withdrawn": sum((w.fiat_amount for w in paid), Decimal(0)),
    }
