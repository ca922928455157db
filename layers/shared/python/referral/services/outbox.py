"""Delivering the notification outbox through a ``NotificationSender`` (the Telegram bot implements it)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, fields
from datetime import datetime, timedelta

from referral.clock import utcnow
from referral.domain.notifications import (
    CLAIM_SECONDS,
    DEFAULT_DELAY,
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
        self._last_delayed: datetime | None = None

    def pending(self, limit: int = 100) -> list[Notification]:
        return self.outbox.due_notifications(self.clock(), limit)

    def dispatch_due(self, sender: NotificationSender, *, limit: int = 100) -> DispatchReport:
        """The scheduled sweep: everything whose time has come, oldest first."""
        return self._deliver(sender, self.pending(limit))

    def dispatch(
        self, sender: NotificationSender, notification_ids: Iterable[str], *, deadline: float | None = None
    ) -> DispatchReport:
        """Right after a change: deliver the notices it produced (drained from its ``CommittedNotices``).

        Each is claimed as the sweep claims it. Past ``deadline`` (a ``time.monotonic()`` instant) the rest
        is left, unclaimed, to the sweep.
        """
        report = DispatchReport()
        for notification_id in dict.fromkeys(notification_ids):
            if deadline is not None and time.monotonic() >= deadline:
                break
            notification = self.outbox.get_notification(notification_id)
            if notification is None:
                continue
            if _rescheduled(notification, self.clock()):
                report.skipped += 1  # tried already (e.g. rate limited): it waits for its time
                continue
            report.add(self._deliver(sender, [notification]))
        return report

    def deliver_now(self, sender: NotificationSender, notification: Notification) -> DeliveryResult | None:
        """Deliver a notice just written (it is in hand, so not read again); None when another sender
        holds it. The result says how it went: a ``DELAYED`` notice is already rescheduled."""
        attempt = self._attempt(sender, notification)
        return attempt.result if attempt is not None else None

    def _deliver(self, sender: NotificationSender, notifications: list[Notification]) -> DispatchReport:
        report = DispatchReport()
        for notification in notifications:
            attempt = self._attempt(sender, notification)
            if attempt is None:
                report.skipped += 1
            elif attempt.status == NotificationStatus.SENT:
                report.sent += 1
            elif attempt.status == NotificationStatus.FAILED:
                report.failed += 1
            else:
                report.retried += 1
        return report

    def _attempt(self, sender: NotificationSender, notification: Notification) -> _Attempt | None:
        """Claim, send and record one notice; None when it was not this sender's to send."""
        if notification.status not in (NotificationStatus.PENDING, NotificationStatus.SENDING):
            return None
        now = self.clock()
        if not self.outbox.claim_notification(notification, now, now + timedelta(seconds=CLAIM_SECONDS)):
            return None
        try:
            result = sender.send(notification)
        except Exception as error:
            result = DeliveryResult(DeliveryOutcome.RETRY, error=f"{type(error).__name__}: {error}")
        now = self.clock()
        status, retry_at = self._next(result, notification.attempts + 1, now)
        last_error = None if status == NotificationStatus.SENT else result.error
        try:
            self.outbox.finish_notification(
                notification.notification_id,
                status,
                now,
                retry_at,
                last_error,
                counted=result.outcome != DeliveryOutcome.DELAYED,
            )
        except StaleRead:
            # The lease ran out while sending and another sender took the notice over: its outcome
            # is the one recorded (and the sweep goes on with the others).
            return None
        return _Attempt(status, result)

    def _next(
        self, result: DeliveryResult, attempts: int, now: datetime
    ) -> tuple[NotificationStatus, datetime | None]:
        """The notice's status after this attempt, and when to try again."""
        if result.outcome == DeliveryOutcome.SENT:
            return NotificationStatus.SENT, None
        if result.outcome == DeliveryOutcome.DELAYED:
            return NotificationStatus.PENDING, self._after_delayed(
                now + (result.retry_after or DEFAULT_DELAY)
            )
        if (
            result.outcome in (DeliveryOutcome.UNREACHABLE, DeliveryOutcome.REFUSED)
            or attempts >= MAX_ATTEMPTS
        ):
            return NotificationStatus.FAILED, None
        return NotificationStatus.PENDING, now + self.backoff.delay(attempts, result.retry_after)

    def _after_delayed(self, due: datetime) -> datetime:
        """Rate-limited notices come due again in the order they were held (a millisecond apart), so that
        messages into one topic keep their order."""
        if self._last_delayed is not None and due <= self._last_delayed:
            due = self._last_delayed + timedelta(milliseconds=1)
        self._last_delayed = due
        return due


def _rescheduled(notification: Notification, now: datetime) -> bool:
    """Tried and put back for later (a failure or a rate limit records why): not due before its time."""
    return (
        notification.status == NotificationStatus.PENDING
        and notification.last_error is not None
        and notification.next_attempt_at is not None
        and notification.next_attempt_at > now
    )


@dataclass(frozen=True, slots=True)
class _Attempt:
    status: NotificationStatus
    result: DeliveryResult
