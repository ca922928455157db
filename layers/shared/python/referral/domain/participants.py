"""Participants: who they are, their balances and counters, and the sponsor rules of registration."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from referral.domain.ledger import Balances
from referral.domain.settings import Settings
from referral.errors import InvalidInput

_OZON_ID = re.compile(r"^[0-9]{3,20}$")
MAX_RAW_OZON_ID = 64
"""Longer input is not an Ozon ID however many zeros or spaces it has (and int() stays cheap)."""


@dataclass(frozen=True, slots=True)
class TelegramProfile:
    """What Telegram tells us about a user; the Telegram user id is the participant id."""

    user_id: str
    username: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    language_code: str | None = None

    @property
    def display_name(self) -> str:
        name = " ".join(part for part in (self.first_name, self.last_name) if part)
        return name or (f"@{self.username}" if self.username else self.user_id)


@dataclass(frozen=True, slots=True)
class Participant:
    profile: TelegramProfile
    ozon_id: str
    registered_at: datetime
    sponsor_id: str | None = None
    ancestors: tuple[str, ...] = ()
    joined_via: str | None = None
    personal_code: str | None = None
    blocked: bool = False
    balances: Balances = field(default_factory=Balances)
    accrued_total: int = 0
    frozen_corrections: int = 0
    """Net frozen points put in by operators' corrections: all a correction may take out of frozen."""
    corrected_total: int = 0
    """Net points operators' corrections added to the balance (frozen + available); may be negative."""
    orders_count: int = 0
    purchases_sum: Decimal = Decimal(0)
    first_order_at: datetime | None = None
    last_order_at: datetime | None = None
    direct_referrals: int = 0
    network_size: int = 0
    last_withdrawal_at: datetime | None = None
    last_withdrawal_points: int | None = None

    @property
    def id(self) -> str:
        return self.profile.user_id


@dataclass(frozen=True, slots=True)
class NetworkLevel:
    """One level of a participant's network (0 = own purchases): size, purchases and points earned."""

    level: int
    referrals: int = 0
    orders: int = 0
    amount: Decimal = field(default_factory=Decimal)
    earned: int = 0
    last_order_at: datetime | None = None


def canonical_ozon_id(raw: str | None) -> str | None:
    """The one spelling of an Ozon ID, or None when ``raw`` is not one.

    The marketplace's buyer id is a number: any Unicode decimal digits (full-width, Arabic-Indic...) count
    as their ASCII digits, whitespace, invisible format characters and a '#' are dropped and so are
    leading zeros, so that "00123", "１２３" and " 123 " are all "123" (and cannot be claimed twice).
    """
    if not raw or len(raw) > MAX_RAW_OZON_ID:
        return None
    value = "".join(char for char in raw if not (char.isspace() or char == "#" or _invisible(char)))
    if not value or not value.isdecimal():
        return None
    number = int(value)  # int() reads every Unicode decimal digit
    return str(number) if number > 0 else None


def normalize_ozon_id(raw: str) -> str:
    """An Ozon ID as a participant types it, in its canonical spelling; refused when it is not 3-20 digits."""
    value = canonical_ozon_id(raw)
    if value is None or not _OZON_ID.match(value):
        raise InvalidInput(
            "The Ozon ID must be 3 to 20 digits, for example 123456789.", reason="ozon_id_format"
        )
    return value


def buyer_ozon_id(reported: str | None) -> str | None:
    """The buyer id an Ozon answer carries, spelled as participants' ids are (None: no buyer known)."""
    if reported is None or not reported.strip():
        return None
    canonical = canonical_ozon_id(reported)
    if canonical is None:
        return None if reported.strip().strip("0") == "" else reported.strip()
    return canonical


def _invisible(char: str) -> bool:
    return unicodedata.category(char) == "Cf"


class SponsorOutcome(StrEnum):
    ATTACHED = "attached"
    NO_LINK = "no_link"
    UNKNOWN_LINK = "unknown_link"
    EXISTING_BUYER = "existing_buyer"
    """R3: the Ozon ID bought before registering and the program invites only new buyers."""


def decide_sponsor(
    *,
    link_owner: str | None,
    link_given: bool,
    sponsor: Participant | None,
    bought_before: bool,
    settings: Settings,
) -> tuple[Participant | None, SponsorOutcome]:
    """Whom a newcomer is attached to (R1, R3). Pure: the caller has read everything needed."""
    if not link_given:
        return None, SponsorOutcome.NO_LINK
    if link_owner is None or sponsor is None:
        return None, SponsorOutcome.UNKNOWN_LINK
    if settings.invite_only_new_buyers and bought_before:
        return None, SponsorOutcome.EXISTING_BUYER
    return sponsor, SponsorOutcome.ATTACHED
