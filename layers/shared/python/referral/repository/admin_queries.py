"""Read side of the admin API: lists with filters, sorts and cursors; feeds; ratings; rollups.

Every listing costs a bounded number of requests whatever the table size: one Query page of an index
(plus one BatchGetItem where the index projects keys only). Filters that are not a key condition are
applied to what the page read, within a read budget; a page may then hold fewer items than asked, and
its cursor says where to go on.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, TypeVar

from pynamodb.expressions.condition import Condition

from referral.clock import month_of
from referral.domain.withdrawals import WithdrawalStatus
from referral.repository import keys
from referral.repository.keys import (
    FEED_AUDIT,
    FEED_LEDGER,
    FEED_ORDERS,
    FEED_PARTICIPANTS,
    FEED_WITHDRAWALS,
)
from referral.repository.models import (
    WITHDRAWAL_LIST,
    AdminItem,
    AuditItem,
    Entity,
    LedgerEntryItem,
    OrderItem,
    ParticipantItem,
    RollupItem,
    WithdrawalItem,
)

SCAN_BUDGET = 500
"""Most keys or items one filtered listing request reads before it answers with a cursor."""

MONTH_BUDGET = 24
"""Most empty months a feed listing walks back in one request."""

FEEDS = {
    "ledger": FEED_LEDGER,
    "audit": FEED_AUDIT,
    "withdrawals": FEED_WITHDRAWALS,
    "participants": FEED_PARTICIPANTS,
    "orders": FEED_ORDERS,
}

E = TypeVar("E", bound=Entity)
Key = dict[str, Any]


@dataclass(frozen=True, slots=True)
class SortSpec:
    index: str
    attribute: Any
    numeric: bool


SORTS: dict[str, SortSpec] = {
    "id": SortSpec("P_ID", ParticipantItem.sort_id, False),
    "name": SortSpec("P_NAME", ParticipantItem.sort_name, False),
    "registered_at": SortSpec("P_REGISTERED", ParticipantItem.registered_at, False),
    "balance": SortSpec("P_BALANCE", ParticipantItem.balance, True),
    "last_order_at": SortSpec("P_LAST_ORDER", ParticipantItem.sort_last_order, False),
    "referrals": SortSpec("P_REFERRALS", ParticipantItem.direct_referrals, True),
    "purchases_sum": SortSpec("P_PURCHASES", ParticipantItem.purchases_sum, True),
    "accrued": SortSpec("P_ACCRUED", ParticipantItem.accrued_total, True),
    "withdrawn": SortSpec("P_WITHDRAWN", ParticipantItem.withdrawn, True),
    "network_orders": SortSpec("P_NET_ORDERS", ParticipantItem.network_orders, True),
    "network_amount": SortSpec("P_NET_AMOUNT", ParticipantItem.network_amount, True),
}


@dataclass(frozen=True)
class Range:
    """Inclusive bounds; either may be open. Values are in the attribute's own type."""

    low: Any = None
    high: Any = None

    @property
    def is_open(self) -> bool:
        return self.low is None and self.high is None

    def contains(self, value: Any) -> bool:
        if value is None:
            return False
        return (self.low is None or value >= self.low) and (self.high is None or value <= self.high)


@dataclass(frozen=True)
class ParticipantFilter:
    """Filters of the participants list; ranges are keyed by the sort names of ``SORTS``."""

    participant_id: str | None = None
    name: str | None = None
    """Case-insensitive prefix of the name (first + last name, or the username without one) or of the
    Telegram @username; with a leading '@' only the username counts."""
    blocked: bool | None = None
    sponsor_id: str | None = None
    ranges: dict[str, Range] = field(default_factory=dict)

    @property
    def name_prefix(self) -> str | None:
        """What the name must start with (``None``: a search by @username only)."""
        term = (self.name or "").strip().casefold()
        return term if term and not term.startswith("@") else None

    @property
    def username_prefix(self) -> str | None:
        term = (self.name or "").strip().casefold().lstrip("@")
        return term or None

    def matches(self, item: ParticipantItem, *, skip: str | None = None) -> bool:
        """Every filter holds; ``skip`` names the sort whose range the index already applied."""
        if self.blocked is not None and bool(item.blocked) != self.blocked:
            return False
        if self.sponsor_id is not None and item.sponsor_id != self.sponsor_id:
            return False
        if self.name and not self._name_matches(item):
            return False
        for sort, bounds in self.ranges.items():
            if sort != skip and not bounds.is_open and not bounds.contains(_sort_value(item, sort)):
                return False
        return True

    def _name_matches(self, item: ParticipantItem) -> bool:
        name, username = self.name_prefix, self.username_prefix
        return bool(
            (name and (item.sort_name or "").startswith(name))
            or (username and (item.username or "").casefold().lstrip("@").startswith(username))
        )

    def post_filters(self, sort: str) -> bool:
        """Whether anything is left to check after the key condition of ``sort``."""
        return (
            self.blocked is not None
            or self.sponsor_id is not None
            or bool(self.name)
            or any(s != sort and not r.is_open for s, r in self.ranges.items())
        )


def _sort_value(item: ParticipantItem, sort: str) -> Any:
    if sort == "id":
        return item.participant_id
    if sort == "last_order_at":
        return item.last_order_at
    if sort == "balance":
        return item.frozen + item.available
    return getattr(item, SORTS[sort].attribute.attr_name, None)


def _key_condition(sort: str, flt: ParticipantFilter) -> Condition | None:
    attribute = SORTS[sort].attribute
    bounds = flt.ranges.get(sort)
    if sort == "last_order_at":
        low = bounds.low if bounds else None
        high = bounds.high if bounds else None
        if low is None and high is None:
            return None
        return attribute.between(low or "0", high or "\uffff")  # type: ignore[no-any-return]
    if bounds is None or bounds.is_open or sort == "id":
        return None
    if bounds.low is not None and bounds.high is not None:
        return attribute.between(bounds.low, bounds.high)  # type: ignore[no-any-return]
    if bounds.low is not None:
        return attribute >= bounds.low  # type: ignore[no-any-return]
    return attribute <= bounds.high  # type: ignore[no-any-return]


def _connection() -> Any:
    return Entity._get_connection()


def _query(
    hash_key: str,
    *,
    index: str | None = None,
    condition: Condition | None = None,
    filter_condition: Condition | None = None,
    limit: int,
    start: Key | None,
    descending: bool,
) -> tuple[list[Key], Key | None]:
    response = _connection().query(
        hash_key,
        range_key_condition=condition,
        filter_condition=filter_condition,
        index_name=index,
        limit=limit,
        exclusive_start_key=start,
        scan_index_forward=not descending,
    )
    return list(response.get("Items", [])), response.get("LastEvaluatedKey")


def _key_of(raw: Key, names: tuple[str, ...]) -> Key:
    return {name: raw[name] for name in names if name in raw}


def load_profiles(raw_keys: list[Key]) -> dict[str, ParticipantItem]:
    """One BatchGetItem (per 100) of the profiles named by index keys, by PK."""
    wanted = list(dict.fromkeys((k["PK"]["S"], k["SK"]["S"]) for k in raw_keys))
    if not wanted:
        return {}
    return {item.pk: item for item in ParticipantItem.batch_get(wanted)}


# --- participants ----------------------------------------------------------------------------------------


def participants_page(
    sort: str, descending: bool, limit: int, flt: ParticipantFilter, start: Key | None
) -> tuple[list[ParticipantItem], Key | None]:
    """A page of participants in ``sort`` order.

    * One participant by id: one GetItem.
    * A sponsor's referrals, or a name search, when at most ``CANDIDATES`` participants can match: the
      candidates are read from their own index (the sponsor's partition of GSI1; the ``P_NAME`` and
      ``P_USERNAME`` prefix ranges plus one BatchGetItem), filtered and sorted in memory. The cursor is
      the last row's sort value and id.
    * Otherwise the sort's index, a range of its attribute as the key condition, one BatchGetItem of
      each index page; other filters are checked on the profiles, reading on until the page is full or
      ``SCAN_BUDGET`` index entries are read. Such a page may hold fewer items (even none) and still
      have a cursor.
    """
    if flt.participant_id is not None:
        item = get_participant(flt.participant_id)
        return ([item] if item is not None and flt.matches(item) else []), None
    seek = start.get(SEEK) if start else None
    candidates = _candidates(flt) if flt.sponsor_id is not None or flt.name else None
    if candidates is not None:
        return _sorted_page(candidates, sort, descending, limit, flt, seek)
    if seek is not None:  # the matches grew past the candidates' limit: go on in the index
        start = _index_position(sort, seek)
    return _index_page(sort, descending, limit, flt, start)


CANDIDATES = 100
"""Most participants a sponsor filter or a name search sorts in memory (else the index is read)."""

SEEK = "seek"


def _candidates(flt: ParticipantFilter) -> list[ParticipantItem] | None:
    """Everyone the sponsor or name filter can match, if they are few (``None`` if more)."""
    if flt.sponsor_id is not None:
        raw, _ = _query(
            keys.sponsor_gsi(flt.sponsor_id), index="GSI1", limit=CANDIDATES + 1, start=None, descending=False
        )
        if len(raw) > CANDIDATES:
            return None
        return [i for i in _entities(raw) if isinstance(i, ParticipantItem)]
    found: list[Key] = []
    for index, prefix in (("P_NAME", flt.name_prefix), ("P_USERNAME", flt.username_prefix)):
        if not prefix:
            continue
        attribute = ParticipantItem.sort_name if index == "P_NAME" else ParticipantItem.sort_username
        raw, _ = _query(
            keys.PARTICIPANT_LIST,
            index=index,
            condition=attribute.startswith(prefix),
            limit=CANDIDATES + 1,
            start=None,
            descending=False,
        )
        if len(raw) > CANDIDATES:
            return None
        found += raw
    return list(load_profiles(found).values())


def _sorted_page(
    items: list[ParticipantItem],
    sort: str,
    descending: bool,
    limit: int,
    flt: ParticipantFilter,
    seek: list[Any] | None,
) -> tuple[list[ParticipantItem], Key | None]:
    spec = SORTS[sort]
    return sorted_page(
        [i for i in items if flt.matches(i)],
        lambda item: (getattr(item, spec.attribute.attr_name, None), item.participant_id),
        numeric=spec.numeric,
        descending=descending,
        limit=limit,
        seek=seek,
    )


def sorted_page(
    items: list[E],
    position: Callable[[E], tuple[Any, str]],
    *,
    numeric: bool,
    descending: bool,
    limit: int,
    seek: list[Any] | None,
) -> tuple[list[E], Key | None]:
    """A page of a few items sorted in memory by (value, id); the cursor seeks past the last row."""

    def key(item: E) -> tuple[Any, str]:
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


def _index_position(sort: str, seek: list[Any]) -> Key:
    """The index key right at a row a sorted-in-memory page ended on, to resume the index there."""
    spec = SORTS[sort]
    value = {"N": seek[0]} if spec.numeric else {"S": seek[0]}
    return {
        "PK": {"S": keys.participant_pk(seek[1])},
        "SK": {"S": keys.PROFILE},
        "PLIST": {"S": keys.PARTICIPANT_LIST},
        spec.attribute.attr_name: value,
    }


def _index_page(
    sort: str, descending: bool, limit: int, flt: ParticipantFilter, start: Key | None
) -> tuple[list[ParticipantItem], Key | None]:
    spec = SORTS[sort]
    return index_page(
        keys.PARTICIPANT_LIST,
        spec.index,
        ("PK", "SK", "PLIST", spec.attribute.attr_name),
        load_profiles,
        condition=_key_condition(sort, flt),
        predicate=(lambda item: flt.matches(item, skip=sort)) if flt.post_filters(sort) else None,
        limit=limit,
        start=start,
        descending=descending,
    )


def index_page(
    hash_key: str,
    index: str,
    key_names: tuple[str, ...],
    load: Callable[[list[Key]], dict[str, E]],
    *,
    condition: Condition | None,
    predicate: Callable[[E], bool] | None,
    limit: int,
    start: Key | None,
    descending: bool,
) -> tuple[list[E], Key | None]:
    """A page of a keys-only index, the items loaded by one BatchGetItem per index page (``load``, by PK).

    With a ``predicate`` the index is read on until the page is full or ``SCAN_BUDGET`` entries are read.
    """
    found: list[E] = []
    scanned = 0
    while True:
        page_size = min(100, max(limit, SCAN_BUDGET - scanned)) if predicate else limit - len(found)
        raw_keys, last = _query(
            hash_key, index=index, condition=condition, limit=page_size, start=start, descending=descending
        )
        loaded = load(raw_keys)
        for raw in raw_keys:
            item = loaded.get(raw["PK"]["S"])
            if item is not None and (predicate is None or predicate(item)):
                found.append(item)
                if len(found) == limit:
                    more = last is not None or raw is not raw_keys[-1]
                    return found, (_key_of(raw, key_names) if more else None)
        scanned += len(raw_keys)
        if last is None or scanned >= SCAN_BUDGET or predicate is None:
            return found, last
        start = last


def get_participant(participant_id: str) -> ParticipantItem | None:
    try:
        return ParticipantItem.get(keys.participant_pk(participant_id), keys.PROFILE)
    except ParticipantItem.DoesNotExist:
        return None


def top(sort: str, limit: int = 100) -> list[ParticipantItem]:
    """Ratings: the first ``limit`` of an index, highest first (one Query + one BatchGetItem)."""
    spec = SORTS[sort]
    raw_keys, _ = _query(
        keys.PARTICIPANT_LIST, index=spec.index, condition=None, limit=limit, start=None, descending=True
    )
    profiles = load_profiles(raw_keys)
    return [profiles[k["PK"]["S"]] for k in raw_keys if k["PK"]["S"] in profiles]


def children(
    sponsor_id: str, limit: int, start: Key | None
) -> tuple[list[tuple[ParticipantItem, Key]], Key | None]:
    """A sponsor's direct referrals with their index keys (to resume right after any one of them)."""
    raw, last = _query(keys.sponsor_gsi(sponsor_id), index="GSI1", limit=limit, start=start, descending=False)
    names = ("PK", "SK", "GSI1PK", "GSI1SK")
    found = []
    for entry in raw:
        entity = Entity.from_raw_data(entry)
        if isinstance(entity, ParticipantItem):
            found.append((entity, _key_of(entry, names)))
    return found, last


def all_participants_by_registration(
    start: Key | None, limit: int
) -> tuple[list[tuple[ParticipantItem, Key]], Key | None]:
    """Everyone, oldest first, a page at a time, each with its index key (to resume right after it)."""
    spec = SORTS["registered_at"]
    raw_keys, last = _query(
        keys.PARTICIPANT_LIST, index=spec.index, limit=limit, start=start, descending=False
    )
    profiles = load_profiles(raw_keys)
    names = ("PK", "SK", "PLIST", "registered_at")
    return [(profiles[k["PK"]["S"]], _key_of(k, names)) for k in raw_keys if k["PK"]["S"] in profiles], last


def orders_between(participant_id: str, since: str, until: str) -> list[OrderItem]:
    """A participant's orders created between two ISO days (inclusive): their partition of GSI1."""
    return [
        item
        for item in Entity.by_owner.query(
            keys.orders_gsi(participant_id), Entity.gsi1sk.between(since, until + "\uffff")
        )
        if isinstance(item, OrderItem)
    ]


def first_registration_month() -> str | None:
    raw_keys, _ = _query(keys.PARTICIPANT_LIST, index="P_REGISTERED", limit=1, start=None, descending=False)
    return raw_keys[0]["registered_at"]["S"][:7] if raw_keys else None


# --- generic pages over the base table and GSI1 -----------------------------------------------------------


def _entities(raw_items: list[Key]) -> list[Entity]:
    return [Entity.from_raw_data(raw) for raw in raw_items]


def filtered_page(
    hash_key: str,
    model: type[E],
    *,
    index: str | None,
    condition: Condition | None,
    predicate: Callable[[E], bool],
    limit: int,
    start: Key | None,
    descending: bool,
) -> tuple[list[E], Key | None]:
    """Items of one partition (table or index), filtered in code, within the read budget."""
    names = ("PK", "SK") if index is None else ("PK", "SK", f"{index}PK", f"{index}SK")
    found: list[E] = []
    scanned = 0
    while True:
        raw_items, last = _query(
            hash_key,
            index=index,
            condition=condition,
            limit=min(100, max(limit, 25)),
            start=start,
            descending=descending,
        )
        for raw in raw_items:
            entity = Entity.from_raw_data(raw)
            if isinstance(entity, model) and predicate(entity):
                found.append(entity)
                if len(found) == limit:
                    more = last is not None or raw is not raw_items[-1]
                    return found, (_key_of(raw, names) if more else None)
        scanned += len(raw_items)
        if last is None or scanned >= SCAN_BUDGET:
            return found, last
        start = last


# --- monthly feeds (GSI2), newest first -------------------------------------------------------------------


def month_number(month: str) -> tuple[int, int]:
    """``YYYY-MM`` as (year, month): months compare as numbers, never as text ("10000-01" > "9999-12")."""
    year, number = month.split("-")
    return int(year), int(number)


def _month_text(year: int, number: int) -> str:
    return f"{year:04d}-{number:02d}"


def previous_month(month: str) -> str:
    year, number = month_number(month)
    return _month_text(year - 1, 12) if number == 1 else _month_text(year, number - 1)


def next_month(month: str) -> str:
    year, number = month_number(month)
    return _month_text(year + 1, 1) if number == 12 else _month_text(year, number + 1)


def months_between(first: str, last: str) -> list[str]:
    months = []
    current = first
    while month_number(current) <= month_number(last):
        months.append(current)
        current = next_month(current)
    return months


def _within(month: str, first: str, last: str) -> bool:
    return month_number(first) <= month_number(month) <= month_number(last)


def feed_page(
    feed: str,
    model: type[E],
    *,
    newest: datetime,
    oldest_month: str,
    since: str | None,
    until: str | None,
    predicate: Callable[[E], bool],
    limit: int,
    cursor: tuple[str, Key | None] | None,
    descending: bool = True,
) -> tuple[list[E], tuple[str, Key | None] | None]:
    """Walk the month partitions of a feed (newest first) from ``cursor``; ``since``/``until`` are ISO."""
    first = max(oldest_month, since[:7], key=month_number) if since else oldest_month
    last = min(month_of(newest), until[:7], key=month_number) if until else month_of(newest)
    if descending:
        month, start = cursor if cursor else (last, None)
    else:
        month, start = cursor if cursor else (first, None)
    condition: Condition | None = None
    if since and until:
        condition = Entity.gsi2sk.between(since, until + "\uffff")
    elif since:
        condition = Entity.gsi2sk >= since
    elif until:
        condition = Entity.gsi2sk <= until + "\uffff"
    found: list[E] = []
    scanned = walked = 0
    names = ("PK", "SK", "GSI2PK", "GSI2SK")
    while _within(month, first, last):
        raw_items, lek = _query(
            keys.feed_pk(feed, month),
            index="GSI2",
            condition=condition,
            limit=min(100, max(limit, 25)),
            start=start,
            descending=descending,
        )
        for raw in raw_items:
            entity = Entity.from_raw_data(raw)
            if isinstance(entity, model) and predicate(entity):
                found.append(entity)
                if len(found) == limit:
                    if raw is not raw_items[-1] or lek is not None:
                        return found, (month, _key_of(raw, names))
                    following = previous_month(month) if descending else next_month(month)
                    return found, ((following, None) if _within(following, first, last) else None)
        scanned += len(raw_items)
        walked += 1
        if lek is not None:
            start = lek
        else:
            month = previous_month(month) if descending else next_month(month)
            start = None
        if scanned >= SCAN_BUDGET or walked >= MONTH_BUDGET:
            return found, ((month, start) if _within(month, first, last) else None)
    return found, None


def feed_items(feed: str, month: str, model: type[E]) -> Iterator[E]:
    """Every item of one month of a feed (rollups and exports; cost proportional to the month)."""
    start: Key | None = None
    while True:
        raw_items, start = _query(
            keys.feed_pk(feed, month), index="GSI2", limit=500, start=start, descending=False
        )
        for raw in raw_items:
            entity = Entity.from_raw_data(raw)
            if isinstance(entity, model):
                yield entity
        if start is None:
            return


# --- small reads -------------------------------------------------------------------------------------------


def admins() -> list[AdminItem]:
    return [i for i in Entity.by_owner.query(keys.ADMINS_GSI) if isinstance(i, AdminItem)]


def set_admin_name(telegram_id: str, name: str) -> None:
    """The admin's name as Telegram shows it at login: no operator's change (not audited, sessions kept)."""
    AdminItem(keys.admin_pk(telegram_id), "ADMIN").update(
        [AdminItem.name.set(name)], condition=AdminItem.pk.exists()
    )


WITHDRAWAL_SORTS: dict[str, tuple[str, Any]] = {
    "points": ("W_POINTS", WithdrawalItem.points),
    "amount": ("W_AMOUNT", WithdrawalItem.fiat_amount),
}


def load_withdrawals(raw_keys: list[Key]) -> dict[str, WithdrawalItem]:
    """One BatchGetItem (per 100) of the requests named by index keys, by PK."""
    wanted = list(dict.fromkeys((k["PK"]["S"], k["SK"]["S"]) for k in raw_keys))
    return {item.pk: item for item in WithdrawalItem.batch_get(wanted)} if wanted else {}


def withdrawals_by(
    sort: str,
    *,
    low: Any,
    high: Any,
    predicate: Callable[[WithdrawalItem], bool] | None,
    limit: int,
    start: Key | None,
    descending: bool,
) -> tuple[list[WithdrawalItem], Key | None]:
    """Every request sorted by points or by amount (``low``/``high``: a range of it, the key condition)."""
    index, attribute = WITHDRAWAL_SORTS[sort]
    condition: Condition | None = None
    if low is not None and high is not None:
        condition = attribute.between(low, high)
    elif low is not None:
        condition = attribute >= low
    elif high is not None:
        condition = attribute <= high
    return index_page(
        WITHDRAWAL_LIST,
        index,
        ("PK", "SK", "WLIST", attribute.attr_name),
        load_withdrawals,
        condition=condition,
        predicate=predicate,
        limit=limit,
        start=start,
        descending=descending,
    )


def open_withdrawals(
    status: str, *, predicate: Callable[[WithdrawalItem], bool] | None, limit: int, start: Key | None
) -> tuple[list[WithdrawalItem], Key | None]:
    """Requests waiting in an open status, newest first (the sparse ``W_QUEUE`` index)."""
    return index_page(
        status,
        "W_QUEUE",
        ("PK", "SK", "WQUEUE", "WQUEUE_AT"),
        load_withdrawals,
        condition=None,
        predicate=predicate,
        limit=limit,
        start=start,
        descending=True,
    )


def withdrawals_of(participant_id: str, limit: int) -> list[WithdrawalItem] | None:
    """A participant's requests if there are at most ``limit`` (one Query), else ``None``."""
    raw, _ = _query(
        keys.withdrawals_gsi(participant_id), index="GSI1", limit=limit + 1, start=None, descending=True
    )
    items = [i for i in _entities(raw) if isinstance(i, WithdrawalItem)]
    return items if len(raw) <= limit else None


def get_withdrawal(withdrawal_id: str) -> WithdrawalItem | None:
    try:
        return WithdrawalItem.get(keys.withdrawal_pk(withdrawal_id), "WD")
    except WithdrawalItem.DoesNotExist:
        return None


def get_audit(audit_id: str) -> AuditItem | None:
    try:
        return AuditItem.get(keys.audit_pk(audit_id), "AUDIT")
    except AuditItem.DoesNotExist:
        return None


def get_order(posting_number: str) -> OrderItem | None:
    try:
        return OrderItem.get(keys.order_pk(posting_number), "ORDER")
    except OrderItem.DoesNotExist:
        return None


def ledger_sk_range(since: str | None, until: str | None) -> Condition:
    low = keys.ledger_sk(since, "") if since else "LEDGER#"
    high = keys.ledger_sk(until, "\uffff") if until else "LEDGER#\uffff"
    return LedgerEntryItem.sk.between(low, high)


def rollups(first_month: str, last_month: str) -> list[RollupItem]:
    """The dashboard: the monthly rollup items of a window, one Query."""
    return list(
        RollupItem.query(
            keys.STATS_PK,
            RollupItem.sk.between(keys.stats_month_sk(first_month), keys.stats_month_sk(last_month)),
        )
    )


def link_counters(last_month: str) -> dict[str, int]:
    """Product links created per month up to ``last_month`` (one Query of small counter items)."""
    return {
        item.month: item.links or 0
        for item in RollupItem.query(
            keys.STATS_PK, RollupItem.sk.between("LINKS#", keys.stats_links_sk(last_month))
        )
    }


def put_rollup(month: str, value: str, stamp: str) -> None:
    RollupItem(keys.STATS_PK, keys.stats_month_sk(month), value=value, month=month, updated_at=stamp).save()


def get_rollup(month: str) -> RollupItem | None:
    try:
        return RollupItem.get(keys.STATS_PK, keys.stats_month_sk(month))
    except RollupItem.DoesNotExist:
        return None


RATING_PART = 10_000
"""Participants per item of a month's rating totals (~20 bytes each, well below DynamoDB's 400 KB)."""


def put_rating(kind: str, month: str, values: dict[str, str], stamp: str) -> None:
    """A month's per-participant totals of a rating, in parts; parts left from a bigger earlier run go."""
    entries = sorted(values.items())
    chunks = [entries[i : i + RATING_PART] for i in range(0, len(entries), RATING_PART)] or [[]]
    for part, chunk in enumerate(chunks):
        RollupItem(
            keys.STATS_PK,
            keys.stats_rating_sk(kind, month, part),
            month=month,
            value=json.dumps(dict(chunk), separators=(",", ":")),
            updated_at=stamp,
        ).save()
    stale = RollupItem.query(
        keys.STATS_PK,
        RollupItem.sk.between(
            keys.stats_rating_sk(kind, month, len(chunks)), keys.stats_rating_sk(kind, month) + "~"
        ),
    )
    for item in stale:
        item.delete()


def rating_parts(kind: str, first_month: str, last_month: str) -> Iterator[dict[str, str]]:
    """Every part of a rating's monthly totals over the months (one paged Query)."""
    for item in RollupItem.query(
        keys.STATS_PK,
        RollupItem.sk.between(
            keys.stats_rating_sk(kind, first_month), keys.stats_rating_sk(kind, last_month) + "~"
        ),
    ):
        yield json.loads(item.value or "{}")


def rolled_up(month: str) -> bool:
    """Whether a month has its rollup: the dashboard's metrics and the ratings' totals."""
    return get_rollup(month) is not None and _exists(
        keys.STATS_PK, keys.stats_rating_sk("referrals", month, 0)
    )


def _exists(pk: str, sk: str) -> bool:
    try:
        RollupItem.get(pk, sk)
    except RollupItem.DoesNotExist:
        return False
    return True


def oldest_month(now: datetime) -> str:
    """The first month any feed can hold anything: the first registration or the first admin."""
    months = [month_of(now)]
    first = first_registration_month()
    if first:
        months.append(first)
    months += [a.created_at[:7] for a in admins() if a.created_at]
    return min(months)


def open_withdrawal_counts() -> dict[str, int]:
    """How many requests wait in each open status: a count query on the sparse ``W_QUEUE`` index."""
    return {status.value: _count(status.value, "W_QUEUE") for status in WithdrawalStatus if status.is_open}


def _count(hash_key: str, index: str) -> int:
    """Select=COUNT over every page (the keys-only index carries no ``type`` for a model-level count)."""
    total, start = 0, None
    while True:
        response = _connection().query(hash_key, index_name=index, select="COUNT", exclusive_start_key=start)
        total += int(response.get("Count", 0))
        start = response.get("LastEvaluatedKey")
        if not start:
            return total
