"""Statistics for operators: monthly rollups behind the dashboard, ratings and CSV exports.

The dashboard reads one item per month. The items are computed by ``rollup`` (scheduled, and on demand)
from the month-partitioned feeds of registrations, orders and withdrawals, so its cost is proportional
to one month's activity, never to the size of the table. Ratings read the first page of a sorted index.
"""

from __future__ import annotations

import heapq
import json
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from referral.clock import from_iso, month_of, to_iso, utcnow
from referral.errors import InvalidInput
from referral.repository import admin_queries as q
from referral.repository import keys
from referral.repository.models import OrderItem, ParticipantItem, WithdrawalItem

KOPECK = Decimal("0.01")
STATS_READ_BUDGET = 5000
"""About how many items one part of the referral-stats export reads."""
DASHBOARD_MONTHS = 12
MAX_PERIOD_DAYS = 366
MAX_RATING_MONTHS = 24
EARLIEST_DAY = date(2000, 1, 1)
"""No data of the program is older: an earlier period is a typo."""
ROLLUP_MONTHS_BACK = 2
"""Recent months recomputed on every run: late status changes (returns, payouts) land in them."""

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

Point = int | float | str
"""One dashboard value: see ``UNITS``."""

RATINGS = {
    "referrals": ("referrals", "direct_referrals"),
    "network_orders": ("network_orders", "network_orders"),
    "network_sum": ("network_amount", "network_amount"),
    "withdrawn": ("withdrawn", "withdrawn"),
}
"""Rating kind → (the sorted index it reads, the profile attribute it ranks by)."""

TREE_HEADER = ["participant_id", "name", "username", "registered_at", "sponsor_id", "sponsor_name"]
PURCHASES_HEADER = [
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
REFERRAL_STATS_HEADER = [
    "participant_id",
    "name",
    "referrals_brought",
    "referrals_bought",
    "referrals_purchases_sum",
]


def _ratio(numerator: Decimal | int, denominator: Decimal | int) -> Decimal:
    return (
        (Decimal(numerator) / Decimal(denominator)).quantize(Decimal("0.0001")) if denominator else Decimal(0)
    )


@dataclass(frozen=True, slots=True)
class Ranked:
    participant: ParticipantItem
    value: Any
    """What the rating ranks by (a count, points, or a RUB sum)."""


@dataclass(frozen=True, slots=True)
class Table:
    """One part of a CSV export: its rows and where the next part starts (``None``: the last part)."""

    header: list[str]
    rows: list[list[Any]]
    position: Any = None


@dataclass(frozen=True, slots=True)
class Dashboard:
    months: list[str]
    series: dict[str, list[Point]]
    updated_at: str | None


class StatisticsService:
    def __init__(self, *, clock: Callable[[], datetime] = utcnow) -> None:
        self.clock = clock

    # --- periods ---------------------------------------------------------------------------------------

    def period(self, since: date, until: date) -> tuple[str, str]:
        """A past period of days, at most a year, as ISO days; its end is cut at today."""
        today = self.clock().date()
        if until < since:
            raise InvalidInput("'to' must not be before 'from'.", reason="range_reversed")
        if until - since > timedelta(days=MAX_PERIOD_DAYS):
            raise InvalidInput(f"The period may be at most {MAX_PERIOD_DAYS} days.", reason="period_too_long")
        self._past(since.isoformat(), today.isoformat(), EARLIEST_DAY.isoformat())
        return since.isoformat(), min(until, today).isoformat()

    def months(self, first: str | None, last: str | None) -> tuple[str, str]:
        """A past period of whole months (``YYYY-MM``), at most two years; its end is cut at this month."""
        current = month_of(self.clock())
        last = last or current
        first = first or last
        self._past(first, current, EARLIEST_DAY.isoformat()[:7])
        if q.month_number(first) > q.month_number(last):
            raise InvalidInput("'to' must not be before 'from'.", reason="range_reversed")
        if len(q.months_between(first, last)) > MAX_RATING_MONTHS:
            raise InvalidInput(
                f"The period may be at most {MAX_RATING_MONTHS} months.", reason="period_too_long"
            )
        return first, min(last, current, key=q.month_number)

    @staticmethod
    def _past(start: str, now: str, earliest: str) -> None:
        if start > now:
            raise InvalidInput("The period starts in the future.", reason="period_in_future")
        if start < earliest:
            raise InvalidInput(f"The period may not start before {earliest}.", reason="period_too_early")

    # --- rollups --------------------------------------------------------------------------------------

    def rollup(self, months_back: int = ROLLUP_MONTHS_BACK) -> list[str]:
        """Recompute the recent months (and any missing earlier ones). Returns the months written."""
        now = self.clock()
        current = month_of(now)
        first = q.first_registration_month()
        if first is None:
            return []
        start = current
        for _ in range(months_back):
            start = q.previous_month(start)
        start = max(start, first, key=q.month_number)
        while q.month_number(start) > q.month_number(first) and not q.rolled_up(q.previous_month(start)):
            start = q.previous_month(start)
        previous = q.get_rollup(q.previous_month(start))
        carried = json.loads(previous.value) if previous is not None and previous.value else {}
        product_links = q.link_counters(current)
        written = []
        for month in q.months_between(start, current):
            metrics, ratings = self._month(month, carried, product_links.get(month, 0))
            for kind, values in ratings.items():
                q.put_rating(kind, month, {pid: str(value) for pid, value in values.items()}, to_iso(now))
            q.put_rollup(month, json.dumps(metrics, sort_keys=True), to_iso(now))
            carried = metrics
            written.append(month)
        return written

    def _month(
        self, month: str, previous: dict[str, str], product_links: int
    ) -> tuple[dict[str, str], dict[str, dict[str, int | Decimal]]]:
        """One month's dashboard metrics, and what each participant did in it (for period ratings)."""
        registered = list(q.feed_items(q.FEEDS["participants"], month, ParticipantItem))
        new_referrals = sum(1 for p in registered if p.sponsor_id)
        orders = [o for o in q.feed_items(q.FEEDS["orders"], month, OrderItem) if o.participant_id]
        counted = [o for o in orders if o.status != "cancelled"]
        buyers = q.load_profiles([_profile_key(o.participant_id) for o in orders if o.participant_id])
        sales = sum((o.kept_amount for o in counted), Decimal(0))
        first_buyers = [b for b in buyers.values() if b.first_order_at and b.first_order_at[:7] == month]
        first_referrals = sum(1 for b in first_buyers if b.sponsor_id)
        days = [
            Decimal((from_iso(b.first_order_at or "") - from_iso(b.registered_at)).total_seconds()) / 86400
            for b in first_buyers
        ]
        repeat = sum(
            1
            for o in counted
            if (b := buyers.get(keys.participant_pk(o.participant_id or ""))) is not None
            and b.first_order_at is not None
            and o.created_at > b.first_order_at
        )
        returned = sum(1 for o in orders if o.status == "cancelled" or o.kept_amount < o.amount)
        withdrawals = list(q.feed_items(q.FEEDS["withdrawals"], month, WithdrawalItem))
        paid = [w for w in withdrawals if w.status == "paid"]
        ratings: dict[str, dict[str, int | Decimal]] = {kind: defaultdict(int) for kind in RATINGS}
        for participant in registered:
            if participant.sponsor_id:
                ratings["referrals"][participant.sponsor_id] += 1
        for order in counted:
            buyer = buyers.get(keys.participant_pk(order.participant_id or ""))
            for ancestor in buyer.ancestors if buyer is not None else ():
                ratings["network_orders"][ancestor] += 1
                ratings["network_sum"][ancestor] += order.kept_amount
        for request in paid:
            ratings["withdrawn"][request.participant_id] += request.points

        def carried(name: str) -> int:
            return int(Decimal(previous.get(name, "0")))

        participants_total = carried("participants_total") + len(registered)
        referrals_total = carried("referrals_total") + new_referrals
        with_purchase = carried("referrals_with_purchase_total") + first_referrals
        links_total = carried("links_total") + len(registered) + product_links
        values: dict[str, Any] = {
            "participants_new": len(registered),
            "participants_total": participants_total,
            "referrals_total": referrals_total,
            "sales_orders": len(counted),
            "sales_sum": sales,
            "withdrawals_requested": len(withdrawals),
            "withdrawals_paid": len(paid),
            "points_withdrawn": sum(w.points for w in paid),
            "fiat_withdrawn": sum((w.fiat_amount for w in paid), Decimal(0)),
            "referrals_first_purchase": first_referrals,
            "referrals_with_purchase_total": with_purchase,
            "referrals_with_purchase_share": _ratio(with_purchase, referrals_total),
            "avg_days_to_first_purchase": _ratio(sum(days, Decimal(0)), len(days)).quantize(Decimal("0.01")),
            "links_total": links_total,
            "avg_referrals_per_link": _ratio(referrals_total, links_total),
            "active_referrals": sum(1 for b in buyers.values() if b.sponsor_id),
            "average_order": _ratio(sales, len(counted)).quantize(Decimal("0.01")),
            "repeat_purchase_share": _ratio(repeat, len(counted)),
            "return_share": _ratio(returned, len(orders)),
        }
        return {name: str(value) for name, value in values.items()}, ratings

    def dashboard(self) -> Dashboard:
        """12 monthly points per metric from the rollup items (one Query)."""
        current = month_of(self.clock())
        first = current
        for _ in range(DASHBOARD_MONTHS - 1):
            first = q.previous_month(first)
        items = {item.month: item for item in q.rollups(q.previous_month(first), current)}
        months = q.months_between(first, current)
        series: dict[str, list[Point]] = {name: [] for name in METRICS}
        before = items.get(q.previous_month(first))
        last: dict[str, str] = json.loads(before.value) if before is not None and before.value else {}
        updated = max((i.updated_at or "" for i in items.values()), default="") or None
        cumulative = {
            name for name in METRICS if name.endswith(("_total", "_share")) or name.startswith("avg_r")
        }
        for month in months:
            item = items.get(month)
            values: dict[str, str] | None = (
                json.loads(item.value) if item is not None and item.value else None
            )
            for name in METRICS:
                if values is not None:
                    raw = values.get(name, "0")
                else:
                    raw = last.get(name, "0") if name in cumulative else "0"
                series[name].append(_point(name, Decimal(raw)))
            if values is not None:
                last = values
        return Dashboard(months, series, updated)

    # --- ratings ---------------------------------------------------------------------------------------

    @staticmethod
    def rating(kind: str, limit: int = 100, months: tuple[str, str] | None = None) -> list[Ranked]:
        """Top ``limit`` by one measure, of all time or of the months ``(first, last)``.

        All time: the first page of the measure's sorted index (one Query + one BatchGetItem). A period:
        the rollup's per-month totals of each active participant (one Query over the months' parts,
        ~20 bytes per participant active in a month), summed, then one BatchGetItem of the top.
        """
        if months is None:
            index, attribute = RATINGS[kind]
            return [Ranked(item, getattr(item, attribute) or 0) for item in q.top(index, limit)]
        totals: dict[str, Decimal] = defaultdict(Decimal)
        for part in q.rating_parts(kind, *months):
            for participant_id, value in part.items():
                totals[participant_id] += Decimal(value)
        best = heapq.nsmallest(limit, totals.items(), key=lambda entry: (-entry[1], entry[0]))
        profiles = q.load_profiles([_profile_key(participant_id) for participant_id, _ in best])
        return [
            Ranked(profile, value if kind == "network_sum" else int(value))
            for participant_id, value in best
            if (profile := profiles.get(keys.participant_pk(participant_id))) is not None
        ]

    # --- exports ---------------------------------------------------------------------------------------

    @staticmethod
    def referral_tree(start: Any, limit: int) -> Table:
        """Everyone, oldest first, with who invited them: ``limit`` rows from ``start``."""
        items: list[ParticipantItem] = []
        while len(items) < limit:
            page, start = q.all_participants_by_registration(start, min(100, limit - len(items)))
            items.extend(item for item, _ in page)
            if start is None:
                break
        sponsors = q.load_profiles([_profile_key(i.sponsor_id) for i in items if i.sponsor_id])
        rows = []
        for item in items:
            sponsor = sponsors.get(keys.participant_pk(item.sponsor_id)) if item.sponsor_id else None
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
        return Table(TREE_HEADER, rows, start)

    def purchases(self, since: str, until: str, referrals_only: bool, limit: int, start: Any) -> Table:
        """Attributed purchases of a period, oldest first, from the orders feed: ``limit`` per part."""
        orders, position = q.feed_page(
            q.FEEDS["orders"],
            OrderItem,
            newest=self.clock(),
            oldest_month=since[:7],
            since=since,
            until=until,
            predicate=lambda o: o.participant_id is not None,
            limit=limit,
            cursor=(start[0], start[1]) if start else None,
            descending=False,
        )
        buyers = q.load_profiles([_profile_key(o.participant_id) for o in orders if o.participant_id])
        rows = []
        for order in orders:
            buyer = buyers.get(keys.participant_pk(order.participant_id or ""))
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
                    money(order.amount),
                    money(order.kept_amount),
                    order.attribution or "",
                ]
            )
        return Table(PURCHASES_HEADER, rows, position)

    @staticmethod
    def referral_stats(since: str, until: str, limit: int, start: Any) -> Table:
        """Per sponsor, in the order they registered: referrals who registered in the period, how many
        referrals bought in it, and their purchase sum — a part of at most ``limit`` rows.

        Bounded per part: it walks the participants oldest first (keys + one BatchGetItem per 100) and, for
        each sponsor, their referrals (GSI1) and the orders of the period of those whose first and last
        order dates overlap it (GSI1), stopping after about ``STATS_READ_BUDGET`` items; the position (the
        last participant done, and a sponsor in progress with its partial sums) is the next part's cursor.
        """
        state = start or {"after": None, "open": None}
        after, current = state["after"], state["open"]
        rows: list[list[Any]] = []
        buffer: list[tuple[ParticipantItem, Any]] = []
        more, reads = True, 0
        while True:
            if current is None:
                if not buffer and more:
                    buffer, last = q.all_participants_by_registration(after, 100)
                    reads += len(buffer) + 1
                    more = last is not None
                if not buffer:
                    return Table(REFERRAL_STATS_HEADER, rows)
                item, key = buffer.pop(0)
                if not item.direct_referrals:
                    after = key
                    continue
                current = {"key": key, "id": item.participant_id, "name": display_name(item), "at": None}
                current.update(brought=0, bought=0, sum="0")
            referrals, current["at"] = q.children(current["id"], 100, current["at"])
            reads += len(referrals) + 1
            total = Decimal(current["sum"])
            for referral, _ in referrals:
                if since <= referral.registered_at <= until + "\uffff":
                    current["brought"] += 1
                if _ordered_within(referral, since, until):
                    orders = [
                        o
                        for o in q.orders_between(referral.participant_id, since, until)
                        if o.status != "cancelled"
                    ]
                    reads += len(orders) + 1
                    if orders:
                        current["bought"] += 1
                        total += sum((o.kept_amount for o in orders), Decimal(0))
            current["sum"] = str(total)
            if current["at"] is None:
                if current["brought"] or current["bought"]:
                    rows.append(
                        [current["id"], current["name"], current["brought"], current["bought"], money(total)]
                    )
                after, current = current["key"], None
            if len(rows) >= limit or reads >= STATS_READ_BUDGET:
                finished = current is None and not buffer and not more
                return Table(
                    REFERRAL_STATS_HEADER, rows, None if finished else {"after": after, "open": current}
                )


def _ordered_within(participant: ParticipantItem, since: str, until: str) -> bool:
    """Whether the participant's orders (first to last) can fall in the period at all (no read needed)."""
    first, last = participant.first_order_at, participant.last_order_at
    return bool(first and last and last >= since and first <= until + "\uffff")


def _point(metric: str, value: Decimal) -> Point:
    unit = UNITS[metric]
    if unit == "rub":
        return money(value)
    if unit in ("count", "points"):
        return int(value)
    return float(value)


def money(amount: Decimal | int | None) -> str:
    """A RUB amount as the API and the exports show it: text with kopecks, "1500.00" (never a float).

    DynamoDB gives numbers back without trailing zeros, so amounts are formatted, not just printed."""
    return str(Decimal(amount or 0).quantize(KOPECK))


def _profile_key(participant_id: str) -> dict[str, Any]:
    """A profile's key as the index pages carry it (what ``load_profiles`` takes)."""
    return {"PK": {"S": keys.participant_pk(participant_id)}, "SK": {"S": keys.PROFILE}}


def display_name(item: ParticipantItem) -> str:
    name = " ".join(part for part in (item.first_name, item.last_name) if part)
    return name or (f"@{item.username}" if item.username else item.participant_id)
