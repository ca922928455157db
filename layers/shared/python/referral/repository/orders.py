"""Orders and accruals: postings, their attribution with the accruals of every level (R5–R9), delivery,
reversals (R7) and the release of matured accruals."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal

from pynamodb.expressions.update import Action

from referral.clock import to_iso
from referral.domain.ledger import BalanceDelta, EntryKind
from referral.domain.notifications import Notification
from referral.domain.orders import Accrual, AccrualPlan, AccrualRef, AccrualState, Order, Posting
from referral.errors import DomainError, OrderChanged, StaleRead
from referral.repository import keys, mapping
from referral.repository.changes import Changes, commit, get_item, participants_changed, touches_participants
from referral.repository.ledger import add_entry
from referral.repository.models import (
    AccrualItem,
    Entity,
    OrderItem,
    OzonIdentityItem,
    ParticipantItem,
)
from referral.repository.order_items import (
    accrual_item,
    accrual_ref,
    attributed_order,
    attribution_actions,
    new_order_item,
    order_ref,
    posting_actions,
)
from referral.repository.order_statistics import NetworkPath, count_purchase, uncount_purchase
from referral.repository.outbox import add_notices
from referral.repository.unit_of_work import CommittedNotices, TransactionConflict, UnitOfWork

ORDER = "order"
OZON_ID = "ozon_id"
ACCRUAL = "accrual"


def _order_changed(_: TransactionConflict) -> DomainError:
    return OrderChanged("The order changed meanwhile.")


def _purchase_refusal(conflict: TransactionConflict) -> DomainError:
    """The order taken or changed meanwhile, or a profile / network level that no longer qualifies."""
    if conflict.failed_on(ORDER):
        return _order_changed(conflict)
    if touches_participants(conflict):
        return participants_changed(conflict)
    return conflict


def _accrual_label(participant_id: str, level: int) -> str:
    return f"{ACCRUAL}:{participant_id}:{level}"


class OrderRepository:
    """Postings and the accruals they earned."""

    def __init__(self, notices: CommittedNotices | None = None) -> None:
        self._notices = notices

    def get_order(self, posting_number: str) -> Order | None:
        item = get_item(OrderItem, keys.order_pk(posting_number), keys.ORDER_SK)
        return mapping.order(item) if item else None

    def orders_of(self, participant_id: str) -> list[Order]:
        return [
            mapping.order(item)
            for item in Entity.by_owner.query(keys.orders_gsi(participant_id))
            if isinstance(item, OrderItem)
        ]

    def get_accruals(self, posting_number: str, refs: Iterable[AccrualRef]) -> list[Accrual]:
        wanted = [
            (keys.participant_pk(r.beneficiary_id), keys.accrual_sk(posting_number, r.level)) for r in refs
        ]
        if not wanted:
            return []
        found = [mapping.accrual(item) for item in AccrualItem.batch_get(wanted)]
        return sorted(found, key=lambda a: a.level)

    def accruals_of(self, participant_id: str) -> list[Accrual]:
        items = AccrualItem.query(
            keys.participant_pk(participant_id), AccrualItem.sk.startswith(keys.ACCRUAL_PREFIX)
        )
        return [mapping.accrual(item) for item in items]

    def due_accruals(self, now: datetime, limit: int) -> list[Accrual]:
        """Matured accruals of delivered postings: one query of the sparse schedule index."""
        items = Entity.due.query(
            keys.DUE_RELEASE, Entity.duesk <= keys.until(to_iso(now)), limit=limit, scan_index_forward=True
        )
        return [mapping.accrual(item) for item in items if isinstance(item, AccrualItem)]

    def upsert_order(
        self, posting: Posting, now: datetime, *, new: bool = False, identity_recorded: bool = False
    ) -> None:
        """Remember a posting nobody has claimed (yet): needed for R3 and for later claims.

        ``new``: the caller saw no stored order, so the order is put whole (``OrderChanged`` if one
        appeared meanwhile, as when it was attributed meanwhile). ``identity_recorded``: the buyer's Ozon
        id already has a first purchase date, so there is nothing to write for it.
        """
        uow = UnitOfWork(self._notices)
        if new:
            uow.create(ORDER, new_order_item(posting, now))
        else:
            uow.update(
                ORDER,
                order_ref(posting.posting_number),
                [
                    *posting_actions(posting, now),
                    OrderItem.kept_amount.set(OrderItem.kept_amount | posting.amount),
                    OrderItem.version.add(1),
                ],
                OrderItem.participant_id.does_not_exist(),
            )
        if posting.customer_id and not identity_recorded:
            uow.update(
                OZON_ID,
                OzonIdentityItem(keys.ozon_pk(posting.customer_id), keys.OZON_SK),
                [
                    OzonIdentityItem.entity_type.set(OzonIdentityItem),
                    OzonIdentityItem.ozon_id.set(posting.customer_id),
                    OzonIdentityItem.first_purchase_at.set(
                        OzonIdentityItem.first_purchase_at | to_iso(posting.created_at)
                    ),
                ],
            )
        commit(uow, _order_changed)

    def commit_purchase(
        self,
        plan: AccrualPlan,
        expected_order_version: int | None,
        now: datetime,
        notifications: list[Notification],
        *,
        level_dates_kept: frozenset[tuple[str, int]] = frozenset(),
    ) -> None:
        """R5–R9 in one transaction: attribute the order, accrue every level, update statistics.

        Order dates only move outward: the buyer's first/last order dates are set only as the plan says,
        under a condition that they did not move meanwhile; each network level's last-order date is set
        under the condition that it is older, except for the levels in ``level_dates_kept`` (a previous
        attempt found them newer). Refused with ``OrderChanged`` (the order was attributed or changed
        meanwhile) or ``ParticipantsChanged`` naming the profiles (blocked, gone, dates moved) and
        network levels (a newer order dated them) whose condition failed.
        """
        uow = UnitOfWork(self._notices)
        if expected_order_version is None:
            uow.create(ORDER, attributed_order(plan, now))
        else:
            uow.update(
                ORDER,
                order_ref(plan.posting.posting_number),
                attribution_actions(plan, now),
                OrderItem.participant_id.does_not_exist() & (OrderItem.version == expected_order_version),
            )
        changes = Changes(uow)
        if not plan.posting.is_cancelled:
            count_purchase(uow, changes, plan, level_dates_kept)
        self.accrue(uow, changes, plan, now)
        changes.flush()
        add_notices(uow, notifications, now)
        commit(uow, _purchase_refusal)

    @staticmethod
    def accrue(uow: UnitOfWork, changes: Changes, plan: AccrualPlan, now: datetime) -> None:
        """Every level's accrual: the record, frozen points for a participant not blocked, the entry
        (a purchase's transaction, and an approved claim's, accrue exactly like this)."""
        posting_number = plan.posting.posting_number
        for accrual in plan.accruals:
            uow.create(
                _accrual_label(accrual.beneficiary_id, accrual.level), accrual_item(plan, accrual, now)
            )
            delta = BalanceDelta(frozen=accrual.points)
            changes.balance(accrual.beneficiary_id, delta, accrued=accrual.points)
            changes.profile(accrual.beneficiary_id, condition=ParticipantItem.blocked == False)  # noqa: E712
            changes.level(accrual.beneficiary_id, accrual.level, earned=accrual.points)
            add_entry(
                uow,
                accrual.beneficiary_id,
                EntryKind.ACCRUAL,
                delta,
                now,
                f"accrual:{posting_number}:{accrual.beneficiary_id}:{accrual.level}",
                level=accrual.level,
                posting_number=posting_number,
                amount=plan.accounted_amount,
                rate=accrual.rate,
            )

    def commit_delivery(self, order: Order, posting: Posting, accruals: list[Accrual], now: datetime) -> None:
        """The posting was delivered: its frozen accruals join the release schedule (R7).

        ``OrderChanged`` if the order or one of its accruals changed since they were read.
        """
        uow = UnitOfWork(self._notices)
        uow.update(
            ORDER,
            order_ref(order.posting.posting_number),
            [
                OrderItem.status.set(posting.status),
                OrderItem.delivered_at.set(to_iso(posting.delivered_at or now)),
                OrderItem.updated_at.set(to_iso(now)),
                OrderItem.version.add(1),
            ],
            OrderItem.version == order.version,
        )
        for accrual in accruals:
            if accrual.state != AccrualState.FROZEN:
                continue
            uow.update(
                _accrual_label(accrual.participant_id, accrual.level),
                accrual_ref(accrual.participant_id, accrual.posting_number, accrual.level),
                [
                    AccrualItem.duepk.set(keys.DUE_RELEASE),
                    AccrualItem.duesk.set(keys.dated(to_iso(accrual.release_at), accrual.participant_id)),
                ],
                AccrualItem.state == AccrualState.FROZEN.value,
            )
        commit(uow, _order_changed)

    def set_order_status(self, order: Order, status: str, now: datetime) -> None:
        """``OrderChanged`` if the order changed since it was read."""
        uow = UnitOfWork(self._notices)
        uow.update(
            ORDER,
            order_ref(order.posting.posting_number),
            [OrderItem.status.set(status), OrderItem.updated_at.set(to_iso(now)), OrderItem.version.add(1)],
            OrderItem.version == order.version,
        )
        commit(uow, _order_changed)

    def commit_reversal(
        self,
        order: Order,
        new_kept_amount: Decimal,
        status: str | None,
        return_id: str | None,
        reversals: list[tuple[Accrual, int]],
        network_levels: NetworkPath,
        now: datetime,
        notifications: list[Notification],
    ) -> None:
        """R7: take back accruals (frozen first, else available) as the kept amount shrinks.

        ``OrderChanged`` if the order or one of its accruals changed since they were read.
        """
        uow = UnitOfWork(self._notices)
        actions: list[Action] = [
            OrderItem.kept_amount.set(new_kept_amount),
            OrderItem.updated_at.set(to_iso(now)),
            OrderItem.version.add(1),
        ]
        if status:
            actions.append(OrderItem.status.set(status))
        if return_id:
            actions.append(OrderItem.applied_returns.set(OrderItem.applied_returns.append([return_id])))
        uow.update(
            ORDER, order_ref(order.posting.posting_number), actions, OrderItem.version == order.version
        )
        changes = Changes(uow)
        if network_levels and not order.posting.is_cancelled:
            uncount_purchase(changes, network_levels, new_kept_amount - order.kept_amount, status)
        for accrual, points in reversals:
            _reverse_accrual(uow, changes, accrual, points, new_kept_amount, now)
        changes.flush()
        add_notices(uow, notifications, now)
        commit(uow, _order_changed)

    def commit_release(self, accrual: Accrual, now: datetime, notifications: list[Notification]) -> None:
        """A matured accrual's frozen points become available; ``StaleRead`` if it changed meanwhile."""
        uow = UnitOfWork(self._notices)
        points = accrual.remaining
        uow.update(
            ACCRUAL,
            accrual_ref(accrual.participant_id, accrual.posting_number, accrual.level),
            [
                AccrualItem.state.set(AccrualState.RELEASED.value),
                AccrualItem.released_at.set(to_iso(now)),
                AccrualItem.duepk.remove(),
                AccrualItem.duesk.remove(),
            ],
            (AccrualItem.state == AccrualState.FROZEN.value)
            & (AccrualItem.reversed_points == accrual.reversed_points),
        )
        changes = Changes(uow)
        delta = BalanceDelta(frozen=-points, available=points)
        changes.balance(accrual.participant_id, delta)
        changes.flush()
        add_entry(
            uow,
            accrual.participant_id,
            EntryKind.RELEASE,
            delta,
            now,
            f"release:{accrual.posting_number}:{accrual.participant_id}:{accrual.level}",
            level=accrual.level,
            posting_number=accrual.posting_number,
        )
        add_notices(uow, notifications, now)
        commit(uow, lambda _: StaleRead("The accrual changed meanwhile."))


def _reverse_accrual(
    uow: UnitOfWork, changes: Changes, accrual: Accrual, points: int, kept_amount: Decimal, now: datetime
) -> None:
    """Take ``points`` back from one accrual: frozen while it is frozen, else from available."""
    from_frozen = accrual.state == AccrualState.FROZEN
    delta = BalanceDelta(frozen=-points) if from_frozen else BalanceDelta(available=-points)
    fully = accrual.reversed_points + points >= accrual.points
    actions: list[Action] = [AccrualItem.reversed_points.add(points)]
    if from_frozen and fully:
        actions += [
            AccrualItem.state.set(AccrualState.VOIDED.value),
            AccrualItem.duepk.remove(),
            AccrualItem.duesk.remove(),
        ]
    uow.update(
        _accrual_label(accrual.participant_id, accrual.level),
        accrual_ref(accrual.participant_id, accrual.posting_number, accrual.level),
        actions,
        (AccrualItem.state == accrual.state.value) & (AccrualItem.reversed_points == accrual.reversed_points),
    )
    changes.balance(accrual.participant_id, delta, accrued=-points)
    changes.level(accrual.participant_id, accrual.level, earned=-points)
    add_entry(
        uow,
        accrual.participant_id,
        EntryKind.REVERSAL,
        delta,
        now,
        f"reversal:{accrual.posting_number}:{accrual.participant_id}:{accrual.level}:"
        f"{accrual.reversed_points + points}",
        level=accrual.level,
        posting_number=accrual.posting_number,
        amount=kept_amount,
        rate=accrual.rate,
    )
