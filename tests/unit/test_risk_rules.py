"""The fraud signals' pure rules: equal Ozon IDs, payout details' fingerprint, the thresholds' edges."""

from __future__ import annotations

import pytest
from referral.domain import risks
from referral.domain.payout_details import PayoutFingerprinter
from referral.domain.risks import RiskKind, RiskThresholds


@pytest.mark.parametrize("raw", ["123", "0123", "000123", "１２３", "０１２３", " 12 3 ", "#123"])
def test_the_same_number_written_differently_has_one_canonical_ozon_id(raw: str) -> None:
    assert risks.canonical_ozon_id(raw) == "123"


def test_different_numbers_and_zero_stay_apart() -> None:
    assert risks.canonical_ozon_id("1230") == "1230"
    assert risks.canonical_ozon_id("000") == "0"
    assert risks.canonical_ozon_id("") == ""


def test_payout_details_compare_by_letters_and_digits_only() -> None:
    fingerprinter = PayoutFingerprinter(b"k" * 32)

    def fingerprints(raw: str) -> list[str]:
        return [found.value for found in fingerprinter.of_payout(raw)]

    card = fingerprints("4276 1234 5678 9012")
    assert card == fingerprints("4276-1234-5678-9012") == fingerprints("４２７６123456789012")
    assert card != fingerprints("4276 1234 5678 9013")
    assert card and "9012" not in card[0]
    assert fingerprints(" - ") == []


def test_thresholds_are_at_least_counts() -> None:
    limits = RiskThresholds(refund_rate_percent=50, refund_min_orders=4, claim_burst_count=3)
    assert risks.refund_rate("1", 2, 4, limits) is not None
    assert risks.refund_rate("1", 1, 4, limits) is None
    assert risks.refund_rate("1", 3, 3, limits) is None  # below the minimum count
    signal = risks.claim_burst("1", ["a", "b", "c"], limits)
    assert signal is not None and signal.kind == RiskKind.CLAIM_BURST
    assert risks.claim_burst("1", ["a", "b"], limits) is None
