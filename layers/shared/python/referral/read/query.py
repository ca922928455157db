"""Bounded reads of the table: one Query page of an index (plus a BatchGetItem for keys-only indexes).

Every listing costs a bounded number of requests whatever the table size. Filters that are not a key
condition are applied to what the page read, within a read budget; a page may then hold fewer items
than asked, and its position says where to go on. Items are turned into read models (``view``) before
a filter sees them, except where a filter needs an index attribute (the participants' list).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, TypeVar

from pynamodb.expressions.condition import Condition

from referral.clock import month_number, month_of, month_within, next_month, previous_month
from referral.repository import keys
from referral.repository.models import AdminItem, Entity, ParticipantItem

SCAN_BUDGET = 500
"""Most keys or items one filtered listing request reads before it answers with a cursor."""

MONTH_BUDGET = 24
"""Most empty months a feed listing walks back in one request."""

SEEK = "seek"
"""The position of a page sorted in memory: the last row's sort value and id."""

E = TypeVar("E", bound=Entity)
T = TypeVar("T")
V = TypeVar("V")
Key = dict[str, Any]


def connection() -> Any:
    return Entity._get_connection()


def query(
    hash_key: str,
    *,
    index: str | None = None,
    condition: Condition | None = None,
    limit: int,
    start: Key | None,
    descending: bool,
) -> tuple[list[Key], Key | None]:
    """One Query page as raw items, and DynamoDB's last evaluated key."""
    response = connection().query(
        hash_key,
        range_key_condition=condition,
        index_name=index,
        limit=limit,
        exclusive_start_key=start,
        scan_index_forward=not descending,
    )
    return list(response.get("Items", [])), response.get("LastEvaluatedKey")


def key_of(raw: Key, names: tuple[str, ...]) -> Key:
    return {name: raw[name] for name in names if name in raw}


def entities(raw_items: list[Key], model: type[E]) -> list[E]:
    return [e for e in (Entity.from_raw_data(raw) for raw in raw_items) if isinstance(e, model)]


def get(model: type[E], pk: str, sk: str) -> E | None:
    try:
        return model.get(pk, sk)
    except model.DoesNotExist:
        return None


def profile_key(participant_id: str) -> Key:
    """A profile's key as the index pages carry it (what ``load_profiles`` takes)."""
    return {"PK": {"S": keys.participant_pk(participant_id)}, "SK": {"S": keys.PROFILE}}


def load_profiles(raw_keys: list[Key]) -> dict[str, ParticipantItem]:
    """One BatchGetItem (per 100) of the profiles named by index keys, by PK."""
    wanted = list(dict.fromkeys((k["PK"]["S"], k["SK"]["S"]) for k in raw_keys))
    if not wanted:
        return {}
    return {item.pk: item for item in ParticipantItem.batch_get(wanted)}


def sorted_page(
    items: list[T],
    position: Callable[[T], tuple[Any, str]],
    *,
    numeric: bool,
    descending: bool,
    limit: int,
    seek: list[Any] | None,
) -> tuple[list[T], Key | None]:
    """A page of a few items sorted in memory by (value, id); the cursor seeks past the last row."""

    def key(item: T) -> tuple[Any, str]:
        value, ident = position(item)
        return (Decimal(value or 0) if numeric else str(value or "")), ident

    ordered = sorted(items, key=key, reverse=descending)
    if seek is not None:
        after = (Decimal(seek[0]) if numeric else seek[0]), seek[1]
        ordered = [i for i in ordered if (key(i) < after if descending else key(i) > after)]
    page = ordered[:limit]
    if len(ordered) <= limit:
        return page, None
    value, ident = key(page[-1])
    return page, {SEEK: [str(value), ident]}


def index_page(
    hash_key: str,
    index: str,
    key_names: tuple[str, ...],
    load: Callable[[list[Key]], dict[str, T]],
    *,
    condition: Condition | None,
    predicate: Callable[[T], bool] | None,
    limit: int,
    start: Key | None,
    descending: bool,
) -> tuple[list[T], Key | None]:
    """A page of a keys-only index, the items loaded by one BatchGetItem per index page (``load``, by PK).

    With a ``predicate`` the index is read on until the page is full or ``SCAN_BUDGET`` entries are read.
    """
    found: list[T] = []
    scanned = 0
    while True:
        page_size = min(100, max(limit, SCAN_BUDGET - scanned)) if predicate else limit - len(found)
        raw_keys, last = query(
            hash_key, index=index, condition=condition, limit=page_size, start=start, descending=descending
        )
        loaded = load(raw_keys)
        for raw in raw_keys:
            item = loaded.get(raw["PK"]["S"])
            if item is not None and (predicate is None or predicate(item)):
                found.append(item)
                if len(found) == limit:
                    more = last is not None or raw is not raw_keys[-1]
                    return found, (key_of(raw, key_names) if more else None)
        scanned += len(raw_keys)
        if last is None or scanned >= SCAN_BUDGET or predicate is None:
            return found, last
        start = last


@dataclass(frozen=True, slots=True)
class Partition:
    """Where a filtered page reads: one partition of the table or of an index, and its key range."""

    hash_key: str
    index: str | None = None
    condition: Condition | None = None

    @property
    def key_names(self) -> tuple[str, ...]:
        index = self.index
        return ("PK", "SK") if index is None else ("PK", "SK", f"{index}PK", f"{index}SK")


def filtered_page(
    partition: Partition,
    model: type[E],
    view: Callable[[E], V],
    *,
    predicate: Callable[[V], bool],
    limit: int,
    start: Key | None,
    descending: bool,
) -> tuple[list[V], Key | None]:
    """Items of one partition (table or index) as read models, filtered in code, within the read budget."""
    found: list[V] = []
    scanned = 0
    while True:
        raw_items, last = query(
            partition.hash_key,
            index=partition.index,
            condition=partition.condition,
            limit=min(100, max(limit, 25)),
            start=start,
            descending=descending,
        )
        for raw in raw_items:
            entity = Entity.from_raw_data(raw)
            if isinstance(entity, model) and predicate(candidate := view(entity)):
                found.append(candidate)
                if len(found) == limit:
                    more = last is not None or raw is not raw_items[-1]
                    return found, (key_of(raw, partition.key_names) if more else None)
        scanned += len(raw_items)
        if last is None or scanned >= SCAN_BUDGET:
            return found, last
        start = last


# --- monthly feeds (GSI2) ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FeedWindow:
    """The months of a feed a listing may walk and the ISO bounds of its items (either open)."""

    newest: datetime
    oldest_month: str
    since: str | None = None
    until: str | None = None

    @property
    def first(self) -> str:
        since = self.since
        return max(self.oldest_month, since[:7], key=month_number) if since else self.oldest_month

    @property
    def last(self) -> str:
        until = self.until
        return min(month_of(self.newest), until[:7], key=month_number) if until else month_of(self.newest)

    def condition(self) -> Condition | None:
        since, until = self.since, self.until
        if since and until:
            return Entity.gsi2sk.between(since, until + "\uffff")
        if since:
            return Entity.gsi2sk >= since
        if until:
            return Entity.gsi2sk <= until + "\uffff"
        return None


FeedCursor = tuple[str, Key | None]


def feed_page(
    feed: str,
    model: type[E],
    view: Callable[[E], V],
    window: FeedWindow,
    *,
    predicate: Callable[[V], bool],
    limit: int,
    cursor: FeedCursor | None,
    descending: bool = True,
) -> tuple[list[V], FeedCursor | None]:
    """Walk the month partitions of a feed (newest first unless ascending) from ``cursor``."""
    first, last = window.first, window.last
    step = previous_month if descending else next_month
    month, start = cursor if cursor else ((last if descending else first), None)
    condition = window.condition()
    found: list[V] = []
    scanned = walked = 0
    names = ("PK", "SK", "GSI2PK", "GSI2SK")
    while month_within(month, first, last):
        raw_items, lek = query(
            keys.feed_pk(feed, month),
            index="GSI2",
            condition=condition,
            limit=min(100, max(limit, 25)),
            start=start,
            descending=descending,
        )
        for raw in raw_items:
            entity = Entity.from_raw_data(raw)
            if isinstance(entity, model) and predicate(candidate := view(entity)):
                found.append(candidate)
                if len(found) == limit:
                    if raw is not raw_items[-1] or lek is not None:
                        return found, (month, key_of(raw, names))
                    following = step(month)
                    return found, ((following, None) if month_within(following, first, last) else None)
        scanned += len(raw_items)
        walked += 1
        month, start = (month, lek) if lek is not None else (step(month), None)
        if scanned >= SCAN_BUDGET or walked >= MONTH_BUDGET:
            return found, ((month, start) if month_within(month, first, last) else None)
    return found, None


def feed_items(feed: str, month: str, model: type[E], view: Callable[[E], V]) -> Iterator[V]:
    """Every item of one month of a feed (rollups; cost proportional to the month)."""
    start: Key | None = None
    while True:
        raw_items, start = query(
            keys.feed_pk(feed, month), index="GSI2", limit=500, start=start, descending=False
        )
        for entity in entities(raw_items, model):
            yield view(entity)
        if start is None:
            return


def first_registration_month() -> str | None:
    raw_keys, _ = query(keys.PARTICIPANT_LIST, index="P_REGISTERED", limit=1, start=None, descending=False)
    return raw_keys[0]["registered_at"]["S"][:7] if raw_keys else None


def oldest_month(now: datetime) -> str:
    """The first month any feed can hold anything: the first registration or the first admin."""
    months = [month_of(now)]
    first = first_registration_month()
    if first:
        months.append(first)
    admins = [i for i in Entity.by_owner.query(keys.ADMINS_GSI) if isinstance(i, AdminItem)]
    months += [a.created_at[:7] for a in admins if a.created_at]
    return min(months)
