"""The Bot API calls a turn (or an outbox sender) makes, as small typed values.

Handlers describe what to say; ``params`` is the one place that turns a call into Bot API parameters,
whether it travels in the webhook answer (``webhook_answer``) or is made by a client.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any, ClassVar

HTML = "HTML"


@dataclass(frozen=True, slots=True)
class SendMessage:
    method: ClassVar[str] = "sendMessage"
    chat_id: int
    text: str
    parse_mode: str | None = HTML
    reply_markup: dict[str, Any] | None = None
    message_thread_id: int | None = None
    no_link_preview: bool = False
    reply_to_message_id: int | None = None
    """Answers that message, and is still sent if it was deleted meanwhile."""


@dataclass(frozen=True, slots=True)
class EditMessageText:
    method: ClassVar[str] = "editMessageText"
    chat_id: int
    message_id: int
    text: str
    parse_mode: str | None = HTML
    reply_markup: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class AnswerCallbackQuery:
    method: ClassVar[str] = "answerCallbackQuery"
    callback_query_id: str
    text: str | None = None


@dataclass(frozen=True, slots=True)
class CopyMessage:
    method: ClassVar[str] = "copyMessage"
    chat_id: int
    from_chat_id: int
    message_id: int
    caption: str | None = None
    parse_mode: str | None = None
    message_thread_id: int | None = None


@dataclass(frozen=True, slots=True)
class CreateForumTopic:
    method: ClassVar[str] = "createForumTopic"
    chat_id: int
    name: str


BotCall = SendMessage | EditMessageText | AnswerCallbackQuery | CopyMessage | CreateForumTopic

WEBHOOK_METHODS = frozenset({SendMessage.method, EditMessageText.method, AnswerCallbackQuery.method})
"""Calls that may travel in the webhook answer (their result is not needed)."""


def params(call: BotCall) -> dict[str, Any]:
    """The Bot API parameters of ``call``; unset options are left out, as Telegram's defaults apply."""
    result: dict[str, Any] = {}
    for item in fields(call):
        value = getattr(call, item.name)
        if value is None or value is False:
            continue
        if item.name == "no_link_preview":
            result["link_preview_options"] = {"is_disabled": True}
        elif item.name == "reply_to_message_id":
            result["reply_parameters"] = {"message_id": value, "allow_sending_without_reply": True}
        else:
            result[item.name] = value
    return result


def webhook_answer(call: BotCall) -> dict[str, Any]:
    """The call as the body of a webhook answer: Telegram makes it on the bot's behalf."""
    return {"method": call.method, **params(call)}
