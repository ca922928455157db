"""The participants' list: sorts by any indexed attribute, filters, search by name or @username.

* One participant by id: one GetItem.
* A sponsor's referrals, or a name search, when at most ``CANDIDATES`` participants can match: the
  candidates are read from their own index (the sponsor's partition of GSI1; for a name, the ``P_NAME``
  and ``P_USERNAME`` indexes with a ``contains`` filter, see ``referral.read.search``, plus one
  BatchGetItem), filtered and sorted in memory. The cursor is the last row's sort value and id.
* Otherwise the sort's index, a range of its attribute as the key condition, one BatchGetItem of each
  index page; other filters are checked on the profiles, reading on until the page is full or
  ``SCAN_BUDGET`` index entries are read. Such a page may hold fewer items (even none) and still have a
  cursor.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from pynamodb.expressions.condition import Condition

from referral.domain.participants import canonical_ozon_id
from referral.read.query import (
    SEEK,
    Key,
    entities,
    get,
    index_page,
    load_profiles,
    query,
    sorted_page,
)
from referral.read.search import matching_keys, normalise, profile_matches
from referral.read.views import ParticipantView, participant_view
from referral.repository import keys
from referral.repository.models import OzonIdentityItem, ParticipantItem

CANDIDATES = 100
"""Most participants a sponsor filter or a name search sorts in memory (else the index is read)."""


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
    """Any part of the name (first + last name, or the username without one) or of the Telegram
    @username, in any case, ё and е alike; with a leading '@' only the username counts."""
    blocked: bool | None = None
    sponsor_id: str | None = None
    ranges: dict[str, Range] = field(default_factory=dict)

    @property
    def username_only(self) -> bool:
        return (self.name or "").strip().startswith("@")

    @property
    def search_term(self) -> str | None:
        """The name filter as names are compared (``referral.read.search.normalise``)."""
        term = normalise((self.name or "").strip().lstrip("@"))
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
        term = self.search_term
        return term is None or profile_matches(item, term, username_only=self.username_only)

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


def _profile_item(participant_id: str) -> ParticipantItem | None:
    return get(ParticipantItem, keys.participant_pk(participant_id), keys.PROFILE)


def find_participant(participant_id: str) -> ParticipantView | None:
    item = _profile_item(participant_id)
    return participant_view(item) if item is not None else None


def owner_of_ozon_id(ozon_id: str) -> str | None:
    """Who registered with an Ozon ID, however it is spelt ("00123" finds "123"; one GetItem)."""
    canonical = canonical_ozon_id(ozon_id)
    if canonical is None:
        return None
    identity = get(OzonIdentityItem, keys.ozon_pk(canonical), keys.OZON_SK)
    return identity.participant_id if identity is not None and identity.participant_id else None


def participants_page(
    sort: str,
    descending: bool,
    limit: int,
    flt: ParticipantFilter,
    start: Key | None,
    *,
    ozon_id: str | None = None,
) -> tuple[list[ParticipantView], Key | None]:
    """A page of participants in ``sort`` order; an Ozon ID narrows it to that ID's owner (one GetItem)."""
    if ozon_id is not None:
        owner = owner_of_ozon_id(ozon_id)
        if owner is None or (flt.participant_id is not None and flt.participant_id != owner):
            return [], None
        flt = replace(flt, participant_id=owner)
    items, position = _page(sort, descending, limit, flt, start)
    return [participant_view(i) for i in items], position


def _page(
    sort: str, descending: bool, limit: int, flt: ParticipantFilter, start: Key | None
) -> tuple[list[ParticipantItem], Key | None]:
    if flt.participant_id is not None:
        item = _profile_item(flt.participant_id)
        return ([item] if item is not None and flt.matches(item) else []), None
    seek = start.get(SEEK) if start else None
    candidates = _candidates(flt) if flt.sponsor_id is not None or flt.name else None
    if candidates is not None:
        spec = SORTS[sort]
        return sorted_page(
            [i for i in candidates if flt.matches(i)],
            lambda item: (getattr(item, spec.attribute.attr_name, None), item.participant_id),
            numeric=spec.numeric,
            descending=descending,
            limit=limit,
            seek=seek,
        )
    if seek is not None:  # the matches grew past the candidates' limit: go on in the index
        start = _index_position(sort, seek)
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


def _candidates(flt: ParticipantFilter) -> list[ParticipantItem] | None:
    """Everyone the sponsor or name filter can match, if they are few (``None`` if more)."""
    if flt.sponsor_id is not None:
        raw, _ = query(
            keys.sponsor_gsi(flt.sponsor_id), index="GSI1", limit=CANDIDATES + 1, start=None, descending=False
        )
        if len(raw) > CANDIDATES:
            return None
        return entities(raw, ParticipantItem)
    term = flt.search_term
    if term is None:
        return None
    found = matching_keys(term, username_only=flt.username_only, room=CANDIDATES)
    return None if found is None else list(load_profiles(found).values())


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


def top(sort: str, limit: int = 100) -> list[ParticipantView]:
    """Ratings: the first ``limit`` of an index, highest first (one Query + one BatchGetItem)."""
    spec = SORTS[sort]
    raw_keys, _ = query(
        keys.PARTICIPANT_LIST, index=spec.index, condition=None, limit=limit, start=None, descending=True
    )
    profiles = load_profiles(raw_keys)
    return [participant_view(profiles[k["PK"]["S"]]) for k in raw_keys if k["PK"]["S"] in profiles]
