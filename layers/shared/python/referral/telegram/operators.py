"""The operator dialog: one forum topic per participant in the operators' supergroup.

The topic is created on first need and remembered both ways (participant → topic, topic → participant).
Participants' messages are posted into their topic marked as theirs; operators' messages in a topic go
back to that participant marked as the operator's. Photos, documents, videos, voice messages and stickers
are copied (``copyMessage``) both ways, marked in their caption or, when they have none or it would not fit,
by a line just before them. Only the configured operators' chat is ever relayed.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime

from aws_lambda_powertools import Logger
from telegram import Bot, LinkPreviewOptions, Message
from telegram.error import BadRequest, Forbidden, TelegramError

from referral.domain.participants import Participant
from referral.domain.withdrawals import Withdrawal
from referral.repository import bot_state
from referral.telegram import texts
from referral.telegram.conversation import Turn
from referral.telegram.texts import Html

logger = Logger(child=True)

TOPIC_NAME_LIMIT = 128
CAPTION_LIMIT = 1024
MARK_ROOM = 200
"""Characters a mark (who wrote it) may take in a caption: a longer original caption gets a line before."""
CAPTIONED_MEDIA = ("photo", "document", "video", "animation", "audio", "voice")
MEDIA = (*CAPTIONED_MEDIA, "video_note", "sticker")
OPERATOR_PART = texts.MESSAGE_LIMIT - 96
"""Characters of an operator's text per message to the participant, leaving room for the "Operator" mark."""


class OperatorDesk:
    def __init__(self, bot: Bot, chat_id: int, clock: Callable[[], datetime]) -> None:
        self.bot = bot
        self.chat_id = chat_id
        self.clock = clock

    async def relay_from_participant(self, participant: Participant, text: str) -> None:
        html = texts.topic(texts.TOPIC_PARTICIPANT, who=_who(participant), text=text)
        await self._post(participant, lambda thread: self._send(thread, html))

    async def relay_media_from_participant(self, participant: Participant, message: Message) -> None:
        """A photo, document, ... from the participant, copied into their topic and marked as theirs."""
        caption = message.caption
        mark = texts.topic(texts.TOPIC_PARTICIPANT_MEDIA, who=_who(participant))
        marked = (
            texts.topic(texts.TOPIC_PARTICIPANT, who=_who(participant), text=caption) if caption else mark
        )

        async def copy(thread: int) -> None:
            await self._copy(message, self.chat_id, mark, marked, thread=thread)

        await self._post(participant, copy)

    async def announce_withdrawal(self, participant: Participant, withdrawal: Withdrawal) -> None:
        fresh = participant.balances
        message = texts.topic(
            texts.TOPIC_WITHDRAWAL,
            id=withdrawal.withdrawal_id,
            who=_who(participant),
            points=texts.points(withdrawal.points),
            fiat=texts.money(withdrawal.fiat_amount),
            rate=withdrawal.point_rate,
            available=texts.points(fresh.available - withdrawal.points),
            frozen=texts.points(fresh.frozen),
            created=texts.moment(withdrawal.created_at),
        )
        await self._post(participant, lambda thread: self._send(thread, message))

    async def _post(self, participant: Participant, deliver: Callable[[int], Awaitable[None]]) -> None:
        """Deliver into the participant's topic, creating it on first need."""
        thread = bot_state.topic_of(participant.id)
        if thread is None:
            thread = await self._create_topic(participant, replace=None)
        try:
            await deliver(thread)
        except BadRequest as error:
            if "thread" not in error.message.lower():
                raise
            # Operators deleted the topic: open a new one and remember it instead.
            thread = await self._create_topic(participant, replace=thread)
            await deliver(thread)

    async def _send(self, thread: int, html: Html) -> None:
        await self.bot.send_message(
            self.chat_id,
            html,
            parse_mode="HTML",
            message_thread_id=thread,
            link_preview_options=LinkPreviewOptions(is_disabled=True),
        )

    async def _copy(
        self, message: Message, chat_id: int, mark: Html, marked: Html, *, thread: int | None = None
    ) -> None:
        """Copy a media message to ``chat_id``: ``marked`` (the mark and the original caption) becomes its
        caption when the media takes one and it fits; otherwise ``mark`` goes as a line just before it."""
        captioned = any(getattr(message, kind) for kind in CAPTIONED_MEDIA)
        if captioned and len(message.caption or "") <= CAPTION_LIMIT - MARK_ROOM:
            await self.bot.copy_message(
                chat_id,
                message.chat.id,
                message.message_id,
                caption=marked,
                parse_mode="HTML",
                message_thread_id=thread,
            )
            return
        await self.bot.send_message(chat_id, mark, parse_mode="HTML", message_thread_id=thread)
        await self.bot.copy_message(chat_id, message.chat.id, message.message_id, message_thread_id=thread)

    async def _create_topic(self, participant: Participant, *, replace: int | None) -> int:
        name = f"{participant.profile.display_name} · {participant.id}"
        if len(name) > TOPIC_NAME_LIMIT:
            name = f"{name[: TOPIC_NAME_LIMIT - len(participant.id) - 4]}… · {participant.id}"
        topic = await self.bot.create_forum_topic(self.chat_id, name)
        return bot_state.remember_topic(
            participant.id, str(self.chat_id), topic.message_thread_id, self.clock(), replace=replace
        )

    async def relay_to_participant(self, turn: Turn, message: Message, participant: Participant) -> None:
        """An operator wrote in a participant's topic: pass it on (text only), marked as the operator's; a
        text too long for one message goes in parts.

        Sent at once (not in the webhook answer) so that operators learn in the topic when it did not arrive.
        """
        thread = message.message_thread_id
        media = is_media(message)
        if not message.text and not media:
            self._note(turn, thread, texts.TOPIC_UNSUPPORTED, message.message_id)
            return
        lang = texts.language(participant.profile.language_code)
        try:
            if media:
                mark = texts.t("operator_mark", lang)
                caption = message.caption
                marked = texts.t("operator_says", lang, text=caption) if caption else mark
                await self._copy(message, int(participant.id), mark, marked)
            for part in texts.split_text(message.text, OPERATOR_PART) if message.text else ():
                await self.bot.send_message(
                    int(participant.id),
                    texts.t("operator_says", lang, text=part),
                    parse_mode="HTML",
                    link_preview_options=LinkPreviewOptions(is_disabled=True),
                )
        except Forbidden:
            bot_state.set_unreachable(participant.id, True)
            self._note(turn, thread, texts.TOPIC_UNDELIVERED, message.message_id)
        except TelegramError as error:
            logger.warning(
                "operator's reply not delivered",
                extra={"participant_id": participant.id, "error": error.message},
            )
            note = texts.TOPIC_NOT_DELIVERED.format(reason=error.message)
            self._note(turn, thread, note, message.message_id)

    def _note(self, turn: Turn, thread: int | None, text: str, reply_to: int) -> None:
        turn.call(
            "sendMessage",
            chat_id=self.chat_id,
            message_thread_id=thread,
            text=text,
            reply_parameters={"message_id": reply_to, "allow_sending_without_reply": True},
        )


def is_media(message: Message) -> bool:
    """A message the dialog copies as it is (a photo, document, video, voice message, sticker, ...)."""
    return any(getattr(message, kind) for kind in MEDIA)


def _who(participant: Participant) -> Html:
    return texts.who(participant.id, texts.full_name(participant.profile), participant.profile.username)
