"""The withdrawals queue: requests by date, points, amount or status; the open counts; one request."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from pynamodb.expressions.condition import Condition

from referral.domain.payouts import parse_number
from referral.domain.withdrawals import WithdrawalStatus
from referral.errors import NotFound
from referral.read.feeds import Page, all_equal, month_feed, within_days
from referral.read.network import profiles_of
from referral.read.participants import CANDIDATES
from referral.read.query import (
    SEEK,
    Key,
    Partition,
    connection,
    entities,
    filtered_page,
    get,
    index_page,
    query,
    sorted_page,
)
from referral.read.views import (
    WithdrawalEventView,
    WithdrawalView,
    withdrawal_event_view,
    withdrawal_view,
)
from referral.repository import keys
from referral.repository.models import WITHDRAWAL_LIST, WithdrawalEventItem, WithdrawalItem
from referral.repository.withdrawal_numbers import withdrawal_id_by_number

STATUS_ORDER = ("new", "negotiation", "paid", "rejected", "cancelled")
"""The order of ``sort=status``: the workflow's, open requests first."""

OPEN_STATUSES = ("new", "negotiation")

WITHDRAWAL_SORTS: dict[str, tuple[str, Any]] = {
    "points": ("W_POINTS", WithdrawalItem.points),
    "amount": ("W_AMOUNT", WithdrawalItem.fiat_amount),
}


@dataclass(frozen=True)
class WithdrawalFilter:
    status: str | None = None
    participant_id: str | None = None
    since: date | None = None
    until: date | None = None
    points_min: int | None = None
    points_max: int | None = None

    def matches(self, item: WithdrawalView, *, status: bool = True) -> bool:
        """Every filter holds (``status=False``: all but the status, which the index already applied)."""
        return (
            all_equal(
                ((self.status if status else None, item.status), (self.participant_id, item.participant_id))
            )
            and (self.points_min is None or item.points >= self.points_min)
            and (self.points_max is None or item.points <= self.points_max)
            and within_days(item.created_at, self.since, self.until)
        )


@dataclass(frozen=True, slots=True)
class WithdrawalDetail:
    request: WithdrawalView
    participant_name: str | None
    history: list[WithdrawalEventView]


def withdrawals(
    flt: WithdrawalFilter, sort: str, descending: bool, limit: int, start: Any, now: datetime
) -> Page[WithdrawalView]:
    """Requests by date (newest first by default), points, fiat amount or status (then newest first).

    By date: the monthly feed, or the participant's partition. By points or amount: the ``W_POINTS`` /
    ``W_AMOUNT`` index (a points range is its key condition), or a participant's few requests sorted in
    memory. By status: the open ones from the ``W_QUEUE`` index, then the closed ones from the feed.
    """
    if sort == "status":
        return _by_status(flt, descending, limit, start, now)
    if sort != "created_at":
        return _by_size(flt, sort, descending, limit, start)
    if flt.participant_id is not None:
        return filtered_page(
            Partition(keys.withdrawals_gsi(flt.participant_id), "GSI1"),
            WithdrawalItem,
            withdrawal_view,
            predicate=flt.matches,
            limit=limit,
            start=start,
            descending=descending,
        )
    return month_feed(
        keys.FEED_WITHDRAWALS,
        WithdrawalItem,
        withdrawal_view,
        now,
        (flt.since, flt.until),
        flt.matches,
        limit,
        start,
        descending,
    )


def _by_size(
    flt: WithdrawalFilter, sort: str, descending: bool, limit: int, start: Any
) -> Page[WithdrawalView]:
    """By points or fiat amount: a participant's few requests in memory, else the sorted index."""
    mine = _withdrawals_of(flt.participant_id, CANDIDATES) if flt.participant_id else None
    if mine is not None:
        attribute = "points" if sort == "points" else "fiat_amount"
        return sorted_page(
            [w for w in mine if flt.matches(w)],
            lambda w: (getattr(w, attribute), w.created_at + w.withdrawal_id),
            numeric=True,
            descending=descending,
            limit=limit,
            seek=start.get(SEEK) if start else None,
        )
    ranged = sort == "points"
    narrowed = replace(flt, points_min=None, points_max=None) if ranged else flt
    index, attribute = WITHDRAWAL_SORTS[sort]
    return index_page(
        WITHDRAWAL_LIST,
        index,
        ("PK", "SK", "WLIST", attribute.attr_name),
        _load,
        condition=_range(attribute, flt.points_min, flt.points_max) if ranged else None,
        predicate=narrowed.matches if narrowed != WithdrawalFilter() else None,
        limit=limit,
        start=start,
        descending=descending,
    )


def _range(attribute: Any, low: Any, high: Any) -> Condition | None:
    if low is not None and high is not None:
        return attribute.between(low, high)  # type: ignore[no-any-return]
    if low is not None:
        return attribute >= low  # type: ignore[no-any-return]
    if high is not None:
        return attribute <= high  # type: ignore[no-any-return]
    return None


def _load(raw_keys: list[Key]) -> dict[str, WithdrawalView]:
    """One BatchGetItem (per 100) of the requests named by index keys, by PK."""
    wanted = list(dict.fromkeys((k["PK"]["S"], k["SK"]["S"]) for k in raw_keys))
    return {item.pk: withdrawal_view(item) for item in WithdrawalItem.batch_get(wanted)} if wanted else {}


def _withdrawals_of(participant_id: str, limit: int) -> list[WithdrawalView] | None:
    """A participant's requests if there are at most ``limit`` (one Query), else ``None``."""
    raw, _ = query(
        keys.withdrawals_gsi(participant_id), index="GSI1", limit=limit + 1, start=None, descending=True
    )
    if len(raw) > limit:
        return None
    return [withdrawal_view(i) for i in entities(raw, WithdrawalItem)]


def _by_status(
    flt: WithdrawalFilter, descending: bool, limit: int, start: Any, now: datetime
) -> Page[WithdrawalView]:
    """Status by status in the workflow's order (reversed when descending), each newest first."""
    statuses = [s for s in STATUS_ORDER if flt.status in (None, s)]
    if descending:
        statuses.reverse()
    position = start or {"status": statuses[0], "inner": None}
    found: list[WithdrawalView] = []
    for status in statuses[statuses.index(position["status"]) :]:
        inner = position["inner"] if status == position["status"] else None
        page, inner = _of_status(flt, status, limit - len(found), inner, now)
        found += page
        if inner is not None:
            return found, {"status": status, "inner": inner}
        if len(found) >= limit:
            following = statuses.index(status) + 1
            return found, (
                {"status": statuses[following], "inner": None} if following < len(statuses) else None
            )
    return found, None


def _of_status(
    flt: WithdrawalFilter, status: str, wanted: int, inner: Any, now: datetime
) -> Page[WithdrawalView]:
    """Open requests from the sparse ``W_QUEUE`` index, closed ones from the monthly feed."""
    if status in OPEN_STATUSES:
        return index_page(
            status,
            "W_QUEUE",
            ("PK", "SK", "WQUEUE", "WQUEUE_AT"),
            _load,
            condition=None,
            predicate=lambda w: flt.matches(w, status=False),
            limit=wanted,
            start=inner,
            descending=True,
        )
    narrowed = replace(flt, status=status)
    matches: Callable[[WithdrawalView], bool] = narrowed.matches
    return month_feed(
        keys.FEED_WITHDRAWALS,
        WithdrawalItem,
        withdrawal_view,
        now,
        (flt.since, flt.until),
        matches,
        wanted,
        inner,
    )


def open_withdrawal_counts() -> dict[str, int]:
    """How many requests wait in each open status: a count query on the sparse ``W_QUEUE`` index."""
    return {status.value: _count(status.value, "W_QUEUE") for status in WithdrawalStatus if status.is_open}


def _count(hash_key: str, index: str) -> int:
    """Select=COUNT over every page (the keys-only index carries no ``type`` for a model-level count)."""
    total, start = 0, None
    while True:
        response = connection().query(hash_key, index_name=index, select="COUNT", exclusive_start_key=start)
        total += int(response.get("Count", 0))
        start = response.get("LastEvaluatedKey")
        if not start:
            return total


def withdrawal(withdrawal_id: str) -> WithdrawalDetail:
    """One request, its participant's name and its history (GetItem, BatchGetItem, Query)."""
    item = get(WithdrawalItem, keys.withdrawal_pk(withdrawal_id), keys.WITHDRAWAL_SK)
    if item is None:
        raise NotFound(
            "Withdrawal request not found.",
            details={"withdrawal_id": withdrawal_id},
            reason="withdrawal_not_found",
        )
    participant = profiles_of([item.participant_id]).get(item.participant_id)
    history = WithdrawalEventItem.query(
        keys.withdrawal_pk(withdrawal_id), WithdrawalEventItem.sk.startswith(keys.EVENT_PREFIX)
    )
    return WithdrawalDetail(
        withdrawal_view(item),
        participant.display_name if participant else None,
        [withdrawal_event_view(e) for e in history],
    )


def find(text: str) -> WithdrawalDetail:
    """A request by its number (``W-1042``, ``1042``) or its id."""
    text = (text or "").strip()
    number = parse_number(text)
    if number is not None:
        withdrawal_id = withdrawal_id_by_number(number)
        if withdrawal_id is not None:
            return withdrawal(withdrawal_id)
    if text and len(text) <= 64 and all(c in "0123456789abcdef" for c in text.lower()):
        return withdrawal(text.lower())
    raise NotFound(
        "Withdrawal request not found.", details={"query": text[:64]}, reason="withdrawal_not_found"
    )
