"""Referral links: personal and product links, their random codes and counters."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from referral.errors import InvalidInput

CODE_BYTES = 6
"""8 URL-safe characters: random (never derived from user ids), well within Telegram's 64."""

_CODE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_SKU = re.compile(r"^\d{4,20}$")
_OZON_URL = re.compile(r"^https://(www\.)?ozon\.ru/(product|t)/[^\s]{1,400}$")


class LinkKind(StrEnum):
    PERSONAL = "personal"
    PRODUCT = "product"
    NAMED = "named"
    """A plain invitation link with the name its owner gave it ("Instagram"): counted apart, no product."""


@dataclass(frozen=True, slots=True)
class Link:
    code: str
    owner_id: str
    kind: LinkKind
    created_at: datetime
    product_name: str | None = None
    product_ref: str | None = None
    name: str | None = None
    """The owner's name of a ``NAMED`` link (a product link is named by ``product_name``)."""
    clicks: int = 0
    registrations: int = 0
    purchases: int = 0


def new_code() -> str:
    return secrets.token_urlsafe(CODE_BYTES)


def is_valid_code(code: str) -> bool:
    return bool(_CODE.match(code or ""))


def deep_link(bot_username: str, code: str) -> str:
    return f"https://t.me/{bot_username}?start={code}"


def validate_name(name: str) -> str:
    """A link's name, whitespace collapsed: 1 to 100 characters."""
    clean_name = " ".join((name or "").split())
    if not 1 <= len(clean_name) <= 100:
        raise InvalidInput("The link's name must be 1 to 100 characters.", reason="product_name_length")
    return clean_name


def validate_product(name: str, product_ref: str) -> tuple[str, str]:
    """A product link needs a name and either an Ozon product URL or a SKU."""
    clean_name = validate_name(name)
    ref = (product_ref or "").strip()
    if not (_SKU.match(ref) or _OZON_URL.match(ref)):
        raise InvalidInput(
            "Give an Ozon product URL (https://www.ozon.ru/product/…) or a numeric SKU.",
            reason="product_ref_invalid",
        )
    return clean_name, ref


class LinkOpenOutcome(StrEnum):
    NEWCOMER = "newcomer"
    """Not registered yet: the code is remembered for the registration."""
    ALREADY_REGISTERED = "already_registered"
    """R2: counted as a click, but never re-attaches."""
    OWN_LINK = "own_link"
    """R4: one's own link; not counted."""
    UNKNOWN = "unknown"
