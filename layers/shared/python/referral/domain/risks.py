"""Fraud signals: what each kind means, the evidence it carries and the thresholds that raise it.

A signal only flags: operators decide what to do (block, correct, nothing). Every rule here is pure; the
counts come from ``services.risks``, which gathers them where the data already flows.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import ConfigDict, Field, StrictBool, StrictInt

from referral.domain.numbers import JsonNumbers

EVIDENCE_IDS = 20
"""Most ids a flag's evidence lists; the count says how many there are in all."""


class RiskKind(StrEnum):
    SHARED_PAYOUT = "shared_payout"
    """The same card, phone or other payout details given by several participants (in their dialog with the
    operators, or recorded by an operator paying their request)."""
    REGISTRATION_BURST = "registration_burst"
    """Many registrations under one sponsor within a short window."""
    REFUND_RATE = "refund_rate"
    """A network whose orders are cancelled or returned unusually often."""
    CLAIM_BURST = "claim_burst"
    """Many orders claimed by one participant within a window."""
    SHARED_OZON_ID = "shared_ozon_id"
    """Several participants whose Ozon IDs are the same number written differently."""
    CLAIM_ONLY_REFERRALS = "claim_only_referrals"
    """A sponsor whose referrals' orders all came in by claims, never matched by Ozon's customer id."""


class FlagStatus(StrEnum):
    OPEN = "open"
    RESOLVED = "resolved"


class RiskThresholds(JsonNumbers):
    """When each signal is raised. Counts are "at least"; windows bound the events counted."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: StrictBool = True
    shared_payout_participants: StrictInt = Field(default=2, ge=2, le=1000)
    registration_burst_count: StrictInt = Field(default=10, ge=2, le=100_000)
    registration_burst_minutes: StrictInt = Field(default=60, ge=1, le=43_200)
    refund_rate_percent: StrictInt = Field(default=30, ge=1, le=100)
    refund_min_orders: StrictInt = Field(default=10, ge=1, le=1_000_000)
    claim_burst_count: StrictInt = Field(default=5, ge=2, le=100_000)
    claim_burst_hours: StrictInt = Field(default=24, ge=1, le=720)
    shared_ozon_id_participants: StrictInt = Field(default=2, ge=2, le=1000)
    claim_only_min_orders: StrictInt = Field(default=5, ge=1, le=1_000_000)


MAX_WINDOW_MINUTES = 43_200
"""The longest window any threshold allows (30 days): how long timed observations are kept."""


@dataclass(frozen=True, slots=True)
class Signal:
    """A detector's finding: the flag to open (or to refresh, when one for the subject is open)."""

    kind: RiskKind
    subject: str
    participant_ids: tuple[str, ...]
    reason: str
    evidence: dict[str, Any]


@dataclass(frozen=True, slots=True)
class RiskFlag:
    flag_id: str
    kind: RiskKind
    subject: str
    participant_ids: tuple[str, ...]
    reason: str
    evidence: dict[str, Any]
    status: FlagStatus
    raised_at: datetime
    updated_at: datetime
    resolved_at: datetime | None = None
    resolved_by: str | None = None
    note: str | None = None
    raised_times: int = 1
    extra: dict[str, Any] = field(default_factory=dict)


# --- equivalence of identifiers ----------------------------------------------------------------------


def canonical_ozon_id(raw: str) -> str:
    """One spelling per Ozon customer number: any script's digits as ASCII, no separators, no leading zeros.

    "0123", "123" and full-width "１２３" are the same number, so they are the same buyer.
    """
    digits = "".join(
        str(unicodedata.digit(ch)) for ch in raw or "" if unicodedata.digit(ch, None) is not None
    )
    return digits.lstrip("0") or ("0" if digits else "")


# --- the rules --------------------------------------------------------------------------------------------


def _ids(ids: list[str] | tuple[str, ...]) -> list[str]:
    return sorted(ids)[:EVIDENCE_IDS]


def shared_payout(
    fingerprint: str,
    participants: list[str],
    limits: RiskThresholds,
    *,
    kind: str = "other",
    last4: str | None = None,
) -> Signal | None:
    """``fingerprint``: the details' keyed fingerprint (the flag's subject); the evidence names only the
    participants, the kind (card, phone, other) and the last four digits, never the details."""
    if len(participants) < limits.shared_payout_participants:
        return None
    ending = f" ending in {last4}" if last4 else ""
    return Signal(
        RiskKind.SHARED_PAYOUT,
        fingerprint,
        tuple(sorted(participants)),
        f"The same payout details ({kind}{ending}) were given by {len(participants)} participants.",
        {"participants": _ids(participants), "count": len(participants), "kind": kind, "last4": last4},
    )


def shared_ozon_id(canonical: str, participants: list[str], limits: RiskThresholds) -> Signal | None:
    if len(participants) < limits.shared_ozon_id_participants:
        return None
    return Signal(
        RiskKind.SHARED_OZON_ID,
        canonical,
        tuple(sorted(participants)),
        f"{len(participants)} people gave Ozon IDs that are the same number {canonical}.",
        {"participants": _ids(participants), "count": len(participants), "ozon_id": canonical},
    )


def registration_burst(sponsor_id: str, referrals: list[str], limits: RiskThresholds) -> Signal | None:
    if len(referrals) < limits.registration_burst_count:
        return None
    minutes = limits.registration_burst_minutes
    return Signal(
        RiskKind.REGISTRATION_BURST,
        sponsor_id,
        (sponsor_id,),
        f"{len(referrals)} registrations under this sponsor within {minutes} minutes.",
        {"referrals": _ids(referrals), "count": len(referrals), "window_minutes": minutes},
    )


def claim_burst(participant_id: str, postings: list[str], limits: RiskThresholds) -> Signal | None:
    if len(postings) < limits.claim_burst_count:
        return None
    hours = limits.claim_burst_hours
    return Signal(
        RiskKind.CLAIM_BURST,
        participant_id,
        (participant_id,),
        f"{len(postings)} orders claimed within {hours} hours.",
        {"postings": _ids(postings), "count": len(postings), "window_hours": hours},
    )


def refund_rate(root_id: str, refunded: int, orders: int, limits: RiskThresholds) -> Signal | None:
    """``orders``: every order the network ever placed (the cancelled ones included)."""
    if orders < limits.refund_min_orders or refunded * 100 < limits.refund_rate_percent * orders:
        return None
    percent = refunded * 100 // orders
    return Signal(
        RiskKind.REFUND_RATE,
        root_id,
        (root_id,),
        f"{refunded} of {orders} orders of this network were cancelled or returned ({percent}%).",
        {"refunded": refunded, "orders": orders, "percent": percent, "threshold": limits.refund_rate_percent},
    )


def claim_only_referrals(sponsor_id: str, claimed: int, orders: int, limits: RiskThresholds) -> Signal | None:
    """``claimed``: referrals' orders that came in by claims; ``orders``: all their orders."""
    if claimed < limits.claim_only_min_orders or claimed < orders:
        return None
    return Signal(
        RiskKind.CLAIM_ONLY_REFERRALS,
        sponsor_id,
        (sponsor_id,),
        f"All {claimed} orders of this sponsor's referrals came in by claims, none by Ozon's customer id.",
        {"claimed": claimed, "orders": orders},
    )
