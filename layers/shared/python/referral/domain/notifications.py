"""Notifications to participants as a transactional outbox.

A notification is written in the same transaction as the change it announces, so nothing is announced
for a change that did not commit and nothing is lost if sending fails. A sender (the bot) implements
``NotificationSender``; the outbox service claims each item before sending so two senders never both
send it, and retries failures with backoff.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Protocol


class NotificationKind(StrEnum):
    NEW_REFERRAL = "new_referral"
    POINTS_ACCRUED = "points_accrued"
    POINTS_RELEASED = "points_released"
    POINTS_REVERSED = "points_reversed"
    WITHDRAWAL_STATUS = "withdrawal_status"
    BALANCE_CORRECTED = "balance_corrected"
    """An operator's correction the operator chose to tell the participant about (``CorrectionNotice``)."""
    OPERATORS_TEXT = "operators_text"
    """A message into the participant's topic in the operators' group: a relay, an announcement, a note."""
    OPERATORS_COPY = "operators_copy"
    """A participant's media copied into their topic: only the chat and message ids are kept."""
    OPERATOR_REPLY = "operator_reply"
    """An operator's answer written in the web app, to the participant."""
    CLAIM_APPROVED = "claim_approved"
    CLAIM_REJECTED = "claim_rejected"
    """An operator decided a claim held for review (the rejection carries the reason)."""


OPERATORS_KINDS = frozenset({NotificationKind.OPERATORS_TEXT, NotificationKind.OPERATORS_COPY})
"""Notices whose ``participant_id`` names the topic they go to, in the operators' group."""


class NotificationStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    """Gave up: the participant is unreachable or attempts are exhausted."""


MAX_ATTEMPTS = 8
CLAIM_SECONDS = 60


@dataclass(frozen=True, slots=True)
class Notification:
    notification_id: str
    participant_id: str
    kind: NotificationKind
    payload: dict[str, Any]
    status: NotificationStatus = NotificationStatus.PENDING
    attempts: int = 0
    created_at: datetime | None = None
    next_attempt_at: datetime | None = None
    last_error: str | None = None


def notification_id(kind: NotificationKind, participant_id: str, *parts: str) -> str:
    """Deterministic per cause, so a retried transaction can never write a second notice."""
    raw = "|".join((kind.value, participant_id, *parts))
    return hashlib.sha256(raw.encode()).hexdigest()[:32]


def draft(
    kind: NotificationKind, participant_id: str, cause: tuple[str, ...], **payload: Any
) -> Notification:
    return Notification(notification_id(kind, participant_id, *cause), participant_id, kind, dict(payload))


class DeliveryOutcome(StrEnum):
    SENT = "sent"
    RETRY = "retry"
    UNREACHABLE = "unreachable"
    REFUSED = "refused"
    """Telegram refused it for good (e.g. the bot may not post there): giving up, like ``UNREACHABLE``."""
    DELAYED = "delayed"
    """Rate limited: try again after ``retry_after``; not an attempt toward giving up."""


@dataclass(frozen=True, slots=True)
class DeliveryResult:
    outcome: DeliveryOutcome
    retry_after: timedelta | None = None
    error: str | None = None


DEFAULT_DELAY = timedelta(seconds=3)
"""How long a rate-limited notice waits when Telegram did not say."""


class NotificationSender(Protocol):
    """The port the Telegram side implements: deliver one notification, say how it went."""

    def send(self, notification: Notification) -> DeliveryResult: ...


@dataclass(frozen=True, slots=True)
class Backoff:
    base: timedelta = timedelta(seconds=30)
    cap: timedelta = field(default=timedelta(hours=6))

    def delay(self, attempts: int, retry_after: timedelta | None = None) -> timedelta:
        exponential: timedelta = min(self.cap, self.base * (2 ** max(attempts - 1, 0)))
        wait: timedelta = retry_after or timedelta(0)
        return max(exponential, wait)
