"""The ledger (one participant's, or the global feed) and the journal of admins' actions, newest first."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from referral.clock import day_bounds
from referral.errors import NotFound
from referral.read.query import (
    E,
    FeedWindow,
    Partition,
    V,
    feed_page,
    filtered_page,
    get,
    oldest_month,
)
from referral.read.views import AuditView, LedgerEntryView, audit_view, ledger_entry_view
from referral.repository import keys
from referral.repository.models import AuditItem, LedgerEntryItem, OrderItem, WithdrawalItem

Page = tuple[list[V], Any]
"""Items and the position to go on from (``None``: nothing follows)."""


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

    def matches(self, entry: LedgerEntryView) -> bool:
        wanted = (
            (self.participant_id, entry.participant_id),
            (self.kind, entry.kind),
            (self.level, entry.level),
            (self.posting_number, entry.posting_number),
            (self.withdrawal_id, entry.withdrawal_id),
            (self.actor_id, entry.actor_id),
        )
        return (
            all_equal(wanted)
            and (
                self.direction is None or (entry.total > 0 if self.direction == "credit" else entry.total < 0)
            )
            and within_days(entry.created_at, self.since, self.until)
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

    def matches(self, item: AuditView) -> bool:
        name = (self.object_name or "").casefold()
        wanted = (
            (self.actor_id, item.actor_id),
            (self.action, item.action),
            (self.object_type, item.object_type),
            (self.object_id, item.object_id),
        )
        return (
            all_equal(wanted)
            and (not name or name in (item.object_name or "").casefold())
            and within_days(item.created_at, self.since, self.until)
        )


def all_equal(pairs: tuple[tuple[object, object], ...]) -> bool:
    """Every filter (wanted, actual) with a wanted value (not ``None``) holds."""
    return all(wanted is None or wanted == actual for wanted, actual in pairs)


def within_days(moment: str, since: date | None, until: date | None) -> bool:
    """An ISO time is within two days (both included, either open)."""
    low, high = day_bounds(since, until)
    return (low is None or moment >= low) and (high is None or moment <= high)


def month_feed(
    feed: str,
    model: type[E],
    view: Callable[[E], V],
    now: datetime,
    span: tuple[date | None, date | None],
    predicate: Callable[[V], bool],
    limit: int,
    start: Any,
    descending: bool = True,
) -> Page[V]:
    """A page of a monthly feed between two days (either open), from the oldest month anything can be."""
    since, until = span
    window = FeedWindow(
        now, oldest_month(now), since.isoformat() if since else None, until.isoformat() if until else None
    )
    return feed_page(
        feed,
        model,
        view,
        window,
        predicate=predicate,
        limit=limit,
        cursor=(start[0], start[1]) if start else None,
        descending=descending,
    )


def participant_ledger(
    participant_id: str, flt: LedgerFilter, limit: int, start: Any
) -> Page[LedgerEntryView]:
    """A participant's ledger, newest first: its own partition, the dates as the key condition."""
    low, high = day_bounds(flt.since, flt.until)
    return filtered_page(
        Partition(
            keys.participant_pk(participant_id),
            condition=LedgerEntryItem.sk.between(*keys.ledger_sk_bounds(low, high)),
        ),
        LedgerEntryItem,
        ledger_entry_view,
        predicate=flt.matches,
        limit=limit,
        start=start,
        descending=True,
    )


def ledger(flt: LedgerFilter, limit: int, start: Any, now: datetime) -> Page[LedgerEntryView]:
    """The global ledger, newest first: the monthly feed, or one participant's partition.

    A withdrawal's entries are all in its participant's partition, and a posting's entries are no older
    than the order: both narrow what is read.
    """
    if flt.withdrawal_id is not None and flt.participant_id is None:
        request = get(WithdrawalItem, keys.withdrawal_pk(flt.withdrawal_id), keys.WITHDRAWAL_SK)
        if request is None:
            return [], None
        flt = replace(flt, participant_id=request.participant_id)
    if flt.participant_id is not None:
        return participant_ledger(flt.participant_id, flt, limit, start)
    if flt.posting_number is not None:
        order = get(OrderItem, keys.order_pk(flt.posting_number), keys.ORDER_SK)
        if order is None:
            return [], None
        ordered_on = date.fromisoformat(order.created_at[:10])
        flt = replace(flt, since=max(flt.since or ordered_on, ordered_on))
    return month_feed(
        keys.FEED_LEDGER,
        LedgerEntryItem,
        ledger_entry_view,
        now,
        (flt.since, flt.until),
        flt.matches,
        limit,
        start,
    )


def actions(flt: ActionFilter, limit: int, start: Any, now: datetime) -> Page[AuditView]:
    """Admins' actions, newest first: one object's trail (GSI1), or the monthly feed."""
    if flt.object_type is not None and flt.object_id is not None:
        return filtered_page(
            Partition(keys.audit_object_gsi(flt.object_type, flt.object_id), "GSI1"),
            AuditItem,
            audit_view,
            predicate=flt.matches,
            limit=limit,
            start=start,
            descending=True,
        )
    return month_feed(
        keys.FEED_AUDIT, AuditItem, audit_view, now, (flt.since, flt.until), flt.matches, limit, start
    )


def action(audit_id: str) -> AuditView:
    item = get(AuditItem, keys.audit_pk(audit_id), keys.AUDIT_SK)
    if item is None:
        raise NotFound("Journal record not found.", details={"audit_id": audit_id}, reason="audit_not_found")
    return audit_view(item)
