"""The operator dialog: one forum topic per participant in the operators' supergroup.

The topic is created on first need and remembered both ways (participant → topic, topic → participant).
Participants' messages are posted into their topic marked as theirs; operators' messages in a topic go
back to that participant marked as the operator's. Photos, documents, videos, voice messages and stickers
are copied (``copyMessage``) both ways, marked in their caption or, when they have none or it would not fit,
by a line just before them. Only the configured operators' chat is ever relayed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from aws_lambda_powertools import Logger
from telegram import Bot, LinkPreviewOptions, Message
from telegram.error import Forbidden, TelegramError

from referral.domain.conversations import link_line, request_link, topic_name
from referral.domain.notifications import DeliveryOutcome, NotificationKind, draft
from referral.domain.participants import Participant
from referral.domain.payouts import number_label
from referral.domain.withdrawals import Withdrawal
from referral.repository.bot_state import BotState
from referral.services.outbox import OutboxService
from referral.telegram import texts
from referral.telegram.operators_group import CAPTION_LIMIT, MARK_ROOM, OperatorsGroupSender
from referral.telegram.texts import Html

logger = Logger(child=True)

TOPIC_NAME_LIMIT = 128
CAPTIONED_MEDIA = ("photo", "document", "video", "animation", "audio", "voice")
MEDIA = (*CAPTIONED_MEDIA, "video_note", "sticker")
OPERATOR_PART = texts.MESSAGE_LIMIT - 96
"""Characters of an operator's text per message to the participant, leaving room for the "Operator" mark."""


@dataclass(frozen=True, slots=True)
class Posted:
    """How a message for the operators went: sent, kept for later (rate limit, failures), or refused."""

    outcome: DeliveryOutcome | None
    error: str | None = None

    @property
    def refused(self) -> bool:
        """Telegram will not take it (e.g. the bot may not create topics): it will not arrive."""
        return self.outcome in (DeliveryOutcome.REFUSED, DeliveryOutcome.UNREACHABLE)

    @property
    def sent_or_delayed(self) -> bool:
        return self.outcome in (DeliveryOutcome.SENT, DeliveryOutcome.DELAYED)


class OperatorDesk:
    """The operators' side of the dialog. Messages into their group go through the outbox, delivered at
    once when the group's rate limit allows (``OperatorsGroupSender``); replies go to participants at once."""

    def __init__(
        self,
        bot: Bot,
        chat_id: int,
        clock: Callable[[], datetime],
        *,
        state: BotState,
        outbox: OutboxService,
        sender: OperatorsGroupSender,
        web_app_url: str | None = None,
    ) -> None:
        """``web_app_url``: the admin web app, linked from the announcement of a request (none: no link)."""
        self.web_app_url = web_app_url
        self.bot = bot
        self.chat_id = chat_id
        self.clock = clock
        self.state = state
        self.outbox = outbox
        self.sender = sender

    def relay_from_participant(self, participant: Participant, text: str, update_id: int) -> Posted:
        html = texts.topic(texts.TOPIC_PARTICIPANT, who=_who(participant), text=text)
        return self._post(participant, f"relay:{update_id}", NotificationKind.OPERATORS_TEXT, text=html)

    def relay_media_from_participant(
        self, participant: Participant, message: Message, update_id: int
    ) -> Posted:
        """A photo, document, ... from the participant, copied into their topic and marked as theirs."""
        captioned = any(getattr(message, kind) for kind in CAPTIONED_MEDIA)
        return self._post(
            participant,
            f"relay:{update_id}",
            NotificationKind.OPERATORS_COPY,
            caption=message.caption,
            from_chat_id=message.chat.id,
            message_id=message.message_id,
            who=_who(participant),
            captioned=captioned,
            has_caption=bool(message.caption),
        )

    def announce_withdrawal(self, participant: Participant, withdrawal: Withdrawal) -> Posted:
        fresh = participant.balances
        message = texts.topic(
            texts.TOPIC_WITHDRAWAL,
            id=number_label(withdrawal.number, withdrawal.withdrawal_id),
            who=_who(participant),
            points=texts.points(withdrawal.points),
            fiat=texts.money(withdrawal.fiat_amount),
            rate=withdrawal.point_rate,
            available=texts.points(fresh.available - withdrawal.points),
            frozen=texts.points(fresh.frozen),
            created=texts.moment(withdrawal.created_at),
        ) + link_line(request_link(self.web_app_url, withdrawal.withdrawal_id))
        cause = f"withdrawal:{withdrawal.withdrawal_id}"
        return self._post(participant, cause, NotificationKind.OPERATORS_TEXT, text=message)

    def note(self, participant_id: str, text: str, reply_to: int) -> Posted:
        """A plain-text note in the participant's topic, answering an operator's message."""
        return self._post_to(
            participant_id,
            participant_id,
            f"note:{reply_to}",
            NotificationKind.OPERATORS_TEXT,
            text=text,
            reply_to=reply_to,
        )

    def _post(
        self,
        participant: Participant,
        cause: str,
        kind: NotificationKind,
        *,
        caption: str | None = None,
        **payload: Any,
    ) -> Posted:
        if kind == NotificationKind.OPERATORS_TEXT:
            payload["parse_mode"] = "HTML"
        return self._post_to(
            participant.id, _topic_name(participant), cause, kind, caption=caption, **payload
        )

    def _post_to(
        self,
        participant_id: str,
        topic_name: str,
        cause: str,
        kind: NotificationKind,
        *,
        caption: str | None = None,
        **payload: Any,
    ) -> Posted:
        """Write the message to the outbox (once per cause), then try to deliver it now."""
        notice = draft(kind, participant_id, (cause,), topic_name=topic_name, **payload)
        if not self.state.post_to_operators(notice, self.clock()):
            return Posted(DeliveryOutcome.SENT)  # posted by an earlier delivery of this update
        if caption:
            self.sender.with_caption(notice.notification_id, caption)
        result = self.outbox.deliver_now(self.sender, notice)
        if result is None:
            return Posted(None)
        return Posted(result.outcome, result.error)

    async def relay_to_participant(self, message: Message, participant: Participant) -> None:
        """An operator wrote in a participant's topic: pass it on, marked as the operator's; a text too long
        for one message goes in parts. Sent at once, so that operators learn in the topic (a note through
        the outbox) when it did not arrive."""
        media = is_media(message)
        if not message.text and not media:
            self.note(participant.id, texts.TOPIC_UNSUPPORTED, message.message_id)
            return
        lang = texts.language(participant.profile.language_code)
        try:
            if media:
                await self._copy_to_participant(message, int(participant.id), lang)
            for part in texts.split_text(message.text, OPERATOR_PART) if message.text else ():
                await self.bot.send_message(
                    int(participant.id),
                    texts.t("operator_says", lang, text=part),
                    parse_mode="HTML",
                    link_preview_options=LinkPreviewOptions(is_disabled=True),
                )
        except Forbidden:
            self.state.set_unreachable(participant.id, True)
            self.note(participant.id, texts.TOPIC_UNDELIVERED, message.message_id)
        except TelegramError as error:
            logger.warning(
                "operator's reply not delivered",
                extra={"participant_id": participant.id, "error": error.message},
            )
            note = texts.TOPIC_NOT_DELIVERED.format(reason=error.message)
            self.note(participant.id, note, message.message_id)

    async def _copy_to_participant(self, message: Message, chat_id: int, lang: str) -> None:
        """The operator's media marked in its caption when it takes one and the mark fits, else by a line
        just before it."""
        mark = texts.t("operator_mark", lang)
        caption = message.caption
        captioned = any(getattr(message, kind) for kind in CAPTIONED_MEDIA)
        if captioned and len(caption or "") <= CAPTION_LIMIT - MARK_ROOM:
            marked = texts.t("operator_says", lang, text=caption) if caption else mark
            await self.bot.copy_message(
                chat_id, message.chat.id, message.message_id, caption=marked, parse_mode="HTML"
            )
            return
        await self.bot.send_message(chat_id, mark, parse_mode="HTML")
        await self.bot.copy_message(chat_id, message.chat.id, message.message_id)


def is_media(message: Message) -> bool:
    """A message the dialog copies as it is (a photo, document, video, voice message, sticker, ...)."""
    return any(getattr(message, kind) for kind in MEDIA)


def _topic_name(participant: Participant) -> str:
    return topic_name(participant)


def _who(participant: Participant) -> Html:
    return texts.who(participant.id, texts.full_name(participant.profile), participant.profile.username)
