"""The operators' settings for order claims (``Settings.claims``); the rules are in ``domain.claims``."""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import Annotated

from pydantic import ConfigDict, Field, StrictInt

from referral.domain.numbers import JsonNumbers, decimal_schema

REVIEW_ABOVE_TEXT = r"^(100000000(\.0{1,2})?|(0|[1-9][0-9]{0,7})(\.[0-9]{1,2})?)$"
TOLERANCE_TEXT = r"^(100(\.0{1,2})?|(0|[1-9][0-9]?)(\.[0-9]{1,2})?)$"


class ReviewMode(StrEnum):
    NONE = "none"
    """Every accepted claim accrues at once."""
    ABOVE_AMOUNT = "above_amount"
    """Claims of postings above ``review_above`` RUB wait for an operator."""
    ALL = "all"
    FLAGGED = "flagged"
    """Claims of participants the fraud checks flagged wait for an operator."""


class ClaimPolicy(JsonNumbers):
    """Operators' settings for order claims: which need approval, and how the proof is checked."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    review: ReviewMode = ReviewMode.NONE
    review_above: Annotated[Decimal, decimal_schema(REVIEW_ABOVE_TEXT, 0, 100_000_000)] = Field(
        default=Decimal(10000), ge=0, le=100_000_000, max_digits=12, decimal_places=2
    )
    """RUB; with ``above_amount``, a claim of a posting worth more than this waits for an operator."""
    proof_tolerance: Annotated[Decimal, decimal_schema(TOLERANCE_TEXT, 0, 100)] = Field(
        default=Decimal(1), ge=0, le=100, max_digits=6, decimal_places=2
    )
    """RUB either way: the named price still matches (rounding in the app, kopecks left out)."""
    attempts_per_participant: StrictInt = Field(default=5, ge=1, le=100)
    attempts_per_order: StrictInt = Field(default=3, ge=1, le=100)
    attempts_window_hours: StrictInt = Field(default=24, ge=1, le=24 * 30)
