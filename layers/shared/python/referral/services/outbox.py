"""Delivering the notification outbox through a ``NotificationSender`` (the Telegram bot implements it)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, fields
from datetime import datetime, timedelta

from referral.clock import utcnow
from referral.domain.notifications import (
    CLAIM_SECONDS,
    MAX_ATTEMPTS,
    Backoff,
    DeliveryOutcome,
    DeliveryResult,
    Notification,
    NotificationSender,
    NotificationStatus,
)
from referral.errors import StaleRead
from referral.repository.outbox import OutboxRepository


@dataclass
class DispatchReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    skipped: int = 0

    def add(self, other: DispatchReport) -> None:
        for counter in fields(self):
            setattr(self, counter.name, getattr(self, counter.name) + getattr(other, counter.name))


class OutboxService:
    def __init__(
        self,
        outbox: OutboxRepository | None = None,
        *,
        clock: Callable[[], datetime] = utcnow,
        backoff: Backoff | None = None,
    ) -> None:
        self.outbox = outbox or OutboxRepository()
        self.clock = clock
        self.backoff = backoff or Backoff()

    def pending(self, limit: int = 100) -> list[Notification]:
        return self.outbox.due_notifications(self.clock(), limit)

    def dispatch_due(self, sender: NotificationSender, *, limit: int = 100) -> DispatchReport:
        """The scheduled sweep: everything whose time has come, oldest first."""
        return self._deliver(sender, self.pending(limit))

    def dispatch(
        self, sender: NotificationSender, notification_ids: Iterable[str], *, deadline: float | None = None
    ) -> DispatchReport:
        """Right after a change: deliver the notices it produced (``recording_notifications`` collects them).

        Each is claimed as the sweep claims it. Past ``deadline`` (a ``time.monotonic()`` instant) the rest
        is left, unclaimed, to the sweep.
        """
        report = DispatchReport()
        for notification_id in dict.fromkeys(notification_ids):
            if deadline is not None and time.monotonic() >= deadline:
                break
            notification = self.outbox.get_notification(notification_id)
            if notification is not None:
                report.add(self._deliver(sender, [notification]))
        return report

    def _deliver(self, sender: NotificationSender, notifications: list[Notification]) -> DispatchReport:
        report = DispatchReport()
        for notification in notifications:
            if notification.status not in (NotificationStatus.PENDING, NotificationStatus.SENDING):
                report.skipped += 1
                continue
            now = self.clock()
            if not self.outbox.claim_notification(notification, now, now + timedelta(seconds=CLAIM_SECONDS)):
                report.skipped += 1
                continue
            attempts = notification.attempts + 1
            try:
                result = sender.send(notification)
            except Exception as error:
                result = DeliveryResult(DeliveryOutcome.RETRY, error=f"{type(error).__name__}: {error}")
            now = self.clock()
            retry_at: datetime | None = None
            last_error = result.error
            if result.outcome == DeliveryOutcome.SENT:
                status, last_error = NotificationStatus.SENT, None
            elif result.outcome == DeliveryOutcome.UNREACHABLE or attempts >= MAX_ATTEMPTS:
                status = NotificationStatus.FAILED
            else:
                status = NotificationStatus.PENDING
                retry_at = now + self.backoff.delay(attempts, result.retry_after)
            try:
                self.outbox.finish_notification(
                    notification.notification_id, status, now, retry_at, last_error
                )
            except StaleRead:
                # The lease ran out while sending and another sender took the notice over: its outcome
                # is the one recorded (and the sweep goes on with the others).
                report.skipped += 1
                continue
            if status == NotificationStatus.SENT:
                report.sent += 1
            elif status == NotificationStatus.FAILED:
                report.failed += 1
            else:
                report.retried += 1
        return report
