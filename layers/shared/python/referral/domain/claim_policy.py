"""The operators' settings for order claims (``Settings.claims``); the rules are in ``domain.claims``."""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, StrictInt


class ReviewMode(StrEnum):
    NONE = "none"
    """Every accepted claim accrues at once."""
    ABOVE_AMOUNT = "above_amount"
    """Claims of postings above ``review_above`` RUB wait for an operator."""
    ALL = "all"
    FLAGGED = "flagged"
    """Claims of participants the fraud checks flagged wait for an operator."""


class ClaimPolicy(BaseModel):
    """Operators' settings for order claims: which need approval, and how the proof is checked."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    review: ReviewMode = ReviewMode.NONE
    review_above: Decimal = Field(
        default=Decimal(10000), ge=0, le=100_000_000, max_digits=12, decimal_places=2
    )
    """RUB; with ``above_amount``, a claim of a posting worth more than this waits for an operator."""
    proof_tolerance: Decimal = Field(default=Decimal(1), ge=0, le=100, max_digits=6, decimal_places=2)
    """RUB either way: the named price still matches (rounding in the app, kopecks left out)."""
    attempts_per_participant: StrictInt = Field(default=5, ge=1, le=100)
    attempts_per_order: StrictInt = Field(default=3, ge=1, le=100)
    attempts_window_hours: StrictInt = Field(default=24, ge=1, le=24 * 30)
