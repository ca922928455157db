"""Ratings: the top participants by one measure, of all time or of a period of months."""

from __future__ import annotations

import heapq
import json
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

from referral.read.network import profiles_of
from referral.read.participants import top
from referral.read.views import ParticipantView
from referral.repository import keys
from referral.repository.models import RollupItem

RATINGS = {
    "referrals": ("referrals", "direct_referrals"),
    "network_orders": ("network_orders", "network_orders"),
    "network_sum": ("network_amount", "network_amount"),
    "withdrawn": ("withdrawn", "withdrawn"),
}
"""Rating kind → (the sorted index it reads, the profile attribute it ranks by)."""


@dataclass(frozen=True, slots=True)
class Ranked:
    participant: ParticipantView
    value: int | Decimal
    """What the rating ranks by (a count, points, or a RUB sum)."""


def rating(kind: str, limit: int = 100, months: tuple[str, str] | None = None) -> list[Ranked]:
    """Top ``limit`` by one measure, of all time or of the months ``(first, last)``.

    All time: the first page of the measure's sorted index (one Query + one BatchGetItem). A period: the
    rollup's per-month totals of each active participant (one Query over the months' parts, ~20 bytes per
    participant active in a month), summed, then one BatchGetItem of the top.
    """
    if months is None:
        index, attribute = RATINGS[kind]
        return [Ranked(item, getattr(item, attribute) or 0) for item in top(index, limit)]
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for part in rating_parts(kind, *months):
        for participant_id, value in part.items():
            totals[participant_id] += Decimal(value)
    best = heapq.nsmallest(limit, totals.items(), key=lambda entry: (-entry[1], entry[0]))
    profiles = profiles_of([participant_id for participant_id, _ in best])
    return [
        Ranked(profile, value if kind == "network_sum" else int(value))
        for participant_id, value in best
        if (profile := profiles.get(participant_id)) is not None
    ]


def rating_parts(kind: str, first_month: str, last_month: str) -> Iterator[dict[str, str]]:
    """Every part of a rating's monthly totals over the months (one paged Query)."""
    for item in RollupItem.query(
        keys.STATS_PK, RollupItem.sk.between(*keys.stats_rating_bounds(kind, first_month, last_month))
    ):
        yield json.loads(item.value or "{}")
