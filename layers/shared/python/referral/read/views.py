"""Read models: what the admin API, statistics and exports are given (plain values, no table items)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from referral.repository.models import (
    AuditItem,
    LedgerEntryItem,
    OrderItem,
    ParticipantItem,
    WithdrawalEventItem,
    WithdrawalItem,
)

KOPECK = Decimal("0.01")


def money(amount: Decimal | int | None) -> str:
    """A RUB amount as the API and the exports show it: text with kopecks, "1500.00" (never a float).

    DynamoDB gives numbers back without trailing zeros, so amounts are formatted, not just printed."""
    return str(Decimal(amount or 0).quantize(KOPECK))


@dataclass(frozen=True, slots=True)
class ParticipantView:
    participant_id: str
    username: str | None
    first_name: str | None
    last_name: str | None
    ozon_id: str
    sponsor_id: str | None
    ancestors: tuple[str, ...]
    joined_via: str | None
    personal_code: str | None
    registered_at: str
    blocked: bool
    frozen: int
    available: int
    reserved: int
    withdrawn: int
    accrued_total: int
    orders_count: int
    purchases_sum: Decimal
    first_order_at: str | None
    last_order_at: str | None
    direct_referrals: int
    network_size: int
    network_orders: int
    network_amount: Decimal
    last_withdrawal_at: str | None
    last_withdrawal_points: int | None

    @property
    def balance(self) -> int:
        return self.frozen + self.available

    @property
    def display_name(self) -> str:
        """First and last name, else the @username, else the id."""
        name = " ".join(part for part in (self.first_name, self.last_name) if part)
        return name or (f"@{self.username}" if self.username else self.participant_id)


def participant_view(item: ParticipantItem) -> ParticipantView:
    return ParticipantView(
        participant_id=item.participant_id,
        username=item.username,
        first_name=item.first_name,
        last_name=item.last_name,
        ozon_id=item.ozon_id,
        sponsor_id=item.sponsor_id,
        ancestors=tuple(item.ancestors or ()),
        joined_via=item.joined_via,
        personal_code=item.personal_code,
        registered_at=item.registered_at,
        blocked=bool(item.blocked),
        frozen=item.frozen,
        available=item.available,
        reserved=item.reserved,
        withdrawn=item.withdrawn,
        accrued_total=item.accrued_total,
        orders_count=item.orders_count,
        purchases_sum=Decimal(item.purchases_sum or 0),
        first_order_at=item.first_order_at,
        last_order_at=item.last_order_at,
        direct_referrals=item.direct_referrals,
        network_size=item.network_size,
        network_orders=item.network_orders or 0,
        network_amount=Decimal(item.network_amount or 0),
        last_withdrawal_at=item.last_withdrawal_at,
        last_withdrawal_points=item.last_withdrawal_points,
    )


@dataclass(frozen=True, slots=True)
class OrderView:
    posting_number: str
    order_number: str | None
    scheme: str
    status: str
    created_at: str
    amount: Decimal
    kept_amount: Decimal
    participant_id: str | None
    attribution: str | None


def order_view(item: OrderItem) -> OrderView:
    return OrderView(
        posting_number=item.posting_number,
        order_number=item.order_number,
        scheme=item.scheme,
        status=item.status,
        created_at=item.created_at,
        amount=Decimal(item.amount),
        kept_amount=Decimal(item.kept_amount),
        participant_id=item.participant_id,
        attribution=item.attribution,
    )


@dataclass(frozen=True, slots=True)
class LedgerEntryView:
    entry_id: str
    participant_id: str
    created_at: str
    kind: str
    d_frozen: int
    d_available: int
    d_reserved: int
    d_withdrawn: int
    level: int | None
    posting_number: str | None
    amount: Decimal | None
    rate: Decimal | None
    withdrawal_id: str | None
    actor_id: str | None
    reason: str | None

    @property
    def total(self) -> int:
        """How the balance (frozen + available) moved."""
        return self.d_frozen + self.d_available


def ledger_entry_view(item: LedgerEntryItem) -> LedgerEntryView:
    return LedgerEntryView(
        entry_id=item.entry_id,
        participant_id=item.participant_id,
        created_at=item.created_at,
        kind=item.kind,
        d_frozen=item.d_frozen,
        d_available=item.d_available,
        d_reserved=item.d_reserved,
        d_withdrawn=item.d_withdrawn,
        level=item.level,
        posting_number=item.posting_number,
        amount=item.amount,
        rate=item.rate,
        withdrawal_id=item.withdrawal_id,
        actor_id=item.actor_id,
        reason=item.reason,
    )


@dataclass(frozen=True, slots=True)
class WithdrawalView:
    withdrawal_id: str
    participant_id: str
    points: int
    fiat_amount: Decimal
    point_rate: Decimal
    status: str
    created_at: str
    updated_at: str
    closed_at: str | None
    reason: str | None
    number: int | None = None
    closed_by: str | None = None
    payout_method: str | None = None
    payout_details: str | None = None
    payout_reference: str | None = None


def withdrawal_view(item: WithdrawalItem) -> WithdrawalView:
    return WithdrawalView(
        withdrawal_id=item.withdrawal_id,
        participant_id=item.participant_id,
        points=item.points,
        fiat_amount=Decimal(item.fiat_amount),
        point_rate=Decimal(item.point_rate),
        status=item.status,
        created_at=item.created_at,
        updated_at=item.updated_at,
        closed_at=item.closed_at,
        reason=item.reason,
        number=item.number,
        closed_by=item.closed_by,
        payout_method=item.payout_method,
        payout_details=item.payout_details,
        payout_reference=item.payout_reference,
    )


@dataclass(frozen=True, slots=True)
class WithdrawalEventView:
    created_at: str
    event: str
    actor_id: str | None
    from_status: str | None
    to_status: str | None
    text: str | None


def withdrawal_event_view(item: WithdrawalEventItem) -> WithdrawalEventView:
    return WithdrawalEventView(
        created_at=item.created_at,
        event=item.event,
        actor_id=item.actor_id,
        from_status=item.from_status,
        to_status=item.to_status,
        text=item.text,
    )


@dataclass(frozen=True, slots=True)
class AuditChangeView:
    attribute: str
    old: str | None
    new: str | None


@dataclass(frozen=True, slots=True)
class AuditView:
    audit_id: str
    created_at: str
    actor_id: str
    action: str
    object_type: str
    object_id: str
    object_name: str | None
    reason: str | None
    changes: tuple[AuditChangeView, ...]


def audit_view(item: AuditItem) -> AuditView:
    return AuditView(
        audit_id=item.audit_id,
        created_at=item.created_at,
        actor_id=item.actor_id,
        action=item.action,
        object_type=item.object_type,
        object_id=item.object_id,
        object_name=item.object_name,
        reason=item.reason,
        changes=tuple(AuditChangeView(c.attribute, c.old, c.new) for c in item.changes or ()),
    )
