"""Builders of test inputs: participants registered through the real services, postings."""

from __future__ import annotations

import itertools
from datetime import datetime
from decimal import Decimal

from referral.domain.orders import Posting
from referral.domain.participants import Participant, TelegramProfile
from referral.services import Services

_ozon_ids = itertools.count(100_000_001)
_postings = itertools.count(1)


def join(
    services: Services, user_id: str, sponsor: Participant | None = None, *, ozon_id: str | None = None
) -> Participant:
    """Register ``user_id``, through ``sponsor``'s personal link when given."""
    code = sponsor.personal_code if sponsor else None
    if code:
        services.participants.open_link(code, user_id)
    profile = TelegramProfile(user_id=user_id, username=f"user{user_id}", first_name=f"Name{user_id}")
    registration = services.participants.register(profile, ozon_id or str(next(_ozon_ids)), code)
    return registration.participant


def chain(services: Services, *user_ids: str) -> list[Participant]:
    """Register a straight line: each user invited by the previous one."""
    members: list[Participant] = []
    for user_id in user_ids:
        members.append(join(services, user_id, members[-1] if members else None))
    return members


def posting(
    created_at: datetime,
    amount: str | Decimal = "1000.00",
    *,
    status: str = "awaiting_deliver",
    number: str | None = None,
    customer_id: str | None = None,
    scheme: str = "FBS",
) -> Posting:
    return Posting(
        posting_number=number or f"0{next(_postings):07d}-0001-1",
        scheme=scheme,
        status=status,
        created_at=created_at,
        amount=Decimal(amount),
        order_number=None,
        customer_id=customer_id,
    )
