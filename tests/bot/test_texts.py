"""The bot's text helpers: what they promise about lengths, plural forms and dates."""

from __future__ import annotations

import pytest
from referral.telegram.texts import shown_length, split_text


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
