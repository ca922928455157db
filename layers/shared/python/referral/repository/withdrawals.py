"""Money: withdrawal requests (R10), their reservation of points and their status flow."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import datetime

from pynamodb.expressions.update import Action

from referral.clock import month_of, to_iso
from referral.domain.audit import AuditRecord
from referral.domain.ledger import BalanceDelta, EntryKind
from referral.domain.notifications import Notification
from referral.domain.participants import Participant
from referral.domain.payouts import Payout
from referral.domain.withdrawals import Withdrawal, WithdrawalStatus
from referral.errors import AlreadyExists, BalanceChanged, DomainError, NotFound, WithdrawalChanged
from referral.repository import keys, mapping
from referral.repository.administration import add_audit
from referral.repository.changes import Changes, commit, get_item, touches_participants
from referral.repository.ledger import add_entry
from referral.repository.models import Entity, ParticipantItem, WithdrawalEventItem, WithdrawalItem
from referral.repository.outbox import add_notices
from referral.repository.unit_of_work import CommittedNotices, TransactionConflict, UnitOfWork
from referral.repository.withdrawal_numbers import NumberTaken, lost_number, take_number, with_number

WITHDRAWAL = "withdrawal"
EVENT = "event"
EVENT_CREATED = "created"
EVENT_STATUS = "status"
EVENT_COMMENT = "comment"


def _request_refusal(conflict: TransactionConflict) -> DomainError:
    if conflict.failed_on(WITHDRAWAL):
        return AlreadyExists("This request key was used meanwhile.", reason="idempotency_key_used")
    if lost_number(conflict):
        raise NumberTaken from None
    return BalanceChanged("The balance changed meanwhile.")


def _transition_refusal(conflict: TransactionConflict) -> DomainError:
    if touches_participants(conflict):
        return BalanceChanged(
            "The participant's reserved points changed meanwhile; reload the request and try again."
        )
    return WithdrawalChanged("The request was changed meanwhile; reload it and try again.")


class WithdrawalRepository:
    """Withdrawal requests: reads, the request with its reservation, transitions and comments."""

    def __init__(self, notices: CommittedNotices | None = None) -> None:
        self._notices = notices

    def get_withdrawal(self, withdrawal_id: str) -> Withdrawal | None:
        item = get_item(WithdrawalItem, keys.withdrawal_pk(withdrawal_id), keys.WITHDRAWAL_SK)
        return mapping.withdrawal(item) if item else None

    def participant_and_withdrawal(
        self, participant_id: str, withdrawal_id: str
    ) -> tuple[Participant | None, Withdrawal | None]:
        """One batch read: the participant, and the withdrawal ``withdrawal_id`` if it exists already."""
        participant = withdrawal = None
        for item in Entity.batch_get(
            [
                (keys.participant_pk(participant_id), keys.PROFILE),
                (keys.withdrawal_pk(withdrawal_id), keys.WITHDRAWAL_SK),
            ]
        ):
            if isinstance(item, ParticipantItem):
                participant = mapping.participant(item)
            elif isinstance(item, WithdrawalItem):
                withdrawal = mapping.withdrawal(item)
        return participant, withdrawal

    def withdrawal_events(self, withdrawal_id: str) -> list[WithdrawalEventItem]:
        return list(
            WithdrawalEventItem.query(
                keys.withdrawal_pk(withdrawal_id), WithdrawalEventItem.sk.startswith(keys.EVENT_PREFIX)
            )
        )

    def withdrawals_of(self, participant_id: str) -> list[Withdrawal]:
        return [
            mapping.withdrawal(item)
            for item in Entity.by_owner.query(keys.withdrawals_gsi(participant_id), scan_index_forward=False)
            if isinstance(item, WithdrawalItem)
        ]

    def commit_withdrawal_request(
        self, withdrawal: Withdrawal, now: datetime, notifications: list[Notification]
    ) -> Withdrawal:
        """R10: the request, its number and its reservation in one transaction; returns it numbered.

        The condition on the balance stops overspending. Refused with ``AlreadyExists`` if the request
        exists, ``BalanceChanged`` if the available points no longer cover it or the participant was
        blocked meanwhile; a number another request took meanwhile is retried with the next one.
        """

        def build(last: int) -> UnitOfWork:
            uow = UnitOfWork(self._notices)
            number = take_number(uow, last, withdrawal.withdrawal_id)
            self._request_items(uow, replace(withdrawal, number=number), now, notifications)
            return uow

        number = with_number(build, lambda uow: commit(uow, _request_refusal))
        return replace(withdrawal, number=number)

    @staticmethod
    def _request_items(
        uow: UnitOfWork, withdrawal: Withdrawal, now: datetime, notifications: list[Notification]
    ) -> None:
        uow.create(WITHDRAWAL, _withdrawal_item(withdrawal))
        add_event(
            uow, withdrawal.withdrawal_id, now, EVENT_CREATED, None, None, withdrawal.status.value, None
        )
        changes = Changes(uow)
        delta = BalanceDelta(available=-withdrawal.points, reserved=withdrawal.points)
        changes.balance(withdrawal.participant_id, delta)
        changes.profile(
            withdrawal.participant_id,
            condition=(ParticipantItem.available >= withdrawal.points) & (ParticipantItem.blocked == False),  # noqa: E712
        )
        changes.flush()
        add_entry(
            uow,
            withdrawal.participant_id,
            EntryKind.WITHDRAWAL_RESERVE,
            delta,
            now,
            f"withdrawal:{withdrawal.withdrawal_id}:reserve",
            withdrawal_id=withdrawal.withdrawal_id,
        )
        add_notices(uow, notifications, now)

    def commit_withdrawal_transition(
        self,
        withdrawal: Withdrawal,
        target: WithdrawalStatus,
        effect: tuple[EntryKind, BalanceDelta] | None,
        actor_id: str,
        reason: str | None,
        audit: AuditRecord,
        now: datetime,
        notifications: list[Notification],
        payout: Payout | None = None,
        payout_fingerprints: tuple[str, ...] = (),
    ) -> None:
        """Move the request to ``target`` with the balance ``effect`` of that move, conditioned on its status.

        Refused with ``WithdrawalChanged`` if the status changed meanwhile, ``BalanceChanged`` if the
        participant's reserved points no longer hold the request's.
        """
        uow = UnitOfWork(self._notices)
        uow.update(
            WITHDRAWAL,
            WithdrawalItem(keys.withdrawal_pk(withdrawal.withdrawal_id), keys.WITHDRAWAL_SK),
            _transition_actions(target, reason, to_iso(now), actor_id, payout, payout_fingerprints),
            WithdrawalItem.status == withdrawal.status.value,
        )
        add_event(
            uow,
            withdrawal.withdrawal_id,
            now,
            EVENT_STATUS,
            actor_id,
            withdrawal.status.value,
            target.value,
            reason,
        )
        if effect is not None:
            self._apply_effect(uow, withdrawal, target, effect, actor_id, reason, now)
        add_audit(uow, audit)
        add_notices(uow, notifications, now)
        commit(uow, _transition_refusal)

    @staticmethod
    def _apply_effect(
        uow: UnitOfWork,
        withdrawal: Withdrawal,
        target: WithdrawalStatus,
        effect: tuple[EntryKind, BalanceDelta],
        actor_id: str,
        reason: str | None,
        now: datetime,
    ) -> None:
        """The reserved points leave (paid) or return to available (rejected, cancelled), with their entry."""
        kind, delta = effect
        changes = Changes(uow)
        changes.balance(withdrawal.participant_id, delta)
        changes.profile(withdrawal.participant_id, condition=ParticipantItem.reserved >= withdrawal.points)
        if target == WithdrawalStatus.PAID:
            changes.profile(
                withdrawal.participant_id,
                ParticipantItem.last_withdrawal_at.set(to_iso(now)),
                ParticipantItem.last_withdrawal_points.set(withdrawal.points),
            )
        changes.flush()
        add_entry(
            uow,
            withdrawal.participant_id,
            kind,
            delta,
            now,
            f"withdrawal:{withdrawal.withdrawal_id}:{target.value}",
            withdrawal_id=withdrawal.withdrawal_id,
            actor_id=actor_id,
            reason=reason,
        )

    def add_withdrawal_comment(
        self, withdrawal_id: str, actor_id: str, text: str, audit: AuditRecord, now: datetime
    ) -> None:
        """An operator's comment on a request (``NotFound`` if there is no such request)."""
        uow = UnitOfWork(self._notices)
        uow.check(
            WITHDRAWAL,
            WithdrawalItem,
            keys.withdrawal_pk(withdrawal_id),
            keys.WITHDRAWAL_SK,
            WithdrawalItem.pk.exists(),
        )
        add_event(uow, withdrawal_id, now, EVENT_COMMENT, actor_id, None, None, text)
        add_audit(uow, audit)
        commit(uow, lambda _: NotFound("Withdrawal request not found.", reason="withdrawal_not_found"))


def add_event(
    uow: UnitOfWork,
    withdrawal_id: str,
    now: datetime,
    event: str,
    actor_id: str | None,
    from_status: str | None,
    to_status: str | None,
    text: str | None,
) -> None:
    stamp = to_iso(now)
    suffix = hashlib.sha256(f"{event}|{from_status}|{to_status}|{text}|{stamp}".encode()).hexdigest()[:8]
    uow.create(
        f"{EVENT}:{event}",
        WithdrawalEventItem(
            keys.withdrawal_pk(withdrawal_id),
            keys.withdrawal_event_sk(stamp, suffix),
            withdrawal_id=withdrawal_id,
            event=event,
            created_at=stamp,
            actor_id=actor_id,
            from_status=from_status,
            to_status=to_status,
            text=text,
        ),
    )


def _withdrawal_item(withdrawal: Withdrawal) -> WithdrawalItem:
    created = to_iso(withdrawal.created_at)
    return WithdrawalItem(
        keys.withdrawal_pk(withdrawal.withdrawal_id),
        keys.WITHDRAWAL_SK,
        withdrawal_id=withdrawal.withdrawal_id,
        participant_id=withdrawal.participant_id,
        points=withdrawal.points,
        point_rate=withdrawal.point_rate,
        fiat_amount=withdrawal.fiat_amount,
        status=withdrawal.status.value,
        created_at=created,
        updated_at=created,
        gsi1pk=keys.withdrawals_gsi(withdrawal.participant_id),
        gsi1sk=keys.dated(created, withdrawal.withdrawal_id),
        gsi2pk=keys.feed_pk(keys.FEED_WITHDRAWALS, month_of(withdrawal.created_at)),
        gsi2sk=keys.dated(created, withdrawal.withdrawal_id),
        queue=withdrawal.status.value,
        queued_at=keys.dated(created, withdrawal.withdrawal_id),
        number=withdrawal.number,
    )


def _transition_actions(
    target: WithdrawalStatus,
    reason: str | None,
    stamp: str,
    actor_id: str,
    payout: Payout | None,
    payout_fingerprints: tuple[str, ...] = (),
) -> list[Action]:
    actions: list[Action] = [WithdrawalItem.status.set(target.value), WithdrawalItem.updated_at.set(stamp)]
    if target.is_open:
        actions.append(WithdrawalItem.queue.set(target.value))
    else:
        actions += [
            WithdrawalItem.closed_at.set(stamp),
            WithdrawalItem.closed_by.set(actor_id),
            WithdrawalItem.queue.remove(),
            WithdrawalItem.queued_at.remove(),
        ]
    if reason:
        actions.append(WithdrawalItem.reason.set(reason))
    if payout is not None:
        actions.append(WithdrawalItem.payout_method.set(payout.method.value))
        actions.append(WithdrawalItem.payout_reference.set(payout.reference))
        if payout.details:
            actions.append(WithdrawalItem.payout_details.set(payout.details))
    if payout_fingerprints:
        actions.append(WithdrawalItem.payout_fingerprints.set(list(payout_fingerprints)))
    return actions
