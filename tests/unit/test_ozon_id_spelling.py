"""One Ozon ID, one spelling: digits of any script, spaces, invisible characters and leading zeros."""

from __future__ import annotations

import pytest
from referral.domain.participants import buyer_ozon_id, canonical_ozon_id, normalize_ozon_id
from referral.errors import InvalidInput


@pytest.mark.parametrize(
    "typed",
    [
        "123456789",
        " 123456789 ",
        "000123456789",
        "１２３４５６７８９",  # full-width
        "١٢٣٤٥٦٧٨٩",  # Arabic-Indic
        "۱۲۳۴۵۶۷۸۹",  # extended Arabic-Indic (Persian)
        "१२३४५६७८९",  # Devanagari
        "#123 456 789",
        "\u200b123456789\ufeff",  # zero-width space, byte order mark
        "\t0１2３456789\n",
    ],
)
def test_every_spelling_of_one_id_is_the_same_id(typed: str) -> None:
    assert normalize_ozon_id(typed) == "123456789"


@pytest.mark.parametrize(
    "typed", ["0", "000", "00", "0012", "12", "abc", "12a456", "²³⁴567", "", "1" * 21, "0" * 70]
)
def test_what_is_not_an_ozon_id_is_refused(typed: str) -> None:
    with pytest.raises(InvalidInput):
        normalize_ozon_id(typed)


def test_leading_zeros_do_not_count_towards_the_length() -> None:
    assert normalize_ozon_id("0" * 40 + "123") == "123"
    assert canonical_ozon_id("0") is None


@pytest.mark.parametrize(
    ("reported", "buyer"),
    [("00123456", "123456"), ("123456", "123456"), ("0", None), ("", None), (None, None), ("A-77", "A-77")],
)
def test_the_buyer_an_ozon_answer_names_is_spelt_like_participants_ids(
    reported: str | None, buyer: str | None
) -> None:
    assert buyer_ozon_id(reported) == buyer
