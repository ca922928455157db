"""A participant's card and network: levels, direct referrals, referrals of any level, their orders."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from referral.clock import from_iso
from referral.errors import NotFound
from referral.read.participants import SORTS, find_participant
from referral.read.query import Key, Partition, filtered_page, key_of, load_profiles, query
from referral.read.views import OrderView, ParticipantView, order_view, participant_view
from referral.repository import keys
from referral.repository.models import Entity, NetworkLevelItem, OrderItem, ParticipantItem

LEVEL_READ_BUDGET = 25
"""Most sponsor Queries one page of a referral level walks."""


@dataclass(frozen=True, slots=True)
class LevelView:
    """One level of a participant's network (0: their own purchases)."""

    level: int
    referrals: int
    orders: int
    amount: Decimal
    earned: int
    last_order_at: str | None


@dataclass(frozen=True, slots=True)
class Card:
    """A participant with what the card shows beside the profile."""

    profile: ParticipantView
    levels: list[LevelView]
    last_order: OrderView | None


def profile(participant_id: str) -> ParticipantView:
    found = find_participant(participant_id)
    if found is None:
        raise NotFound(
            "Participant not found.",
            details={"participant_id": participant_id},
            reason="participant_not_found",
        )
    return found


def card(participant_id: str) -> Card:
    """The profile, the network levels (one Query) and the last order not cancelled (GSI1)."""
    found = profile(participant_id)
    levels = [
        LevelView(i.level, i.referrals, i.orders, Decimal(i.amount), i.earned, _level_time(i.last_order_at))
        for i in NetworkLevelItem.query(
            keys.participant_pk(participant_id), NetworkLevelItem.sk.startswith(keys.NETWORK_PREFIX)
        )
    ]
    last_orders, _ = filtered_page(
        Partition(keys.orders_gsi(participant_id), "GSI1"),
        OrderItem,
        order_view,
        predicate=lambda o: o.status != "cancelled",
        limit=1,
        start=None,
        descending=True,
    )
    return Card(found, sorted(levels, key=lambda lv: lv.level), last_orders[0] if last_orders else None)


def _level_time(value: str | None) -> str | None:
    """The level's last order time as the card has always shown it (ISO with a +00:00 offset)."""
    return from_iso(value).isoformat() if value else None


def children(
    sponsor_id: str, limit: int, start: Key | None
) -> tuple[list[tuple[ParticipantView, Key]], Key | None]:
    """A sponsor's direct referrals with their index keys (to resume right after any one of them)."""
    raw, last = query(keys.sponsor_gsi(sponsor_id), index="GSI1", limit=limit, start=start, descending=False)
    names = ("PK", "SK", "GSI1PK", "GSI1SK")
    found = []
    for entry in raw:
        entity = Entity.from_raw_data(entry)
        if isinstance(entity, ParticipantItem):
            found.append((participant_view(entity), key_of(entry, names)))
    return found, last


def all_participants_by_registration(
    start: Key | None, limit: int
) -> tuple[list[tuple[ParticipantView, Key]], Key | None]:
    """Everyone, oldest first, a page at a time, each with its index key (to resume right after it)."""
    spec = SORTS["registered_at"]
    raw_keys, last = query(
        keys.PARTICIPANT_LIST, index=spec.index, limit=limit, start=start, descending=False
    )
    profiles = load_profiles(raw_keys)
    names = ("PK", "SK", "PLIST", "registered_at")
    return [
        (participant_view(profiles[k["PK"]["S"]]), key_of(k, names))
        for k in raw_keys
        if k["PK"]["S"] in profiles
    ], last


def profiles_of(participant_ids: list[str]) -> dict[str, ParticipantView]:
    """Profiles by id (one BatchGetItem per 100); unknown ids are left out."""
    wanted = [{"PK": {"S": keys.participant_pk(pid)}, "SK": {"S": keys.PROFILE}} for pid in participant_ids]
    return {item.participant_id: participant_view(item) for item in load_profiles(wanted).values()}


def orders_between(participant_id: str, since: str, until: str) -> list[OrderView]:
    """A participant's orders created between two ISO days (inclusive): their partition of GSI1."""
    return [
        order_view(item)
        for item in entities_between(keys.orders_gsi(participant_id), since, until + "\uffff")
        if isinstance(item, OrderItem)
    ]


def entities_between(owner_key: str, low: str, high: str) -> list[Entity]:
    return list(Entity.by_owner.query(owner_key, Entity.gsi1sk.between(low, high)))


def referrals(root: str, level: int, limit: int, state: Any) -> tuple[list[ParticipantView], Any]:
    """Level k = the children of level k-1, parent by parent (depth-first over sponsors' referrals).

    The position holds the chain of parents being expanded (each with its index key, so the walk moves
    to the next sibling with one Query) and where the current parent's children resume.
    """
    profile(root)
    state = state or {"path": [], "key": None}
    walk = _Walk(root, list(state.get("path") or []))
    found: list[ParticipantView] = []
    key = state.get("key")
    while walk.reads < LEVEL_READ_BUDGET:
        if len(walk.path) < level - 1:
            if not walk.descend():
                return found, None
            continue
        page, last = children(walk.parent, limit - len(found), key)
        walk.reads += 1
        found.extend(item for item, _ in page)
        if last is not None:
            key = last
            if len(found) >= limit:
                return found, {"path": walk.path, "key": key}
            continue
        key = None
        if level == 1 or not walk.advance():
            return found, None
        if len(found) >= limit:
            return found, {"path": walk.path, "key": None}
    return found, {"path": walk.path, "key": key}


class _Walk:
    """The chain of parents being expanded, and how many Queries moving along it cost."""

    def __init__(self, root: str, path: list[dict[str, Any]]) -> None:
        self.root = root
        self.path = path
        self.reads = 0

    @property
    def parent(self) -> str:
        return str(self.path[-1]["id"]) if self.path else self.root

    def descend(self) -> bool:
        """Go down to the current parent's first child, or on to the next parent; False at the end."""
        first, _ = children(self.parent, 1, None)
        self.reads += 1
        if first:
            self.path.append(_frame(*first[0]))
            return True
        return self.advance()

    def advance(self) -> bool:
        """Move the deepest parent to its next sibling, climbing when a sibling list ends."""
        while self.path:
            frame = self.path.pop()
            siblings, _ = children(self.parent, 1, frame["key"])
            self.reads += 1
            if siblings:
                self.path.append(_frame(*siblings[0]))
                return True
        return False


def _frame(item: ParticipantView, raw_key: Key) -> dict[str, Any]:
    return {"id": item.participant_id, "key": raw_key}
