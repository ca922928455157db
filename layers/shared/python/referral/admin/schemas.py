"""Response and request models shared by the admin routes (they make the OpenAPI document)."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Query
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints

from referral.admin.schemas_names import PersonOut, person_out
from referral.domain.numbers import JsonNumbers
from referral.domain.payouts import Payout, PayoutMethod, number_label, payout
from referral.read.people import People
from referral.read.views import AuditView, LedgerEntryView, ParticipantView, WithdrawalView, money

Money = Annotated[
    str, Field(description='RUB amount as a decimal string, e.g. "1500.00"', examples=["1500.00"])
]


def non_blank(max_length: int) -> StringConstraints:
    """Text with something besides spaces, at most ``max_length`` once trimmed (and so said in the schema)."""
    return StringConstraints(strip_whitespace=True, min_length=1, pattern=r"\S", max_length=max_length)


Reason = Annotated[str, non_blank(500)]
IdText = Annotated[str, StringConstraints(pattern=r"^[0-9]{1,20}$")]
Timestamp = Annotated[str, Field(description="UTC ISO time, e.g. 2026-01-10T12:00:00.000000Z")]

Limit = Annotated[int, Query(ge=1, le=100, description="Most items on the page")]
Cursor = Annotated[str | None, Query(max_length=4096, description="next_cursor of the previous page")]


def _iso_day_only(value: object) -> object:
    """A day is ``YYYY-MM-DD``: pydantic would also take ``0`` or ``1.5`` (seconds since 1970)."""
    if isinstance(value, str) and not ISO_DAY.fullmatch(value):
        raise ValueError("a day is written YYYY-MM-DD")
    return value


ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
Day = Annotated[date, BeforeValidator(_iso_day_only)]
"""A day in a query, as its schema (``format: date``) says: ``YYYY-MM-DD`` and nothing else."""
Since = Annotated[Day | None, Query(alias="from", description="First day, YYYY-MM-DD (UTC)")]
Until = Annotated[Day | None, Query(alias="to", description="Last day, YYYY-MM-DD (UTC), included")]


def empty_range(**pairs: tuple[Any, Any]) -> bool:
    """Whether a range's lower bound is above its upper one: then nothing can match, and the answer is
    an empty page (DynamoDB itself refuses such key conditions, so it is never asked)."""
    return any(low is not None and high is not None and low > high for low, high in pairs.values())


class Strict(JsonNumbers):
    """A request body: unknown fields are refused; numbers and switches use pydantic's strict types."""

    model_config = ConfigDict(extra="forbid")


class FieldError(BaseModel):
    """One invalid field: the ``type`` and ``ctx`` are pydantic's, stable enough to translate."""

    field: str
    """Dotted path: ``hold_days``, ``level_rates.1``, ``query.limit``, ``path.withdrawal_id``."""
    message: str
    """English; for people, not for programs."""
    type: str
    """e.g. ``missing``, ``less_than_equal``, ``string_too_long``, ``int_type``, ``extra_forbidden``."""
    ctx: dict[str, Any] | None = None
    """The limits of the check that failed, e.g. ``{"le": 365}``; absent when it has none."""


class ErrorDetails(BaseModel):
    model_config = ConfigDict(extra="allow")

    reason: str
    """Stable machine key of the exact case (docs/admin-api.md lists them)."""
    errors: list[FieldError] | None = None
    """For 422 invalid input (and 400 unreadable JSON): every field that failed."""


class ErrorDetail(BaseModel):
    code: str
    """The category (picks the HTTP status): invalid_input, not_found, conflict, unauthorized, ..."""
    message: str
    details: ErrorDetails


class ErrorBody(BaseModel):
    error: ErrorDetail


class Done(BaseModel):
    ok: bool = True
    applied: bool = True
    """False when the request repeated one already applied (idempotent)."""


class ParticipantRow(BaseModel):
    id: str
    name: str
    username: str | None
    registered_at: Timestamp
    sponsor_id: str | None
    blocked: bool
    balance: int
    available: int
    frozen: int
    reserved: int
    withdrawn: int
    accrued_total: int
    orders_count: int
    purchases_sum: Money
    last_order_at: Timestamp | None
    direct_referrals: int
    network_size: int


def participant_row(item: ParticipantView) -> ParticipantRow:
    return ParticipantRow(
        id=item.participant_id,
        name=item.display_name,
        username=item.username,
        registered_at=item.registered_at,
        sponsor_id=item.sponsor_id,
        blocked=item.blocked,
        balance=item.balance,
        available=item.available,
        frozen=item.frozen,
        reserved=item.reserved,
        withdrawn=item.withdrawn,
        accrued_total=item.accrued_total,
        orders_count=item.orders_count,
        purchases_sum=money(item.purchases_sum),
        last_order_at=item.last_order_at,
        direct_referrals=item.direct_referrals,
        network_size=item.network_size,
    )


class ParticipantPage(BaseModel):
    items: list[ParticipantRow]
    next_cursor: str | None


class LedgerRow(BaseModel):
    entry_id: str
    participant_id: str
    created_at: Timestamp
    kind: str
    credit: int
    debit: int
    d_frozen: int
    d_available: int
    d_reserved: int
    d_withdrawn: int
    level: int | None
    posting_number: str | None
    amount: Money | None
    rate: str | None
    withdrawal_id: str | None
    actor_id: str | None
    reason: str | None
    participant: PersonOut | None = None
    actor: PersonOut | None = None


def ledger_row(item: LedgerEntryView, people: People | None = None) -> LedgerRow:
    total = item.total
    return LedgerRow(
        entry_id=item.entry_id,
        participant_id=item.participant_id,
        created_at=item.created_at,
        kind=item.kind,
        credit=max(total, 0),
        debit=max(-total, 0),
        d_frozen=item.d_frozen,
        d_available=item.d_available,
        d_reserved=item.d_reserved,
        d_withdrawn=item.d_withdrawn,
        level=item.level,
        posting_number=item.posting_number,
        amount=None if item.amount is None else money(item.amount),
        rate=None if item.rate is None else str(item.rate),
        withdrawal_id=item.withdrawal_id,
        actor_id=item.actor_id,
        reason=item.reason,
        participant=person_out(people.participant(item.participant_id)) if people else None,
        actor=person_out(people.operator(item.actor_id)) if people else None,
    )


class LedgerPage(BaseModel):
    items: list[LedgerRow]
    next_cursor: str | None


class WithdrawalRow(BaseModel):
    id: str
    participant_id: str
    points: int
    fiat_amount: Money
    point_rate: str
    status: str
    created_at: Timestamp
    updated_at: Timestamp
    closed_at: Timestamp | None
    reason: str | None
    participant: PersonOut | None = None
    number: int | None = None
    """The short human number; ``label`` shows it as ``W-1042`` (the id for a request without one)."""
    label: str = ""
    closed_by: str | None = None
    """The operator who closed the request (paid, rejected or cancelled it)."""
    payout_method: str | None = None
    """card, sbp, bank_transfer or other; set when paid."""
    payout_details: str | None = None
    """Masked: a card number shows only its last four digits."""
    payout_reference: str | None = None


def withdrawal_row(item: WithdrawalView, people: People | None = None) -> WithdrawalRow:
    return WithdrawalRow(
        id=item.withdrawal_id,
        participant_id=item.participant_id,
        points=item.points,
        fiat_amount=money(item.fiat_amount),
        point_rate=str(item.point_rate),
        status=item.status,
        created_at=item.created_at,
        updated_at=item.updated_at,
        closed_at=item.closed_at,
        reason=item.reason,
        participant=person_out(people.participant(item.participant_id)) if people else None,
        number=item.number,
        label=number_label(item.number, item.withdrawal_id),
        closed_by=item.closed_by,
        payout_method=item.payout_method,
        payout_details=item.payout_details,
        payout_reference=item.payout_reference,
    )


class WithdrawalPage(BaseModel):
    items: list[WithdrawalRow]
    next_cursor: str | None


class AuditChangeOut(BaseModel):
    attribute: str
    old: str | None
    new: str | None


class AuditRow(BaseModel):
    id: str
    created_at: Timestamp
    actor_id: str
    action: str
    object_type: str
    object_id: str
    object_name: str | None
    reason: str | None
    actor: PersonOut | None = None
    object_person: PersonOut | None = None
    """Whom the record is about: the participant, a request's participant, or the admin."""


class AuditDetail(AuditRow):
    changes: list[AuditChangeOut]


def audit_row(item: AuditView, people: People | None = None) -> AuditRow:
    return AuditRow(
        id=item.audit_id,
        created_at=item.created_at,
        actor_id=item.actor_id,
        action=item.action,
        object_type=item.object_type,
        object_id=item.object_id,
        object_name=item.object_name,
        reason=item.reason,
        actor=person_out(people.operator(item.actor_id)) if people else None,
        object_person=person_out(people.object_person(item.object_type, item.object_id)) if people else None,
    )


def audit_detail(item: AuditView, people: People | None = None) -> AuditDetail:
    return AuditDetail(
        **audit_row(item, people).model_dump(),
        changes=[AuditChangeOut(attribute=c.attribute, old=c.old, new=c.new) for c in item.changes],
    )


class AuditPage(BaseModel):
    items: list[AuditRow]
    next_cursor: str | None


class PayoutIn(Strict):
    """How a request was paid. A card number is never stored: give its last 4 digits (a full one is
    masked to them)."""

    method: PayoutMethod = Field(description="card, sbp, bank_transfer or other")
    reference: Annotated[str, non_blank(100)] = Field(
        description="The payment's reference, e.g. the bank's transaction or order number"
    )
    details: Annotated[str | None, StringConstraints(strip_whitespace=True, max_length=120)] = Field(
        default=None, description="e.g. card •••• 1234, the SBP phone's bank; stored masked"
    )

    def validated(self) -> Payout:
        return payout(self.method, self.reference, self.details)
