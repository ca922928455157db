"""A participant's dialog with the operators, newest first, a page at a time; links into Telegram.

Attachments are shown as links: an operator's media to its message in the participant's topic, a
participant's media to the topic, where the bot copied it.
"""

from __future__ import annotations

from dataclasses import dataclass

from referral.domain.conversations import Attachment, DialogLine
from referral.read.query import Key, entities, key_of, query
from referral.repository import keys
from referral.repository.bot_state import TopicItem
from referral.repository.conversations import DialogLineItem, dialog_line

LINE_KEYS = ("PK", "SK", "GSI1PK", "GSI1SK")


@dataclass(frozen=True, slots=True)
class Topic:
    chat_id: str
    thread_id: int

    @property
    def url(self) -> str | None:
        return message_url(self.chat_id, self.thread_id, None)


def dialog_page(participant_id: str, limit: int, start: Key | None) -> tuple[list[DialogLine], Key | None]:
    """One page of the dialog, newest first (``GSI1`` by time)."""
    raw, last = query(keys.dialog_pk(participant_id), index="GSI1", limit=limit, start=start, descending=True)
    lines = [dialog_line(item) for item in entities(raw, DialogLineItem)]
    return lines, (key_of(raw[-1], LINE_KEYS) if last is not None and raw else None)


def topic_of(participant_id: str) -> Topic | None:
    try:
        item = TopicItem.get(keys.topic_pk(participant_id), keys.TOPIC_SK)
    except TopicItem.DoesNotExist:
        return None
    return Topic(item.chat_id, item.thread_id)


def message_url(chat_id: str, thread_id: int | None, message_id: int | None) -> str | None:
    """``t.me/c/…`` links work for supergroups (ids ``-100…``), for their members; None elsewhere."""
    if not chat_id.startswith("-100") or not chat_id[4:].isdigit():
        return None
    parts = [str(part) for part in (thread_id, message_id) if part is not None]
    return "/".join([f"https://t.me/c/{chat_id[4:]}", *parts])


def attachment_url(attachment: Attachment, topic: Topic | None) -> str | None:
    """The message holding the media, or the topic the bot copied it into."""
    direct = message_url(attachment.chat_id, attachment.thread_id, attachment.message_id)
    return direct or (topic.url if topic else None)
