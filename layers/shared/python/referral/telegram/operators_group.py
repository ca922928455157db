"""Messages into the operators' forum supergroup, delivered from the outbox within Telegram's limits.

Telegram lets a bot post about 20 messages a minute into one group. Every message for the operators (a
participant's relayed text or media, a withdrawal announcement, a note in a topic) is an outbox notice
(``OPERATORS_KINDS``) whose ``participant_id`` names the topic. A 429 holds the group for ``retry_after``:
the notice, and every other one for the group meanwhile, is ``DELAYED`` (rescheduled for after the wait,
not counted as an attempt) without another request. Nothing is lost; the sweep delivers it later.

Media is copied (``copyMessage``) from the participant's chat: the notice keeps the chat and message ids,
never the content. The original caption is known only in the turn that received it; a later attempt
copies the media with its own caption, the mark going as a line just before it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from referral.clock import utcnow
from referral.domain.notifications import (
    DEFAULT_DELAY,
    DeliveryOutcome,
    DeliveryResult,
    Notification,
    NotificationKind,
)
from referral.repository.bot_state import BotState
from referral.telegram import texts
from referral.telegram.bot_api import BotApi, BotApiError
from referral.telegram.calls import HTML, BotCall, CopyMessage, CreateForumTopic, SendMessage
from referral.telegram.texts import Html

CAPTION_LIMIT = 1024
MARK_ROOM = 200
"""Characters a mark (who wrote it) may take in a caption: a longer original caption gets a line before."""


class OperatorsGroupSender:
    """Implements ``NotificationSender`` for the operators' notices: one topic per participant."""

    def __init__(
        self,
        api: BotApi,
        chat_id: int,
        state: BotState,
        *,
        clock: Callable[[], datetime] = utcnow,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.api = api
        self.chat_id = chat_id
        self.state = state
        self.clock = clock
        self.monotonic = monotonic
        self._held_until = 0.0
        self._captions: dict[str, str] = {}

    def with_caption(self, notification_id: str, caption: str) -> None:
        """The original caption of a media notice, for this container's first attempt only."""
        self._captions[notification_id] = caption

    def send(self, notification: Notification) -> DeliveryResult:
        wait = self._held_until - self.monotonic()
        if wait > 0:
            return DeliveryResult(
                DeliveryOutcome.DELAYED, retry_after=timedelta(seconds=wait), error="group rate limited"
            )
        try:
            self._post(notification)
        except BotApiError as error:
            return self._refused(error)
        finally:
            self._captions.pop(notification.notification_id, None)
        return DeliveryResult(DeliveryOutcome.SENT)

    def _refused(self, error: BotApiError) -> DeliveryResult:
        if error.status == 429:
            delay = timedelta(seconds=error.retry_after) if error.retry_after else DEFAULT_DELAY
            self._held_until = self.monotonic() + delay.total_seconds()
            return DeliveryResult(DeliveryOutcome.DELAYED, retry_after=delay, error=error.description)
        if error.retryable:
            return DeliveryResult(DeliveryOutcome.RETRY, error=error.description)
        return DeliveryResult(DeliveryOutcome.REFUSED, error=error.description)

    def _post(self, notification: Notification) -> None:
        """Into the participant's topic, created on first need and again if operators deleted it."""
        thread = self.state.topic_of(notification.participant_id)
        if thread is None:
            thread = self._create_topic(notification, replace=None)
        try:
            self._deliver(notification, thread)
        except BotApiError as error:
            if error.status != 400 or "thread" not in error.description.lower():
                raise
            self._deliver(notification, self._create_topic(notification, replace=thread))

    def _create_topic(self, notification: Notification, *, replace: int | None) -> int:
        name = str(notification.payload.get("topic_name") or notification.participant_id)
        topic = self.api.make(CreateForumTopic(self.chat_id, name))
        return self.state.remember_topic(
            notification.participant_id,
            str(self.chat_id),
            int(topic["message_thread_id"]),
            self.clock(),
            replace=replace,
        )

    def _deliver(self, notification: Notification, thread: int) -> None:
        for call in self._calls(notification, thread):
            self.api.make(call)

    def _calls(self, notification: Notification, thread: int) -> list[BotCall]:
        p: dict[str, Any] = notification.payload
        if notification.kind == NotificationKind.OPERATORS_TEXT:
            return [
                SendMessage(
                    self.chat_id,
                    p["text"],
                    parse_mode=p.get("parse_mode"),
                    message_thread_id=thread,
                    no_link_preview=True,
                    reply_to_message_id=p.get("reply_to"),
                )
            ]
        if notification.kind == NotificationKind.OPERATORS_COPY:
            return self._copy(notification, thread)
        raise ValueError(f"not a notice for the operators: {notification.kind}")

    def _copy(self, notification: Notification, thread: int) -> list[BotCall]:
        """The media marked in its caption when it takes one and the mark fits, else by a line before it."""
        p: dict[str, Any] = notification.payload
        source = (int(p["from_chat_id"]), int(p["message_id"]))
        who = Html(str(p["who"]))
        mark = texts.topic(texts.TOPIC_PARTICIPANT_MEDIA, who=who)
        caption = self._captions.get(notification.notification_id)
        if p.get("captioned") and not p.get("has_caption"):
            return [
                CopyMessage(self.chat_id, *source, caption=mark, parse_mode=HTML, message_thread_id=thread)
            ]
        if p.get("captioned") and caption is not None and len(caption) <= CAPTION_LIMIT - MARK_ROOM:
            marked = texts.topic(texts.TOPIC_PARTICIPANT, who=who, text=caption)
            return [
                CopyMessage(self.chat_id, *source, caption=marked, parse_mode=HTML, message_thread_id=thread)
            ]
        return [
            SendMessage(self.chat_id, mark, message_thread_id=thread),
            CopyMessage(self.chat_id, *source, message_thread_id=thread),
        ]
