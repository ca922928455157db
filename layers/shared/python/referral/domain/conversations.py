"""The participant's dialog with the operators, one line per message, whichever way it went.

A line is recorded as the message is relayed: a participant's message to the bot, an operator's message in
the participant's topic of the operators' group, an operator's answer from the web app. Attachments are kept
as references (the chat and message they are in, Telegram's ``file_id`` and kind), never their content.
A line's ``source`` names the message it records (``tg:<update id>`` or ``web:<request key>``) and makes
the line's key, so a redelivered update or a repeated request records nothing new.

The phrases posted into the operators' topics from the web app are here too (Russian, like the rest of the
operators' group), so that the services that write them need nothing of the bot.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from referral.domain.notifications import Notification
from referral.domain.participants import Participant
from referral.domain.withdrawals import Withdrawal, WithdrawalStatus

MAX_REPLY = 3500
"""Characters of an answer from the web app: one Telegram message with room for the operator's mark."""
TOPIC_NAME_LIMIT = 128


StatusAnnouncer = Callable[
    [str, Withdrawal, WithdrawalStatus, str | None, Participant | None], list[Notification]
]
"""Notices a status change made by an operator (``actor id``) posts beside the participant's own."""


class Direction(StrEnum):
    FROM_PARTICIPANT = "in"
    """The participant wrote to the bot; the bot relayed it into their topic."""
    TO_PARTICIPANT = "out"
    """An operator answered (in the topic or from the web app); the bot passed it on."""


class Channel(StrEnum):
    TELEGRAM = "telegram"
    WEB = "web"


@dataclass(frozen=True, slots=True)
class Author:
    """Who wrote a line: a Telegram user (or the operators' chat itself, posting anonymously) or an admin."""

    user_id: str
    name: str | None = None
    username: str | None = None


@dataclass(frozen=True, slots=True)
class Attachment:
    """Where a photo, document, ... is: the chat and message holding it, and Telegram's id of the file."""

    kind: str
    chat_id: str
    message_id: int
    file_id: str | None = None
    thread_id: int | None = None
    """The topic it was posted in (operators' messages): makes a link to the message."""


@dataclass(frozen=True, slots=True)
class DialogLine:
    participant_id: str
    source: str
    direction: Direction
    channel: Channel
    author: Author
    at: datetime
    text: str | None = None
    attachments: tuple[Attachment, ...] = ()


def telegram_source(update_id: int) -> str:
    return f"tg:{update_id}"


def web_source(request_key: str) -> str:
    return f"web:{request_key}"


def topic_name(participant: Participant) -> str:
    """The name of the participant's topic in the operators' group: display name and id, within 128."""
    name = f"{participant.profile.display_name} · {participant.id}"
    if len(name) > TOPIC_NAME_LIMIT:
        name = f"{name[: TOPIC_NAME_LIMIT - len(participant.id) - 4]}… · {participant.id}"
    return name


def request_link(web_app_url: str | None, withdrawal_id: str) -> str | None:
    """The request's screen in the web app; None when the web app's address is not configured."""
    if not web_app_url:
        return None
    return f"{web_app_url.rstrip('/')}/#/withdrawals/{withdrawal_id}"


def link_line(link: str | None) -> str:
    """An HTML line linking to the request in the web app (empty without an address)."""
    if link is None:
        return ""
    return f'\n<a href="{html.escape(link, quote=True)}">Открыть заявку в веб-приложении</a>'


STATUS_WORDS = {
    "new": "новая",
    "negotiation": "в переговорах",
    "paid": "выплачена",
    "rejected": "отклонена",
    "cancelled": "отменена",
}


def status_change_html(
    request: str, before: str, after: str, operator: str, reason: str | None, link: str | None
) -> str:
    """What the participant's topic is told when an operator moves their request in the web app."""
    text = (
        f"🔄 <b>Заявка {html.escape(request)}</b>: {STATUS_WORDS.get(before, before)} → "
        f"<b>{STATUS_WORDS.get(after, after)}</b>\nОператор: {html.escape(operator)} (веб-приложение)"
    )
    if reason:
        text += f"\nПричина: {html.escape(reason)}"
    return text + link_line(link)


def web_reply_html(operator: str, text: str) -> str:
    """An operator's answer from the web app as the participant's topic shows it."""
    return f"💬 <b>Оператор {html.escape(operator)}</b> (веб-приложение):\n{html.escape(text)}"


def operator_label(admin_id: str, name: str | None) -> str:
    return f"{name} (id {admin_id})" if name else f"id {admin_id}"
