"""Payout details as the fraud signals see them: found in free text, normalized, fingerprinted with a key.

Details reach us two ways: a participant writes them to the operators (a card number, the phone of an SBP
transfer) and an operator records them when marking a request paid. The same card or phone written in any
formatting gives the same fingerprint, so "8 915 123-45-67" and "+79151234567" are one phone.

A fingerprint is an HMAC-SHA256 under a secret key: without the key, the short space of card and phone
numbers cannot be searched to turn a fingerprint back into its number. Only fingerprints, the kind and the
last four digits are ever kept; the details themselves never are.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata
from dataclasses import dataclass, field
from enum import StrEnum

MIN_KEY_BYTES = 32
"""A shorter key would make the fingerprints guessable again."""
CARD_DIGITS = range(16, 20)
PHONE_DIGITS = 11
MIN_OTHER_DIGITS = 8
"""Free-form details with fewer digits (a bank's name, a masked "***-12-34") say nothing about who is paid:
comparing them would tie together everyone paid through the same bank."""

_GROUP = re.compile(r"\d+")
_JOINER = re.compile(r"^[ \t\u00a0\u202f\-\u2010-\u2015().]{0,3}$")
"""What may stand between two digit groups of one number on one line: spaces, dashes, brackets, a dot."""


class PayoutKind(StrEnum):
    CARD = "card"
    PHONE = "phone"
    """A Russian mobile number: where an SBP transfer goes."""
    OTHER = "other"
    """Anything else an operator recorded (an account, a wallet): compared as its letters and digits."""


@dataclass(frozen=True, slots=True)
class PayoutDetail:
    """One card, phone or other payout detail in its one canonical spelling (never logged, never stored)."""

    kind: PayoutKind
    canonical: str = field(repr=False)

    @property
    def last4(self) -> str | None:
        digits = re.sub(r"\D", "", self.canonical)
        return digits[-4:] if len(digits) >= 4 else None


@dataclass(frozen=True, slots=True)
class PayoutFingerprint:
    """What may be kept of a detail: its keyed fingerprint, kind and last four digits."""

    value: str
    kind: PayoutKind
    last4: str | None


def luhn_valid(digits: str) -> bool:
    """The check digit every payment card number carries."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        digit = int(char)
        if position % 2:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return total % 10 == 0


def _ascii(text: str) -> str:
    """Full-width and other scripts' digits as ASCII, compatibility forms folded."""
    folded = unicodedata.normalize("NFKC", text or "")
    return "".join(
        str(unicodedata.digit(ch)) if ch.isdigit() and unicodedata.digit(ch, None) is not None else ch
        for ch in folded
    )


def canonical_phone(digits: str) -> str | None:
    """``+7``/``7``/``8`` and a mobile number's ten digits → ``79XXXXXXXXX``; anything else → None."""
    if len(digits) == PHONE_DIGITS and digits[0] in "78" and digits[1] == "9":
        return "7" + digits[1:]
    return None


def _as_detail(digits: str) -> PayoutDetail | None:
    if len(digits) in CARD_DIGITS and luhn_valid(digits):
        return PayoutDetail(PayoutKind.CARD, digits)
    phone = canonical_phone(digits)
    return PayoutDetail(PayoutKind.PHONE, phone) if phone else None


def find_details(text: str) -> list[PayoutDetail]:
    """Cards (16–19 digits, Luhn-valid) and Russian mobile phones in ``text``, however they are grouped.

    Digits are read in groups joined by spaces, dashes or brackets; from each group on, the longest run of
    groups that makes a card or a phone is taken, so two numbers written side by side are both found.
    """
    plain = _ascii(text)
    groups = list(_GROUP.finditer(plain))
    found: dict[tuple[PayoutKind, str], PayoutDetail] = {}
    start = 0
    while start < len(groups):
        end, digits = start, ""
        runs: list[tuple[int, str]] = []
        while end < len(groups) and len(digits) < max(CARD_DIGITS):
            if end > start and not _JOINER.match(plain[groups[end - 1].end() : groups[end].start()]):
                break
            digits += groups[end].group()
            runs.append((end, digits))
            end += 1
        taken = next(
            ((last, detail) for last, run in reversed(runs) if (detail := _as_detail(run)) is not None),
            None,
        )
        if taken is None:
            start += 1
            continue
        last, detail = taken
        found.setdefault((detail.kind, detail.canonical), detail)
        start = last + 1
    return list(found.values())


def normalized_other(text: str) -> str:
    """Free-form details compared as their letters and digits only, case- and width-insensitive."""
    return re.sub(r"[\W_]+", "", _ascii(text).casefold())


def details_of_payout(text: str) -> list[PayoutDetail]:
    """What an operator recorded: the cards and phones in it, else the whole text as one other detail
    (an account or a wallet: with at least ``MIN_OTHER_DIGITS`` digits)."""
    found = find_details(text)
    if found:
        return found
    other = normalized_other(text)
    enough = sum(ch.isdigit() for ch in other) >= MIN_OTHER_DIGITS
    return [PayoutDetail(PayoutKind.OTHER, other)] if enough else []


class PayoutFingerprinter:
    """Keyed fingerprints of payout details. The key stays inside: never in a repr, a log or the table."""

    __slots__ = ("_key",)

    def __init__(self, key: bytes) -> None:
        if len(key) < MIN_KEY_BYTES:
            raise ValueError(f"the payout fingerprint key must be at least {MIN_KEY_BYTES} bytes")
        self._key = key

    def __repr__(self) -> str:
        return "PayoutFingerprinter(<key>)"

    def fingerprint(self, detail: PayoutDetail) -> PayoutFingerprint:
        message = f"payout\x00{detail.kind.value}\x00{detail.canonical}".encode()
        value = hmac.new(self._key, message, hashlib.sha256).hexdigest()[:32]
        return PayoutFingerprint(value, detail.kind, detail.last4)

    def of_message(self, text: str) -> list[PayoutFingerprint]:
        """A participant's message: the cards and phones in it (none: nothing)."""
        return [self.fingerprint(detail) for detail in find_details(text)]

    def of_payout(self, text: str) -> list[PayoutFingerprint]:
        """An operator's payout details: the cards and phones in them, else the details as a whole."""
        return [self.fingerprint(detail) for detail in details_of_payout(text)]
