"""Payouts: the request's short number and what an operator records when a request is paid.

A request is named ``W-<number>`` wherever people see it; a request from before numbering (none left
once the backfill has run) is named by its id. Payout details are stored masked: a card, account or phone
number is never kept, only its last four digits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum

from referral.errors import InvalidInput

NUMBER_PREFIX = "W-"
MAX_DETAILS = 120
MAX_REFERENCE = 100

_NUMBER = re.compile(r"^\s*(?:[wW]\s*-?\s*)?0*([1-9][0-9]{0,11})\s*$")
_DIGIT_RUN = re.compile(r"\d(?:[\s\-]?\d){11,}")
"""12 or more digits, perhaps grouped by spaces or dashes: a card (PAN) or an account number."""
_PHONE = re.compile(r"(?<![\d+])(?:\+\s*7|7|8)[\s\-()]{0,3}9\d\d(?:[\s\-()]{0,3}\d){7}(?!\d)")
"""A Russian mobile number (an SBP transfer's), however written: +7 (915) 123-45-67, 8 915 1234567, ..."""


class PayoutMethod(StrEnum):
    CARD = "card"
    SBP = "sbp"
    """The Russian Faster Payments System (a transfer by phone number)."""
    BANK_TRANSFER = "bank_transfer"
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class Payout:
    """How a paid request was paid: the method, masked details and the payment's reference."""

    method: PayoutMethod
    reference: str
    details: str | None = None
    entered: str | None = field(default=None, repr=False, compare=False)
    """The details as the operator entered them, for their keyed fingerprint only: never stored or shown."""


def number_label(number: int | None, withdrawal_id: str) -> str:
    """``W-1042``; a request without a number is named by its id."""
    return f"{NUMBER_PREFIX}{number}" if number is not None else withdrawal_id


def parse_number(text: str) -> int | None:
    """``W-1042``, ``w1042`` or ``1042`` → 1042; anything else → ``None``."""
    match = _NUMBER.match(text or "")
    return int(match.group(1)) if match else None


def mask_details(text: str) -> str:
    """Every run of 12+ digits (a card or account number) and every mobile phone number becomes
    ``•••• <last 4>``."""

    def masked(match: re.Match[str]) -> str:
        digits = re.sub(r"\D", "", match.group(0))
        return f"•••• {digits[-4:]}"

    return _PHONE.sub(masked, _DIGIT_RUN.sub(masked, text))


def payout(method: PayoutMethod | str | None, reference: str | None, details: str | None) -> Payout:
    """Validate what the operator entered; the details come back masked (``entered`` keeps them unmasked
    for the fingerprint the fraud signals compare, computed before anything is stored)."""
    if method is None:
        raise InvalidInput("Choose how the request was paid.", reason="payout_method_required")
    try:
        chosen = PayoutMethod(method)
    except ValueError:
        raise InvalidInput(
            "Unknown payout method.",
            details={"methods": [m.value for m in PayoutMethod]},
            reason="payout_method_unknown",
        ) from None
    reference = " ".join((reference or "").split())
    if not 1 <= len(reference) <= MAX_REFERENCE:
        raise InvalidInput(
            f"Give the payment's reference (1 to {MAX_REFERENCE} characters).",
            reason="payout_reference_required",
        )
    if _DIGIT_RUN.search(reference):
        raise InvalidInput(
            "The reference looks like a card or account number; give the payment's reference instead.",
            reason="payout_reference_card_number",
        )
    cleaned = " ".join((details or "").split())
    if len(cleaned) > MAX_DETAILS:
        raise InvalidInput(
            f"Payout details are at most {MAX_DETAILS} characters.", reason="payout_details_too_long"
        )
    return Payout(chosen, reference, mask_details(cleaned) or None, cleaned or None)
