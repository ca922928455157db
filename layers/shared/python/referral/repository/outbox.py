"""The notification outbox: notices written in the transaction of the change they announce, then claimed
and delivered by a sender under a lease."""

from __future__ import annotations

import json
from datetime import datetime

from pynamodb.expressions.update import Action

from referral.clock import to_iso
from referral.domain.notifications import Notification, NotificationStatus
from referral.errors import StaleRead
from referral.repository import keys, mapping
from referral.repository.changes import get_item, update_item
from referral.repository.models import Entity, NotificationItem
from referral.repository.unit_of_work import CommittedNotices, TransactionConflict, UnitOfWork

NOTIFICATION = "notification"


def add_notice(uow: UnitOfWork, notification: Notification, now: datetime) -> None:
    """Put a pending notice into ``uow``: it is sent only if the change it announces commits."""
    stamp = to_iso(now)
    uow.create(
        f"{NOTIFICATION}:{notification.notification_id}",
        NotificationItem(
            keys.notification_pk(notification.notification_id),
            keys.NOTIFICATION_SK,
            notification_id=notification.notification_id,
            participant_id=notification.participant_id,
            kind=notification.kind.value,
            payload=json.dumps(notification.payload, sort_keys=True, ensure_ascii=False, default=str),
            status=NotificationStatus.PENDING.value,
            attempts=0,
            created_at=stamp,
            next_attempt_at=stamp,
            duepk=keys.DUE_OUTBOX,
            duesk=keys.dated(stamp, notification.notification_id),
        ),
    )


def add_notices(uow: UnitOfWork, notifications: list[Notification], now: datetime) -> None:
    for notification in notifications:
        add_notice(uow, notification, now)


class OutboxRepository:
    """Reads and lease transitions of the outbox's notices."""

    def __init__(self, notices: CommittedNotices | None = None) -> None:
        self._notices = notices

    def get_notification(self, notification_id: str) -> Notification | None:
        item = get_item(NotificationItem, keys.notification_pk(notification_id), keys.NOTIFICATION_SK)
        return mapping.notification(item) if item else None

    def due_notifications(self, now: datetime, limit: int) -> list[Notification]:
        items = Entity.due.query(
            keys.DUE_OUTBOX, Entity.duesk <= keys.until(to_iso(now)), limit=limit, scan_index_forward=True
        )
        return [mapping.notification(item) for item in items if isinstance(item, NotificationItem)]

    def claim_notification(self, notification: Notification, now: datetime, until: datetime) -> bool:
        """Move pending → sending with a lease; False if another sender got it first."""
        try:
            update_item(
                NOTIFICATION,
                NotificationItem(keys.notification_pk(notification.notification_id), keys.NOTIFICATION_SK),
                [
                    NotificationItem.status.set(NotificationStatus.SENDING.value),
                    NotificationItem.claimed_until.set(to_iso(until)),
                    NotificationItem.duesk.set(keys.dated(to_iso(until), notification.notification_id)),
                    NotificationItem.attempts.add(1),
                ],
                (NotificationItem.attempts == notification.attempts)
                & (
                    (NotificationItem.status == NotificationStatus.PENDING.value)
                    | (
                        (NotificationItem.status == NotificationStatus.SENDING.value)
                        & (NotificationItem.claimed_until < to_iso(now))
                    )
                ),
            )
        except TransactionConflict:
            return False
        return True

    def finish_notification(
        self,
        notification_id: str,
        status: NotificationStatus,
        now: datetime,
        next_attempt_at: datetime | None,
        error: str | None,
        *,
        counted: bool = True,
    ) -> None:
        """Record a delivery attempt's outcome; ``StaleRead`` if the lease was lost meanwhile.

        ``counted=False``: the attempt was only rate limited and does not count toward giving up."""
        actions: list[Action] = [NotificationItem.status.set(status.value)]
        if not counted:
            actions.append(NotificationItem.attempts.add(-1))
        if status == NotificationStatus.SENT:
            actions += [
                NotificationItem.sent_at.set(to_iso(now)),
                NotificationItem.duepk.remove(),
                NotificationItem.duesk.remove(),
            ]
        elif status == NotificationStatus.PENDING and next_attempt_at is not None:
            actions += [
                NotificationItem.next_attempt_at.set(to_iso(next_attempt_at)),
                NotificationItem.duesk.set(keys.dated(to_iso(next_attempt_at), notification_id)),
            ]
        else:
            actions += [NotificationItem.duepk.remove(), NotificationItem.duesk.remove()]
        if error:
            actions.append(NotificationItem.last_error.set(error[:500]))
        try:
            update_item(
                NOTIFICATION,
                NotificationItem(keys.notification_pk(notification_id), keys.NOTIFICATION_SK),
                actions,
                NotificationItem.status == NotificationStatus.SENDING.value,
            )
        except TransactionConflict:
            raise StaleRead("Another sender took the notice over.") from None
