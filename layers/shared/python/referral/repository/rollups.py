"""What the statistics rollup writes: a month's dashboard metrics and its ratings' per-participant totals.

The items are derived data (recomputed from the feeds at will), so a plain put is enough.
"""

from __future__ import annotations

import json

from referral.repository import keys
from referral.repository.models import RollupItem

RATING_PART = 10_000
"""Participants per item of a month's rating totals (~20 bytes each, well below DynamoDB's 400 KB)."""


def put_rollup(month: str, value: str, stamp: str) -> None:
    RollupItem(keys.STATS_PK, keys.stats_month_sk(month), value=value, month=month, updated_at=stamp).save()


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


def put_ledger_seal(value: str, stamp: str) -> None:
    """The ledger's running sums up to a moment (``referral.read.money``): derived, so a plain put."""
    RollupItem(keys.STATS_PK, keys.STATS_LEDGER_SEAL_SK, value=value, month="-", updated_at=stamp).save()
