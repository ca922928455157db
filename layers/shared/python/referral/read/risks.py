"""Open fraud flags for the operators: newest raised first, by kind, participant and day of raising.

Open flags live in one GSI2 partition that only they use; resolving a flag takes it out. The day range is
the key condition; kind and participant are DynamoDB filters, so a page may hold fewer flags than asked
and its position says where to go on.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from pynamodb.expressions.condition import Condition

from referral.clock import day_bounds
from referral.domain.risks import RiskFlag, RiskKind
from referral.repository import keys
from referral.repository.risk_flags import RiskFlagItem, to_flag

READ_PAGE = 100
"""Open flags read per request while filling a page."""


@dataclass(frozen=True, slots=True)
class RiskFilter:
    kind: RiskKind | None = None
    participant_id: str | None = None
    since: date | None = None
    until: date | None = None


def _range(flt: RiskFilter) -> Condition | None:
    low, high = day_bounds(flt.since, flt.until)
    if low and high:
        return RiskFlagItem.gsi2sk.between(low, high)
    if low:
        return RiskFlagItem.gsi2sk >= low
    if high:
        return RiskFlagItem.gsi2sk <= high
    return None


def _filters(flt: RiskFilter) -> Condition | None:
    condition: Condition | None = None
    if flt.kind is not None:
        condition = RiskFlagItem.kind == flt.kind.value
    if flt.participant_id is not None:
        mine = RiskFlagItem.participant_ids.contains(flt.participant_id)
        condition = mine if condition is None else condition & mine
    return condition


def open_flags(flt: RiskFilter, limit: int, start: dict[str, Any] | None) -> tuple[list[RiskFlag], Any]:
    """One page of open flags and where the next starts (None at the end)."""
    page = RiskFlagItem.feed.query(
        keys.RISKS_OPEN_FEED,
        range_key_condition=_range(flt),
        filter_condition=_filters(flt),
        scan_index_forward=False,
        last_evaluated_key=start,
        page_size=READ_PAGE,
        limit=limit,
    )
    flags = [to_flag(item) for item in page if isinstance(item, RiskFlagItem)]
    return flags, page.last_evaluated_key
