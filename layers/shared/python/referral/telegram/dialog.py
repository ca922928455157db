"""The relayed dialog recorded as it passes the bot: a participant's message to the operators, an operator's
message in the participant's topic. Media is recorded as a reference (chat, message, ``file_id``, kind).

Recording is best effort: the message was relayed whatever happens here, and a failure is logged. The
update's id names the line, so a redelivered update records nothing new. A line's time is when the bot relayed
it (Telegram's dates are whole seconds: the order of a quick question and its answer would be lost).
"""

from __future__ import annotations

from datetime import datetime

from aws_lambda_powertools import Logger
from telegram import Message

from referral.domain.conversations import (
    Attachment,
    Author,
    Channel,
    DialogLine,
    Direction,
    telegram_source,
)
from referral.domain.participants import Participant
from referral.services.conversations import DialogService
from referral.telegram.operators import MEDIA
from referral.telegram.texts import full_name

logger = Logger(child=True)


def attachments_of(message: Message) -> tuple[Attachment, ...]:
    """Where the message's media is; nothing of the media itself."""
    for kind in MEDIA:
        media = getattr(message, kind)
        if not media:
            continue
        file = media[-1] if isinstance(media, tuple) else media  # a photo: its sizes, largest last
        return (
            Attachment(
                kind=kind,
                chat_id=str(message.chat.id),
                message_id=message.message_id,
                file_id=getattr(file, "file_id", None),
                thread_id=message.message_thread_id if message.is_topic_message else None,
            ),
        )
    return ()


def from_participant(
    participant: Participant, update_id: int, at: datetime, text: str | None, message: Message | None
) -> DialogLine:
    profile = participant.profile
    return DialogLine(
        participant_id=participant.id,
        source=telegram_source(update_id),
        direction=Direction.FROM_PARTICIPANT,
        channel=Channel.TELEGRAM,
        author=Author(participant.id, full_name(profile), profile.username),
        at=at,
        text=text if text is not None else (message.caption if message else None),
        attachments=attachments_of(message) if message else (),
    )


def from_operator(participant_id: str, update_id: int, message: Message, at: datetime) -> DialogLine:
    """An operator's message in the topic: its author, or the operators' chat when posted anonymously."""
    if message.sender_chat is not None:
        chat = message.sender_chat
        author = Author(str(chat.id), chat.title, chat.username)
    elif message.from_user is not None:
        user = message.from_user
        author = Author(str(user.id), user.full_name, user.username)
    else:
        author = Author(str(message.chat.id))
    return DialogLine(
        participant_id=participant_id,
        source=telegram_source(update_id),
        direction=Direction.TO_PARTICIPANT,
        channel=Channel.TELEGRAM,
        author=author,
        at=at,
        text=message.text or message.caption,
        attachments=attachments_of(message),
    )


def record(dialog: DialogService, line: DialogLine) -> None:
    try:
        dialog.record(line)
    except Exception:
        logger.exception(
            "dialog line not recorded",
            extra={"participant_id": line.participant_id, "source": line.source},
        )
