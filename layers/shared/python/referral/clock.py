"""Time in one place: aware UTC datetimes and their canonical ISO form used in keys."""

from __future__ import annotations

from datetime import UTC, date, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)


def to_iso(moment: datetime) -> str:
    """Fixed-width UTC ISO string so lexicographic order in sort keys equals time order."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def from_iso(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


def month_of(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m")


# --- the calendar of listings and statistics: months as ``YYYY-MM``, days as ISO -----------------------


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


def months_back(month: str, count: int) -> str:
    """The month ``count`` months before ``month``."""
    for _ in range(count):
        month = previous_month(month)
    return month


def months_between(first: str, last: str) -> list[str]:
    """Every month from ``first`` to ``last``, both included (none when ``first`` is later)."""
    months = []
    current = first
    while month_number(current) <= month_number(last):
        months.append(current)
        current = next_month(current)
    return months


def month_within(month: str, first: str, last: str) -> bool:
    return month_number(first) <= month_number(month) <= month_number(last)


def day_bounds(since: date | None, until: date | None) -> tuple[str | None, str | None]:
    """Inclusive days as bounds of ISO timestamps: ``until`` covers its whole day."""
    return (since.isoformat() if since else None, f"{until.isoformat()}~" if until else None)
