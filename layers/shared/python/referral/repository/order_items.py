"""How orders and accruals are spelled as items: the builders the order repository writes with."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from pynamodb.expressions.update import Action

from referral.clock import month_of, to_iso
from referral.domain.orders import AccrualPlan, AccrualState, PlannedAccrual, Posting
from referral.repository import keys
from referral.repository.models import AccrualItem, OrderItem, PostingLineAttribute
from referral.repository.models import AccrualRef as AccrualRefAttribute


def order_ref(posting_number: str) -> OrderItem:
    """The key of a posting's order, for updates."""
    return OrderItem(keys.order_pk(posting_number), keys.ORDER_SK)


def accrual_ref(participant_id: str, posting_number: str, level: int) -> AccrualItem:
    """The key of an accrual, for updates."""
    return AccrualItem(keys.participant_pk(participant_id), keys.accrual_sk(posting_number, level))


def new_order_item(
    posting: Posting, now: datetime, *, kept_amount: Decimal | None = None, **attribution: Any
) -> OrderItem:
    """A posting's order item, whole, as ``posting_actions`` (plus ``attribution``) would leave it."""
    created = to_iso(posting.created_at)
    return OrderItem(
        keys.order_pk(posting.posting_number),
        keys.ORDER_SK,
        posting_number=posting.posting_number,
        order_number=posting.order_number or None,
        scheme=posting.scheme,
        status=posting.status,
        created_at=created,
        delivered_at=to_iso(posting.delivered_at or now) if posting.is_delivered else None,
        amount=posting.amount,
        kept_amount=posting.amount if kept_amount is None else kept_amount,
        customer_id=posting.customer_id or None,
        applied_returns=[],
        products=posting_lines(posting) if posting.lines else None,
        version=1,
        updated_at=to_iso(now),
        gsi2pk=keys.feed_pk(keys.FEED_ORDERS, month_of(posting.created_at)),
        gsi2sk=keys.dated(created, posting.posting_number),
        **attribution,
    )


def posting_actions(posting: Posting, now: datetime) -> list[Action]:
    """The updates that bring a stored order up to what the posting says now."""
    created = to_iso(posting.created_at)
    actions: list[Action] = [
        OrderItem.entity_type.set(OrderItem),
        OrderItem.posting_number.set(posting.posting_number),
        OrderItem.scheme.set(posting.scheme),
        OrderItem.status.set(posting.status),
        OrderItem.created_at.set(created),
        OrderItem.amount.set(posting.amount),
        OrderItem.updated_at.set(to_iso(now)),
        OrderItem.applied_returns.set(OrderItem.applied_returns | []),
        OrderItem.gsi2pk.set(keys.feed_pk(keys.FEED_ORDERS, month_of(posting.created_at))),
        OrderItem.gsi2sk.set(keys.dated(created, posting.posting_number)),
    ]
    if posting.order_number:
        actions.append(OrderItem.order_number.set(posting.order_number))
    if posting.customer_id:
        actions.append(OrderItem.customer_id.set(posting.customer_id))
    if posting.is_delivered:
        actions.append(OrderItem.delivered_at.set(to_iso(posting.delivered_at or now)))
    if posting.lines:
        actions.append(OrderItem.products.set(posting_lines(posting)))
    return actions


def posting_lines(posting: Posting) -> list[PostingLineAttribute]:
    return [
        PostingLineAttribute(
            sku=line.sku, offer_id=line.offer_id, name=line.name, price=line.price, quantity=line.quantity
        )
        for line in posting.lines
    ]


def attributed_order(plan: AccrualPlan, now: datetime) -> OrderItem:
    """A posting seen for the first time, attributed: one conditional put, cheaper than an update."""
    posting = plan.posting
    return new_order_item(
        posting,
        now,
        kept_amount=plan.accounted_amount,
        participant_id=plan.buyer_id,
        attribution=plan.attribution.value,
        attributed_at=to_iso(now),
        accruals=accrual_refs(plan),
        gsi1pk=keys.orders_gsi(plan.buyer_id),
        gsi1sk=keys.dated(to_iso(posting.created_at), posting.posting_number),
    )


def attribution_actions(plan: AccrualPlan, now: datetime) -> list[Action]:
    """The updates that attribute a stored, unattributed order as ``plan`` decided."""
    posting = plan.posting
    return [
        *posting_actions(posting, now),
        OrderItem.kept_amount.set(plan.accounted_amount),
        OrderItem.participant_id.set(plan.buyer_id),
        OrderItem.attribution.set(plan.attribution.value),
        OrderItem.attributed_at.set(to_iso(now)),
        OrderItem.accruals.set(accrual_refs(plan)),
        OrderItem.version.add(1),
        OrderItem.gsi1pk.set(keys.orders_gsi(plan.buyer_id)),
        OrderItem.gsi1sk.set(keys.dated(to_iso(posting.created_at), posting.posting_number)),
    ]


def accrual_refs(plan: AccrualPlan) -> list[AccrualRefAttribute]:
    return [
        AccrualRefAttribute(beneficiary_id=a.beneficiary_id, level=a.level, points=a.points)
        for a in plan.accruals
    ]


def accrual_item(plan: AccrualPlan, accrual: PlannedAccrual, now: datetime) -> AccrualItem:
    """A new frozen accrual; on the release schedule at once when the posting was delivered already."""
    posting = plan.posting
    release_at = to_iso(plan.release_at)
    return AccrualItem(
        keys.participant_pk(accrual.beneficiary_id),
        keys.accrual_sk(posting.posting_number, accrual.level),
        participant_id=accrual.beneficiary_id,
        posting_number=posting.posting_number,
        level=accrual.level,
        buyer_id=plan.buyer_id,
        amount=plan.accounted_amount,
        rate=accrual.rate,
        points=accrual.points,
        reversed_points=0,
        state=AccrualState.FROZEN.value,
        order_created_at=to_iso(posting.created_at),
        release_at=release_at,
        created_at=to_iso(now),
        duepk=keys.DUE_RELEASE if plan.due else None,
        duesk=keys.dated(release_at, accrual.beneficiary_id) if plan.due else None,
    )
