"""The operator dialog: one forum topic per participant in the operators' supergroup.

The topic is created on first need and remembered both ways (participant → topic, topic → participant).
Participants' messages are posted into their topic marked as theirs; operators' messages in a topic go
back to that participant marked as the operator's. Only the configured operators' chat is ever relayed.
"""

from __future__ import annotations

from collections.abc import Callable
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
OPERATOR_PART = texts.MESSAGE_LIMIT - 96
"""Characters of an operator's text per message to the participant, leaving room for the "Operator" mark."""


class OperatorDesk:
    def __init__(self, bot: Bot, chat_id: int, clock: Callable[[], datetime]) -> None:
        self.bot = bot
        self.chat_id = chat_id
        self.clock = clock

    async def relay_from_participant(self, participant: Participant, text: str) -> None:
        profile = participant.profile
        who = texts.who(participant.id, _full_name(participant), profile.username)
        await self._post(participant, texts.topic(texts.TOPIC_PARTICIPANT, who=who, text=text))

    async def announce_withdrawal(self, participant: Participant, withdrawal: Withdrawal) -> None:
        fresh = participant.balances
        message = texts.topic(
            texts.TOPIC_WITHDRAWAL,
            id=withdrawal.withdrawal_id,
            who=texts.who(participant.id, _full_name(participant), participant.profile.username),
            points=texts.points(withdrawal.points),
            fiat=texts.money(withdrawal.fiat_amount),
            rate=withdrawal.point_rate,
            available=texts.points(fresh.available - withdrawal.points),
            frozen=texts.points(fresh.frozen),
            created=withdrawal.created_at.strftime("%d.%m.%Y %H:%M UTC"),
        )
        await self._post(participant, message)

    async def _post(self, participant: Participant, html: Html) -> None:
        thread = bot_state.topic_of(participant.id)
        if thread is None:
            thread = await self._create_topic(participant, replace=None)
        try:
            await self._send(thread, html)
        except BadRequest as error:
            if "thread" not in error.message.lower():
                raise
            # Operators deleted the topic: open a new one and remember it instead.
            thread = await self._create_topic(participant, replace=thread)
            await self._send(thread, html)

    async def _send(self, thread: int, html: Html) -> None:
        await self.bot.send_message(
            self.chat_id,
            html,
            parse_mode="HTML",
            message_thread_id=thread,
            link_preview_options=LinkPreviewOptions(is_disabled=True),
        )

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
        if not message.text:
            self._note(turn, thread, texts.TOPIC_TEXT_ONLY, message.message_id)
            return
        lang = texts.language(participant.profile.language_code)
        try:
            for part in texts.split_text(message.text, OPERATOR_PART):
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


def _full_name(participant: Participant) -> str | None:
    profile = participant.profile
    name = " ".join(part for part in (profile.first_name, profile.last_name) if part)
    return name or None
