"""Money at a glance: points owed, accrued and paid per month, requests waiting, from the ledger itself.

Every number here is a sum of immutable ledger entries (or of the open requests), never an estimate:

* A *seal* (``STATS`` / ``LEDGER#SEAL``) holds the ledger's running sums up to a moment ``through`` and the
  points accrued and paid per month of the program's time zone. The statistics rollup moves it forward,
  adding only the entries after the previous seal.
* The dashboard reads the seal (one GetItem) and adds the entries after ``through`` from the monthly ledger
  feed (one Query page per UTC month since, usually one): exact up to the moment of reading, and its cost
  does not grow with the age of the program.

``through`` stays ``SEAL_MARGIN`` behind the clock: an entry is stamped before its transaction commits and
the feed index follows the table shortly after, so an entry stamped before ``through`` is always in the
feed by the time the seal reads it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, tzinfo
from decimal import Decimal
from typing import Any

from referral.clock import from_iso, month_number, months_between, to_iso
from referral.domain.ledger import EntryKind
from referral.read.query import Key, connection, entities, get, oldest_month, query
from referral.read.views import LedgerEntryView, ledger_entry_view
from referral.repository import keys
from referral.repository.models import Entity, LedgerEntryItem, LinkItem, RollupItem, WithdrawalItem

SEAL_MARGIN = timedelta(minutes=15)
"""How far the seal stays behind the clock: longer than any function runs, so every transaction stamped
before it has committed (and reached the feed index) when the seal is taken."""


@dataclass(frozen=True, slots=True)
class MonthMoney:
    accrued: int = 0
    """Points credited by accruals (before any later reversal)."""
    reversed: int = 0
    """Points taken back by cancellations and returns."""
    paid: int = 0
    """Points of withdrawals marked paid."""


@dataclass(frozen=True, slots=True)
class LedgerSums:
    """The ledger's sums up to ``through`` (``None``: from the beginning), per balance part and per month."""

    through: str | None = None
    zone: str = ""
    frozen: int = 0
    available: int = 0
    reserved: int = 0
    withdrawn: int = 0
    months: dict[str, MonthMoney] = field(default_factory=dict)

    def add(self, entries: list[LedgerEntryView], zone: tzinfo) -> LedgerSums:
        months = dict(self.months)
        frozen, available, reserved, withdrawn = self.frozen, self.available, self.reserved, self.withdrawn
        for entry in entries:
            frozen += entry.d_frozen
            available += entry.d_available
            reserved += entry.d_reserved
            withdrawn += entry.d_withdrawn
            month = from_iso(entry.created_at).astimezone(zone).strftime("%Y-%m")
            months[month] = _month_with(months.get(month, MonthMoney()), entry)
        return replace(
            self, frozen=frozen, available=available, reserved=reserved, withdrawn=withdrawn, months=months
        )

    def to_json(self) -> str:
        document = {
            "through": self.through,
            "zone": self.zone,
            "parts": [self.frozen, self.available, self.reserved, self.withdrawn],
            "months": {m: [v.accrued, v.reversed, v.paid] for m, v in sorted(self.months.items())},
        }
        return json.dumps(document, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> LedgerSums:
        document: dict[str, Any] = json.loads(text)
        frozen, available, reserved, withdrawn = (int(v) for v in document["parts"])
        months = {m: MonthMoney(*(int(v) for v in values)) for m, values in document["months"].items()}
        return cls(document["through"], document["zone"], frozen, available, reserved, withdrawn, months)


def _month_with(month: MonthMoney, entry: LedgerEntryView) -> MonthMoney:
    if entry.kind == EntryKind.ACCRUAL:
        return replace(month, accrued=month.accrued + entry.total)
    if entry.kind == EntryKind.REVERSAL:
        return replace(month, reversed=month.reversed - entry.total)
    if entry.kind == EntryKind.WITHDRAWAL_PAID:
        return replace(month, paid=month.paid + entry.d_withdrawn)
    return month


def zone_name(zone: tzinfo) -> str:
    return str(getattr(zone, "key", None) or zone)


def load_seal(zone: tzinfo) -> LedgerSums:
    """The seal, when it was taken in this time zone (its months are that zone's); else nothing sealed."""
    item = get(RollupItem, keys.STATS_PK, keys.STATS_LEDGER_SEAL_SK)
    if item is None or not item.value:
        return LedgerSums(zone=zone_name(zone))
    sums = LedgerSums.from_json(item.value)
    return sums if sums.zone == zone_name(zone) else LedgerSums(zone=zone_name(zone))


def entries_after(through: str | None, until: str, now: datetime) -> Iterator[LedgerEntryView]:
    """Ledger entries stamped after ``through`` (exclusive) up to ``until`` (inclusive), from the feed."""
    first = through[:7] if through else oldest_month(now)
    last = until[:7]
    if month_number(first) > month_number(last):
        return
    condition = (
        Entity.gsi2sk.between(keys.until(through), keys.until(until))
        if through
        else Entity.gsi2sk <= keys.until(until)
    )
    for month in months_between(first, last):
        start: Key | None = None
        while True:
            raw, start = query(
                keys.feed_pk(keys.FEED_LEDGER, month),
                index="GSI2",
                condition=condition,
                limit=1000,
                start=start,
                descending=False,
            )
            for item in entities(raw, LedgerEntryItem):
                yield ledger_entry_view(item)
            if start is None:
                break


def advance_seal(now: datetime, zone: tzinfo) -> LedgerSums:
    """The seal moved to ``now - SEAL_MARGIN`` (what the rollup saves)."""
    sums = load_seal(zone)
    through = to_iso(now - SEAL_MARGIN)
    if sums.through is not None and sums.through >= through:
        return sums
    added = sums.add(list(entries_after(sums.through, through, now)), zone)
    return replace(added, through=through)


def current_sums(now: datetime, zone: tzinfo) -> LedgerSums:
    """The ledger's sums up to now: the seal plus the entries after it."""
    sums = load_seal(zone)
    return replace(sums.add(list(entries_after(sums.through, to_iso(now), now)), zone), through=to_iso(now))


@dataclass(frozen=True, slots=True)
class OpenRequests:
    count: int
    points: int
    fiat_amount: Decimal


OPEN_QUEUES = ("new", "negotiation")


def open_requests() -> OpenRequests:
    """Requests waiting (new or in negotiation): the sparse queue index, then their amounts in batches."""
    wanted: list[tuple[str, str]] = []
    for status in OPEN_QUEUES:
        start: Key | None = None
        while True:
            response = connection().query(status, index_name="W_QUEUE", exclusive_start_key=start)
            wanted += [(raw["PK"]["S"], raw["SK"]["S"]) for raw in response.get("Items", [])]
            start = response.get("LastEvaluatedKey")
            if not start:
                break
    requests = [w for w in WithdrawalItem.batch_get(wanted) if w.status in OPEN_QUEUES] if wanted else []
    return OpenRequests(
        count=len(requests),
        points=sum(w.points for w in requests),
        fiat_amount=sum((Decimal(w.fiat_amount) for w in requests), Decimal(0)),
    )


def program_month(moment: datetime, zone: tzinfo) -> str:
    return moment.astimezone(zone).strftime("%Y-%m")


def previous_program_month(moment: datetime, zone: tzinfo) -> str:
    local = moment.astimezone(zone).replace(day=1)
    return (local - timedelta(days=1)).strftime("%Y-%m")


@dataclass(frozen=True, slots=True)
class LinkCounts:
    code: str
    kind: str
    product_name: str | None
    created_at: str
    clicks: int
    registrations: int
    purchases: int


MAX_LINKS = 100
"""Most links a card lists (newest first); ``more`` says when the participant has more."""


def participant_links(participant_id: str) -> tuple[list[LinkCounts], bool]:
    """A participant's links with their counters, newest first: one Query of ``LINKS#<id>``."""
    raw, last = query(
        keys.links_gsi(participant_id), index="GSI1", limit=MAX_LINKS, start=None, descending=True
    )
    links = [
        LinkCounts(
            link.code,
            link.kind,
            link.product_name,
            link.created_at,
            link.clicks or 0,
            link.registrations or 0,
            link.purchases or 0,
        )
        for link in entities(raw, LinkItem)
    ]
    return links, last is not None


def last_withdrawal(participant_id: str) -> WithdrawalItem | None:
    """The participant's newest withdrawal request: one Query of ``WDS#<id>``, newest first."""
    raw, _ = query(keys.withdrawals_gsi(participant_id), index="GSI1", limit=1, start=None, descending=True)
    found = entities(raw, WithdrawalItem)
    return found[0] if found else None
