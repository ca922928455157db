"""Conversions between table items and domain records."""

from __future__ import annotations

import json
from datetime import datetime

from referral.clock import from_iso
from referral.domain.audit import AuditRecord, Change
from referral.domain.ledger import BalanceDelta, Balances, EntryKind, LedgerEntry
from referral.domain.links import Link, LinkKind
from referral.domain.notifications import Notification, NotificationKind, NotificationStatus
from referral.domain.orders import Accrual, AccrualRef, AccrualState, Attribution, Order, Posting
from referral.domain.participants import NetworkLevel, Participant, TelegramProfile
from referral.domain.payouts import Payout, PayoutMethod
from referral.domain.withdrawals import Withdrawal, WithdrawalStatus
from referral.repository.models import (
    AccrualItem,
    AuditItem,
    LedgerEntryItem,
    LinkItem,
    NetworkLevelItem,
    NotificationItem,
    OrderItem,
    ParticipantItem,
    WithdrawalItem,
)


def _time(value: str | None) -> datetime | None:
    return from_iso(value) if value else None


def participant(item: ParticipantItem) -> Participant:
    return Participant(
        profile=TelegramProfile(
            user_id=item.participant_id,
            username=item.username,
            first_name=item.first_name,
            last_name=item.last_name,
            language_code=item.language_code,
        ),
        ozon_id=item.ozon_id,
        registered_at=from_iso(item.registered_at),
        sponsor_id=item.sponsor_id,
        ancestors=tuple(item.ancestors or ()),
        joined_via=item.joined_via,
        personal_code=item.personal_code,
        blocked=bool(item.blocked),
        balances=Balances(item.frozen, item.available, item.reserved, item.withdrawn),
        accrued_total=item.accrued_total,
        frozen_corrections=item.frozen_corrections,
        corrected_total=item.corrected_total,
        orders_count=item.orders_count,
        purchases_sum=item.purchases_sum,
        first_order_at=_time(item.first_order_at),
        last_order_at=_time(item.last_order_at),
        direct_referrals=item.direct_referrals,
        network_size=item.network_size,
        last_withdrawal_at=_time(item.last_withdrawal_at),
        last_withdrawal_points=item.last_withdrawal_points,
    )


def network_level(item: NetworkLevelItem) -> NetworkLevel:
    return NetworkLevel(
        level=item.level,
        referrals=item.referrals,
        orders=item.orders,
        amount=item.amount,
        earned=item.earned,
        last_order_at=_time(item.last_order_at),
    )


def link(item: LinkItem) -> Link:
    return Link(
        code=item.code,
        owner_id=item.owner_id,
        kind=LinkKind(item.kind),
        created_at=from_iso(item.created_at),
        product_name=item.product_name,
        product_ref=item.product_ref,
        name=item.name,
        clicks=item.clicks,
        registrations=item.registrations,
        purchases=item.purchases,
    )


def order(item: OrderItem) -> Order:
    posting = Posting(
        posting_number=item.posting_number,
        scheme=item.scheme,
        status=item.status,
        created_at=from_iso(item.created_at),
        amount=item.amount,
        order_number=item.order_number,
        customer_id=item.customer_id,
        delivered_at=_time(item.delivered_at),
    )
    return Order(
        posting=posting,
        kept_amount=item.kept_amount,
        participant_id=item.participant_id,
        attribution=Attribution(item.attribution) if item.attribution else None,
        accruals=tuple(AccrualRef(a.beneficiary_id, a.level, a.points) for a in item.accruals or ()),
        applied_returns=tuple(item.applied_returns or ()),
        version=item.version,
    )


def accrual(item: AccrualItem) -> Accrual:
    return Accrual(
        participant_id=item.participant_id,
        posting_number=item.posting_number,
        level=item.level,
        buyer_id=item.buyer_id,
        amount=item.amount,
        rate=item.rate,
        points=item.points,
        reversed_points=item.reversed_points,
        state=AccrualState(item.state),
        order_created_at=from_iso(item.order_created_at),
        release_at=from_iso(item.release_at),
    )


def ledger_entry(item: LedgerEntryItem) -> LedgerEntry:
    return LedgerEntry(
        entry_id=item.entry_id,
        participant_id=item.participant_id,
        kind=EntryKind(item.kind),
        created_at=from_iso(item.created_at),
        delta=BalanceDelta(item.d_frozen, item.d_available, item.d_reserved, item.d_withdrawn),
        idempotency_key=item.idempotency_key,
        level=item.level,
        posting_number=item.posting_number,
        amount=item.amount,
        rate=item.rate,
        withdrawal_id=item.withdrawal_id,
        actor_id=item.actor_id,
        reason=item.reason,
    )


def withdrawal(item: WithdrawalItem) -> Withdrawal:
    return Withdrawal(
        withdrawal_id=item.withdrawal_id,
        participant_id=item.participant_id,
        points=item.points,
        point_rate=item.point_rate,
        fiat_amount=item.fiat_amount,
        status=WithdrawalStatus(item.status),
        created_at=from_iso(item.created_at),
        updated_at=from_iso(item.updated_at),
        reason=item.reason,
        number=item.number,
        payout=payout_of(item),
        closed_by=item.closed_by,
    )


def payout_of(item: WithdrawalItem) -> Payout | None:
    if item.payout_method is None or item.payout_reference is None:
        return None
    return Payout(PayoutMethod(item.payout_method), item.payout_reference, item.payout_details)


def notification(item: NotificationItem) -> Notification:
    return Notification(
        notification_id=item.notification_id,
        participant_id=item.participant_id,
        kind=NotificationKind(item.kind),
        payload=json.loads(item.payload),
        status=NotificationStatus(item.status),
        attempts=item.attempts,
        created_at=_time(item.created_at),
        next_attempt_at=_time(item.next_attempt_at),
        last_error=item.last_error,
    )


def audit(item: AuditItem) -> AuditRecord:
    return AuditRecord(
        audit_id=item.audit_id,
        actor_id=item.actor_id,
        action=item.action,
        object_type=item.object_type,
        object_id=item.object_id,
        created_at=from_iso(item.created_at),
        changes=tuple(Change(c.attribute, c.old, c.new) for c in item.changes or ()),
        object_name=item.object_name,
        reason=item.reason,
    )
