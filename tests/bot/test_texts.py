"""The bot's text helpers: what they promise about lengths, plural forms and dates."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest
from referral.config import ConfigurationError
from referral.telegram.texts import count, date, moment, program_timezone, shown_length, split_text


@pytest.mark.parametrize(
    ("text", "limit", "parts"),
    [
        ("short", 10, ["short"]),
        ("one two three", 8, ["one two", "three"]),
        ("line one\nline two", 12, ["line one", "line two"]),
        ("abcdefgh", 3, ["abc", "def", "gh"]),
        ("😀😀😀", 2, ["😀", "😀", "😀"]),  # never cuts an emoji in half
        ("😀x", 1, ["😀", "x"]),  # a character longer than the limit still moves on
    ],
)
def test_split_text_keeps_parts_within_the_limit(text: str, limit: int, parts: list[str]) -> None:
    assert split_text(text, limit) == parts
    assert all(shown_length(part) <= max(limit, 2) for part in parts)


@pytest.fixture
def zone(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[str | None], None]]:
    def use(name: str | None) -> None:
        if name is None:
            monkeypatch.delenv("PROGRAM_TIMEZONE", raising=False)
        else:
            monkeypatch.setenv("PROGRAM_TIMEZONE", name)
        program_timezone.cache_clear()

    yield use
    program_timezone.cache_clear()


def test_dates_and_moments_are_in_the_programs_time_zone(zone: Callable[[str | None], None]) -> None:
    late = datetime(2026, 1, 10, 22, 30, tzinfo=UTC)

    zone(None)
    assert (date(late), moment(late)) == ("11.01.2026", "11.01.2026 01:30 MSK")
    zone("Asia/Vladivostok")
    assert moment(late) == "11.01.2026 08:30 +10"
    zone("Mars/Olympus")
    with pytest.raises(ConfigurationError, match="PROGRAM_TIMEZONE"):
        date(late)


@pytest.mark.parametrize(
    ("value", "unit", "lang", "shown"),
    [
        (1, "points", "ru", "1 балл"),
        (21, "points", "ru", "21 балл"),
        (303, "points", "ru", "303 балла"),
        (5, "points", "ru", "5 баллов"),
        (11, "points", "ru", "11 баллов"),
        (112, "points", "ru", "112 баллов"),
        (0, "points", "ru", "0 баллов"),
        (1001, "points", "ru", "1 001 балл"),
        (2, "orders", "ru", "2 заказа"),
        (1, "orders", "en", "1 order"),
        (2, "orders", "en", "2 orders"),
        (1, "points", "en", "1 point"),
        (0, "points", "en", "0 points"),
    ],
)
def test_counts_take_the_right_plural_form(value: int, unit: str, lang: str, shown: str) -> None:
    assert count(value, unit, lang) == shown
