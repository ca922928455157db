"""A participant's dialog with the operators: read it (newest first), answer from the web app."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path
from pydantic import BaseModel, Field

from referral.admin import context
from referral.admin.pagination import fingerprint, seal, unseal
from referral.admin.roles import actor
from referral.admin.schemas import Cursor, Limit, Strict, Timestamp, non_blank
from referral.clock import to_iso
from referral.domain.conversations import MAX_REPLY, DialogLine
from referral.read.conversations import Topic, attachment_url, dialog_page, topic_of
from referral.repository.table import bind_table_from_env

router = Router()  # type: ignore[no-untyped-call]

ParticipantId = Annotated[str, Path(pattern=r"^[0-9]{1,20}$", description="Telegram user id")]


class AttachmentOut(BaseModel):
    kind: str
    """photo, document, video, animation, audio, voice, video_note or sticker"""
    chat_id: str
    message_id: int
    file_id: str | None
    url: str | None
    """The message in the operators' group holding it (or the participant's topic), for its members."""


class DialogLineOut(BaseModel):
    at: Timestamp
    direction: str
    """in: the participant wrote; out: an operator answered"""
    channel: str
    """telegram or web (answered from the web app)"""
    author_id: str
    author_name: str | None
    author_username: str | None
    text: str | None
    attachments: list[AttachmentOut]


class DialogPage(BaseModel):
    items: list[DialogLineOut]
    next_cursor: str | None
    topic_url: str | None
    """The participant's topic in the operators' group, once it exists."""
    sent: bool | None = None
    """After an answer: False when the request repeated one already sent (nothing sent again)."""


def _line(line: DialogLine, topic: Topic | None) -> DialogLineOut:
    return DialogLineOut(
        at=to_iso(line.at),
        direction=line.direction.value,
        channel=line.channel.value,
        author_id=line.author.user_id,
        author_name=line.author.name,
        author_username=line.author.username,
        text=line.text,
        attachments=[
            AttachmentOut(
                kind=a.kind,
                chat_id=a.chat_id,
                message_id=a.message_id,
                file_id=a.file_id,
                url=attachment_url(a, topic),
            )
            for a in line.attachments
        ],
    )


def _page(participant_id: str, limit: int, cursor: str | None) -> DialogPage:
    bind_table_from_env()
    scope = fingerprint("dialog", p=participant_id)
    lines, last = dialog_page(participant_id, limit, unseal(cursor, scope))
    topic = topic_of(participant_id)
    return DialogPage(
        items=[_line(line, topic) for line in lines],
        next_cursor=seal(last, scope),
        topic_url=topic.url if topic else None,
    )


@router.get(
    "/participants/<participant_id>/dialog",
    summary="The participant's dialog with the operators, newest first",
    tags=["dialog"],
)
def list_dialog(participant_id: ParticipantId, limit: Limit = 50, cursor: Cursor = None) -> DialogPage:
    return _page(participant_id, limit, cursor)


class ReplyIn(Strict):
    text: Annotated[str, non_blank(MAX_REPLY)]
    request_key: Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{8,64}$", description="Repeat-safe request id")]


@router.post(
    "/participants/<participant_id>/dialog",
    summary="Answer the participant: through the bot, into their topic; recorded and audited, sent once",
    tags=["dialog"],
)
def reply(participant_id: ParticipantId, body: ReplyIn) -> DialogPage:
    admin = actor(router)
    sent = context.current().services.dialog.reply(
        admin.telegram_id, admin.name, participant_id, body.text, body.request_key
    )
    return _page(participant_id, 50, None).model_copy(update={"sent": sent})
