"""Pure rules of the ledger: R5 arithmetic, R7 partial-return arithmetic, balance parts."""

from decimal import Decimal

import pytest
from referral.domain.ledger import (
    BalanceDelta,
    Balances,
    correction_delta,
    points_for,
    reversal_points,
    to_amount,
)
from referral.errors import InvalidInput


@pytest.mark.parametrize(
    ("amount", "rate", "points"),
    [
        ("1000.00", "10", 10),
        ("999.99", "10", 9),  # floor, never rounding up
        ("2590.50", "3", 7),  # 7.7715 -> 7
        ("1390.00", "50", 69),  # 5 % of 1390 = 69.5 -> 69
        ("0.00", "50", 0),
        ("100000.00", "0", 0),
        ("1234.56", "2.5", 3),  # fractional rates are exact in Decimal
    ],
)
def test_r5_points_are_floor_of_amount_times_rate_per_thousand(amount: str, rate: str, points: int) -> None:
    assert points_for(Decimal(amount), Decimal(rate)) == points


def test_r5_decimal_arithmetic_is_exact_where_float_is_not() -> None:
    # 0.1 + 0.2 style errors would floor 3000 * 0.7 / 1000 = 2.0999... to 2 in binary floats.
    assert points_for(Decimal("3000"), Decimal("0.7")) == 2
    assert points_for(Decimal("1000"), Decimal("2.1")) == 2
    assert points_for(Decimal("10000"), Decimal("0.7")) == 7


def test_amounts_refuse_floats_and_negatives() -> None:
    with pytest.raises(InvalidInput):
        to_amount(12.5)  # type: ignore[arg-type]
    with pytest.raises(InvalidInput):
        to_amount("-1")
    with pytest.raises(InvalidInput):
        to_amount("abc")
    assert to_amount("12.345") == Decimal("12.35")


def test_r7_partial_returns_in_any_sequence_end_where_one_return_would() -> None:
    amount, rate = Decimal("3333.33"), Decimal("50")
    accrued = points_for(amount, rate)
    single = reversal_points(accrued, 0, amount - Decimal("2222.22"), rate)
    reversed_total = 0
    kept = amount
    for returned in (Decimal("1000.00"), Decimal("111.11"), Decimal("1111.11")):
        kept -= returned
        reversed_total += reversal_points(accrued, reversed_total, kept, rate)
    assert reversed_total == single
    assert accrued - reversed_total == points_for(kept, rate)


def test_r7_reversal_never_negative_when_kept_amount_grows_back() -> None:
    assert reversal_points(50, 20, Decimal("1000"), Decimal("50")) == 0


def test_balance_parts_and_corrections() -> None:
    balances = Balances(frozen=100, available=40).apply(BalanceDelta(available=-30, reserved=30))
    assert balances == Balances(frozen=100, available=10, reserved=30)
    assert balances.balance == 110
    # "available" +10 and "total" +25: frozen takes the other 15
    assert correction_delta(10, 25) == BalanceDelta(frozen=15, available=10)
    assert correction_delta(-5, -5).total_change == -5
