"""What the operators' API lists: participants, referrals by level, ledgers, withdrawals, the journal.

Routes translate HTTP to the filters below and back; here are the rules of each listing (which index
or feed serves it, what is filtered after reading) over ``admin_queries``. A listing returns its items
and an opaque position (``None`` at the end) that the API seals into a cursor.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any, TypeVar

from referral.clock import utcnow
from referral.domain.participants import NetworkLevel
from referral.errors import NotFound
from referral.repository import admin_queries as q
from referral.repository import keys
from referral.repository.admin_queries import ParticipantFilter as ParticipantFilter
from referral.repository.admin_queries import Range as Range
from referral.repository.models import (
    AuditItem,
    LedgerEntryItem,
    OrderItem,
    ParticipantItem,
    WithdrawalEventItem,
    WithdrawalItem,
)
from referral.repository.participants import ParticipantRepository
from referral.repository.withdrawals import WithdrawalRepository

T = TypeVar("T")
Page = tuple[list[T], Any]
"""Items and the position to go on from (``None``: nothing follows)."""

LEVEL_READ_BUDGET = 25
"""Most sponsor Queries one page of a referral level walks."""

STATUS_ORDER = ("new", "negotiation", "paid", "rejected", "cancelled")
"""The order of ``sort=status``: the workflow's, open requests first."""

OPEN_STATUSES = ("new", "negotiation")


def day_bounds(since: date | None, until: date | None) -> tuple[str | None, str | None]:
    """Inclusive days as bounds of ISO timestamps: ``until`` covers its whole day."""
    return (since.isoformat() if since else None, f"{until.isoformat()}~" if until else None)


@dataclass(frozen=True)
class LedgerFilter:
    """Filters of a ledger listing (one participant's, or the global one); ``None`` = any."""

    participant_id: str | None = None
    kind: str | None = None
    level: int | None = None
    posting_number: str | None = None
    withdrawal_id: str | None = None
    direction: str | None = None
    """``credit`` (the balance grew) or ``debit``."""
    actor_id: str | None = None
    since: date | None = None
    until: date | None = None

    def matches(self, entry: LedgerEntryItem) -> bool:
        low, high = day_bounds(self.since, self.until)
        total = entry.d_frozen + entry.d_available
        return (
            (self.participant_id is None or entry.participant_id == self.participant_id)
            and (self.kind is None or entry.kind == self.kind)
            and (self.level is None or entry.level == self.level)
            and (self.posting_number is None or entry.posting_number == self.posting_number)
            and (self.withdrawal_id is None or entry.withdrawal_id == self.withdrawal_id)
            and (self.direction is None or (total > 0 if self.direction == "credit" else total < 0))
            and (self.actor_id is None or entry.actor_id == self.actor_id)
            and (low is None or entry.created_at >= low)
            and (high is None or entry.created_at <= high)
        )


@dataclass(frozen=True)
class WithdrawalFilter:
    status: str | None = None
    participant_id: str | None = None
    since: date | None = None
    until: date | None = None
    points_min: int | None = None
    points_max: int | None = None

    def matches(self, item: WithdrawalItem, *, status: bool = True) -> bool:
        low, high = day_bounds(self.since, self.until)
        return (
            (not status or self.status is None or item.status == self.status)
            and (self.participant_id is None or item.participant_id == self.participant_id)
            and (self.points_min is None or item.points >= self.points_min)
            and (self.points_max is None or item.points <= self.points_max)
            and (low is None or item.created_at >= low)
            and (high is None or item.created_at <= high)
        )


@dataclass(frozen=True)
class ActionFilter:
    """Filters of the admins' actions journal."""

    actor_id: str | None = None
    action: str | None = None
    object_type: str | None = None
    object_id: str | None = None
    object_name: str | None = None
    """Case-insensitive part of the object's name."""
    since: date | None = None
    until: date | None = None

    def matches(self, item: AuditItem) -> bool:
        low, high = day_bounds(self.since, self.until)
        name = (self.object_name or "").casefold()
        return (
            (self.actor_id is None or item.actor_id == self.actor_id)
            and (not name or name in (item.object_name or "").casefold())
            and (self.action is None or item.action == self.action)
            and (self.object_type is None or item.object_type == self.object_type)
            and (self.object_id is None or item.object_id == self.object_id)
            and (low is None or item.created_at >= low)
            and (high is None or item.created_at <= high)
        )


@dataclass(frozen=True)
class Card:
    """A participant with what the card shows beside the profile."""

    profile: ParticipantItem
    levels: list[NetworkLevel]
    last_order: OrderItem | None


@dataclass(frozen=True)
class WithdrawalView:
    request: WithdrawalItem
    participant_name: str | None
    history: list[WithdrawalEventItem]


class ListingService:
    def __init__(
        self,
        participants: ParticipantRepository,
        withdrawals: WithdrawalRepository,
        *,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.participant_repository = participants
        self.withdrawal_repository = withdrawals
        self.clock = clock

    # --- participants ---------------------------------------------------------------------------------

    def profile(self, participant_id: str) -> ParticipantItem:
        item = q.get_participant(participant_id)
        if item is None:
            raise NotFound(
                "Participant not found.",
                details={"participant_id": participant_id},
                reason="participant_not_found",
            )
        return item

    def participants(
        self,
        sort: str,
        descending: bool,
        limit: int,
        flt: ParticipantFilter,
        start: Any,
        *,
        ozon_id: str | None = None,
    ) -> Page[ParticipantItem]:
        """A page of the list; an Ozon ID narrows it to that ID's owner (one GetItem)."""
        if ozon_id is not None:
            identity = self.participant_repository.get_ozon_identity(ozon_id)
            owner = identity.participant_id if identity and identity.participant_id else None
            if owner is None or (flt.participant_id is not None and flt.participant_id != owner):
                return [], None
            flt = replace(flt, participant_id=owner)
        return q.participants_page(sort, descending, limit, flt, start)

    def card(self, participant_id: str) -> Card:
        item = self.profile(participant_id)
        levels = self.participant_repository.network_levels(participant_id)
        last_orders, _ = q.filtered_page(
            keys.orders_gsi(participant_id),
            OrderItem,
            index="GSI1",
            condition=None,
            predicate=lambda o: o.status != "cancelled",
            limit=1,
            start=None,
            descending=True,
        )
        return Card(
            item, sorted(levels.values(), key=lambda lv: lv.level), last_orders[0] if last_orders else None
        )

    def referrals(self, root: str, level: int, limit: int, state: Any) -> Page[ParticipantItem]:
        """Level k = the children of level k-1, parent by parent (depth-first over sponsors' referrals).

        The position holds the chain of parents being expanded (each with its index key, so the walk
        moves to the next sibling with one Query) and where the current parent's children resume.
        """
        self.profile(root)
        state = state or {"path": [], "key": None}
        found: list[ParticipantItem] = []
        path: list[dict[str, Any]] = list(state.get("path") or [])
        key = state.get("key")
        reads = 0
        while reads < LEVEL_READ_BUDGET:
            parent = path[-1]["id"] if path else root
            if len(path) < level - 1:
                children, _ = q.children(parent, 1, None)
                reads += 1
                if children:
                    path.append(_frame(*children[0]))
                    continue
                moved, cost = _advance(path, root)
                reads += cost
                if not moved:
                    return found, None
                continue
            page, last = q.children(parent, limit - len(found), key)
            reads += 1
            found.extend(item for item, _ in page)
            if last is not None:
                key = last
                if len(found) >= limit:
                    return found, {"path": path, "key": key}
                continue
            key = None
            if level == 1:
                return found, None
            moved, cost = _advance(path, root)
            reads += cost
            if not moved:
                return found, None
            if len(found) >= limit:
                return found, {"path": path, "key": None}
        return found, {"path": path, "key": key}

    # --- ledgers -------------------------------------------------------------------------------------

    def participant_ledger(
        self, participant_id: str, flt: LedgerFilter, limit: int, start: Any
    ) -> Page[LedgerEntryItem]:
        """A participant's ledger, newest first: its own partition, the dates as the key condition."""
        if start is None:
            self.profile(participant_id)
        return self._partition_ledger(participant_id, flt, limit, start)

    @staticmethod
    def _partition_ledger(
        participant_id: str, flt: LedgerFilter, limit: int, start: Any
    ) -> Page[LedgerEntryItem]:
        low, high = day_bounds(flt.since, flt.until)
        return q.filtered_page(
            keys.participant_pk(participant_id),
            LedgerEntryItem,
            index=None,
            condition=q.ledger_sk_range(low, high),
            predicate=flt.matches,
            limit=limit,
            start=start,
            descending=True,
        )

    def ledger(self, flt: LedgerFilter, limit: int, start: Any) -> Page[LedgerEntryItem]:
        """The global ledger, newest first: the monthly feed, or one participant's partition.

        A withdrawal's entries are all in its participant's partition, and a posting's entries are no
        older than the order: both narrow what is read.
        """
        if flt.withdrawal_id is not None and flt.participant_id is None:
            request = q.get_withdrawal(flt.withdrawal_id)
            if request is None:
                return [], None
            flt = replace(flt, participant_id=request.participant_id)
        if flt.participant_id is not None:
            return self._partition_ledger(flt.participant_id, flt, limit, start)
        if flt.posting_number is not None:
            order = q.get_order(flt.posting_number)
            if order is None:
                return [], None
            ordered_on = date.fromisoformat(order.created_at[:10])
            flt = replace(flt, since=max(flt.since or ordered_on, ordered_on))
        return self._feed("ledger", LedgerEntryItem, flt.since, flt.until, flt.matches, limit, start)

    # --- withdrawals ---------------------------------------------------------------------------------

    def withdrawals(
        self, flt: WithdrawalFilter, sort: str, descending: bool, limit: int, start: Any
    ) -> Page[WithdrawalItem]:
        """Requests by date (newest first by default), points, fiat amount or status (then newest first).

        By date: the monthly feed, or the participant's partition. By points or amount: the ``W_POINTS``
        / ``W_AMOUNT`` index (a points range is its key condition), or a participant's few requests sorted
        in memory. By status: the open ones from the ``W_QUEUE`` index, then the closed ones from the feed.
        """
        if sort == "status":
            return self._withdrawals_by_status(flt, descending, limit, start)
        if sort != "created_at":
            mine = q.withdrawals_of(flt.participant_id, q.CANDIDATES) if flt.participant_id else None
            if mine is not None:
                attribute = "points" if sort == "points" else "fiat_amount"
                return q.sorted_page(
                    [w for w in mine if flt.matches(w)],
                    lambda w: (getattr(w, attribute), w.created_at + w.withdrawal_id),
                    numeric=True,
                    descending=descending,
                    limit=limit,
                    seek=start.get(q.SEEK) if start else None,
                )
            ranged = sort == "points"
            narrowed = replace(flt, points_min=None, points_max=None) if ranged else flt
            return q.withdrawals_by(
                sort,
                low=flt.points_min if ranged else None,
                high=flt.points_max if ranged else None,
                predicate=narrowed.matches if narrowed != WithdrawalFilter() else None,
                limit=limit,
                start=start,
                descending=descending,
            )
        if flt.participant_id is not None:
            return q.filtered_page(
                keys.withdrawals_gsi(flt.participant_id),
                WithdrawalItem,
                index="GSI1",
                condition=None,
                predicate=flt.matches,
                limit=limit,
                start=start,
                descending=descending,
            )
        return self._feed(
            "withdrawals", WithdrawalItem, flt.since, flt.until, flt.matches, limit, start, descending
        )

    def _withdrawals_by_status(
        self, flt: WithdrawalFilter, descending: bool, limit: int, start: Any
    ) -> Page[WithdrawalItem]:
        """Status by status in the workflow's order (reversed when descending), each newest first."""
        statuses = [s for s in STATUS_ORDER if flt.status in (None, s)]
        if descending:
            statuses.reverse()
        position = start or {"status": statuses[0], "inner": None}
        found: list[WithdrawalItem] = []
        for status in statuses[statuses.index(position["status"]) :]:
            inner = position["inner"] if status == position["status"] else None
            wanted = limit - len(found)
            if status in OPEN_STATUSES:
                page, inner = q.open_withdrawals(
                    status, predicate=lambda w: flt.matches(w, status=False), limit=wanted, start=inner
                )
            else:
                narrowed = replace(flt, status=status)
                page, inner = self._feed(
                    "withdrawals", WithdrawalItem, flt.since, flt.until, narrowed.matches, wanted, inner
                )
            found += page
            if inner is not None:
                return found, {"status": status, "inner": inner}
            if len(found) >= limit:
                following = statuses.index(status) + 1
                return found, (
                    {"status": statuses[following], "inner": None} if following < len(statuses) else None
                )
        return found, None

    @staticmethod
    def open_withdrawal_counts() -> dict[str, int]:
        """Requests waiting per open status (the badge): count queries on the sparse queue index."""
        return q.open_withdrawal_counts()

    def withdrawal(self, withdrawal_id: str) -> WithdrawalView:
        item = q.get_withdrawal(withdrawal_id)
        if item is None:
            raise NotFound(
                "Withdrawal request not found.",
                details={"withdrawal_id": withdrawal_id},
                reason="withdrawal_not_found",
            )
        participants = self.participant_repository.get_participants([item.participant_id])
        participant = participants.get(item.participant_id)
        return WithdrawalView(
            item,
            participant.profile.display_name if participant else None,
            self.withdrawal_repository.withdrawal_events(withdrawal_id),
        )

    # --- the journal ---------------------------------------------------------------------------------

    def actions(self, flt: ActionFilter, limit: int, start: Any) -> Page[AuditItem]:
        """Admins' actions, newest first: one object's trail (GSI1), or the monthly feed."""
        if flt.object_type is not None and flt.object_id is not None:
            return q.filtered_page(
                keys.audit_object_gsi(flt.object_type, flt.object_id),
                AuditItem,
                index="GSI1",
                condition=None,
                predicate=flt.matches,
                limit=limit,
                start=start,
                descending=True,
            )
        return self._feed("audit", AuditItem, flt.since, flt.until, flt.matches, limit, start)

    def action(self, audit_id: str) -> AuditItem:
        item = q.get_audit(audit_id)
        if item is None:
            raise NotFound(
                "Journal record not found.", details={"audit_id": audit_id}, reason="audit_not_found"
            )
        return item

    def _feed(
        self,
        feed: str,
        model: type[Any],
        since: date | None,
        until: date | None,
        predicate: Callable[[Any], bool],
        limit: int,
        start: Any,
        descending: bool = True,
    ) -> Page[Any]:
        now = self.clock()
        return q.feed_page(
            q.FEEDS[feed],
            model,
            newest=now,
            oldest_month=q.oldest_month(now),
            since=since.isoformat() if since else None,
            until=until.isoformat() if until else None,
            predicate=predicate,
            limit=limit,
            cursor=(start[0], start[1]) if start else None,
            descending=descending,
        )


def _frame(item: ParticipantItem, raw_key: dict[str, Any]) -> dict[str, Any]:
    return {"id": item.participant_id, "key": raw_key}


def _advance(path: list[dict[str, Any]], root: str) -> tuple[bool, int]:
    """Move the deepest parent to its next sibling, climbing when a sibling list ends."""
    reads = 0
    while path:
        frame = path.pop()
        parent = path[-1]["id"] if path else root
        siblings, _ = q.children(parent, 1, frame["key"])
        reads += 1
        if siblings:
            path.append(_frame(*siblings[0]))
            return True, reads
    return False, reads
