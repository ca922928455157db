"""CSV exports, in parts: the referral tree, purchases of a period, per-sponsor referral statistics.

Each part reads a bounded amount and says where the next part starts (its position). Cells keep their
types (amounts as ``Decimal``, times as ISO text) for the writer (``referral.admin.csv_export``) to
format; people are named by id, name and @username.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from referral.read.network import all_participants_by_registration, children, orders_between, profiles_of
from referral.read.payouts import payouts as payout_rows
from referral.read.query import FeedWindow, feed_page
from referral.read.views import KOPECK, OrderView, ParticipantView, order_view
from referral.repository import keys
from referral.repository.models import OrderItem

STATS_READ_BUDGET = 5000
"""About how many items one part of the referral-stats export reads."""

TREE_HEADER = ["participant_id", "name", "username", "registered_at", "sponsor_id", "sponsor_name"]
PURCHASES_HEADER = [
    "participant_id",
    "name",
    "username",
    "sponsor_id",
    "sponsor_name",
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
    "username",
    "referrals_brought",
    "referrals_bought",
    "referrals_purchases_sum",
]


def amount(value: Decimal | int | None) -> Decimal:
    """A RUB amount with kopecks, as a number for the writer to format."""
    return Decimal(value or 0).quantize(KOPECK)


@dataclass(frozen=True, slots=True)
class Table:
    """One part of a CSV export: its rows and where the next part starts (``None``: the last part)."""

    header: list[str]
    rows: list[list[Any]]
    position: Any = None


def referral_tree(start: Any, limit: int) -> Table:
    """Everyone, oldest first, with who invited them: ``limit`` rows from ``start``."""
    items: list[ParticipantView] = []
    while len(items) < limit:
        page, start = all_participants_by_registration(start, min(100, limit - len(items)))
        items.extend(item for item, _ in page)
        if start is None:
            break
    sponsors = profiles_of(list(dict.fromkeys(i.sponsor_id for i in items if i.sponsor_id)))
    rows = []
    for item in items:
        sponsor = sponsors.get(item.sponsor_id) if item.sponsor_id else None
        rows.append(
            [
                item.participant_id,
                item.display_name,
                item.username or "",
                item.registered_at,
                item.sponsor_id or "",
                sponsor.display_name if sponsor else "",
            ]
        )
    return Table(TREE_HEADER, rows, start)


def purchases(since: str, until: str, referrals_only: bool, limit: int, start: Any, now: datetime) -> Table:
    """Attributed purchases of a period, oldest first, from the orders feed: ``limit`` per part."""
    orders, position = feed_page(
        keys.FEED_ORDERS,
        OrderItem,
        order_view,
        FeedWindow(now, since[:7], since, until),
        predicate=lambda o: o.participant_id is not None,
        limit=limit,
        cursor=(start[0], start[1]) if start else None,
        descending=False,
    )
    buyers = profiles_of(list(dict.fromkeys(o.participant_id for o in orders if o.participant_id)))
    sponsors = profiles_of(list(dict.fromkeys(b.sponsor_id for b in buyers.values() if b.sponsor_id)))
    rows = []
    for order in orders:
        buyer = buyers.get(order.participant_id or "")
        if referrals_only and (buyer is None or not buyer.sponsor_id):
            continue
        sponsor = sponsors.get(buyer.sponsor_id) if buyer and buyer.sponsor_id else None
        rows.append(_purchase_row(order, buyer, sponsor))
    return Table(PURCHASES_HEADER, rows, position)


def _purchase_row(
    order: OrderView, buyer: ParticipantView | None, sponsor: ParticipantView | None
) -> list[Any]:
    return [
        order.participant_id,
        buyer.display_name if buyer else "",
        (buyer.username or "") if buyer else "",
        buyer.sponsor_id if buyer else "",
        sponsor.display_name if sponsor else "",
        "ozon",
        order.scheme,
        order.posting_number,
        order.order_number or "",
        order.created_at,
        order.status,
        amount(order.amount),
        amount(order.kept_amount),
        order.attribution or "",
    ]


@dataclass
class _StatsWalk:
    """Where a referral-stats part is: the last participant done, a sponsor in progress, reads so far."""

    since: str
    until: str
    after: Any
    current: dict[str, Any] | None
    buffer: list[tuple[ParticipantView, Any]] = field(default_factory=list)
    more: bool = True
    reads: int = 0

    def next_sponsor(self) -> bool:
        """Open the next participant with referrals (False: everyone is done)."""
        while True:
            if not self.buffer and self.more:
                self.buffer, last = all_participants_by_registration(self.after, 100)
                self.reads += len(self.buffer) + 1
                self.more = last is not None
            if not self.buffer:
                return False
            item, key = self.buffer.pop(0)
            if item.direct_referrals:
                self.current = {"key": key, "id": item.participant_id, "name": item.display_name, "at": None}
                self.current["username"] = item.username or ""
                self.current.update(brought=0, bought=0, sum="0")
                return True
            self.after = key

    def read_referrals(self, current: dict[str, Any]) -> None:
        """One page of the open sponsor's referrals and, for those who can have bought, their orders."""
        referrals, current["at"] = children(current["id"], 100, current["at"])
        self.reads += len(referrals) + 1
        total = Decimal(current["sum"])
        for referral, _ in referrals:
            if self.since <= referral.registered_at <= self.until + "\uffff":
                current["brought"] += 1
            if _ordered_within(referral, self.since, self.until):
                orders = [
                    o
                    for o in orders_between(referral.participant_id, self.since, self.until)
                    if o.status != "cancelled"
                ]
                self.reads += len(orders) + 1
                if orders:
                    current["bought"] += 1
                    total += sum((o.kept_amount for o in orders), Decimal(0))
        current["sum"] = str(total)

    @property
    def finished(self) -> bool:
        return self.current is None and not self.buffer and not self.more


def referral_stats(since: str, until: str, limit: int, start: Any) -> Table:
    """Per sponsor, in the order they registered: referrals who registered in the period, how many
    referrals bought in it, and their purchase sum — a part of at most ``limit`` rows.

    Bounded per part: it walks the participants oldest first (keys + one BatchGetItem per 100) and, for
    each sponsor, their referrals (GSI1) and the orders of the period of those whose first and last order
    dates overlap it (GSI1), stopping after about ``STATS_READ_BUDGET`` items; the position (the last
    participant done, and a sponsor in progress with its partial sums) is the next part's cursor.
    """
    state = start or {"after": None, "open": None}
    walk = _StatsWalk(since, until, state["after"], state["open"])
    rows: list[list[Any]] = []
    while True:
        if walk.current is None and not walk.next_sponsor():
            return Table(REFERRAL_STATS_HEADER, rows)
        current = walk.current
        assert current is not None
        walk.read_referrals(current)
        if current["at"] is None:
            if current["brought"] or current["bought"]:
                rows.append(
                    [
                        current["id"],
                        current["name"],
                        current.get("username", ""),
                        current["brought"],
                        current["bought"],
                        amount(Decimal(current["sum"])),
                    ]
                )
            walk.after, walk.current = current["key"], None
        if len(rows) >= limit or walk.reads >= STATS_READ_BUDGET:
            position = None if walk.finished else {"after": walk.after, "open": walk.current}
            return Table(REFERRAL_STATS_HEADER, rows, position)


def _ordered_within(participant: ParticipantView, since: str, until: str) -> bool:
    """Whether the participant's orders (first to last) can fall in the period at all (no read needed)."""
    first, last = participant.first_order_at, participant.last_order_at
    return bool(first and last and last >= since and first <= until + "\uffff")


def payouts(since: str, until: str, statuses: list[str], limit: int, start: Any, now: datetime) -> Table:
    """Withdrawal requests of a period with their payouts, for accounting (``referral.read.payouts``)."""
    header, rows, position = payout_rows(since, until, statuses, limit, start, now)
    return Table(header, rows, position)
