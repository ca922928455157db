"""The participant's dialog with the operators: one item per message, recorded once.

``DIALOG#<participant>`` / ``LINE#<source>``, where the source names the message (the Telegram update that
brought it, or the web app's request): a second recording of the same message finds its item and writes
nothing. ``GSI1`` (``DIALOG#<participant>`` / ``<time>#<source>``) orders the dialog by time.

An answer from the web app is written in one transaction with its two notices (to the participant, into
their topic) and its audit record; a repeated request finds its line and commits nothing.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from pynamodb.attributes import UnicodeAttribute

from referral.clock import from_iso, to_iso
from referral.domain.audit import AuditRecord
from referral.domain.conversations import Attachment, Author, Channel, DialogLine, Direction
from referral.domain.notifications import Notification
from referral.repository import keys
from referral.repository.administration import add_audit
from referral.repository.models import Entity
from referral.repository.outbox import add_notices
from referral.repository.unit_of_work import CommittedNotices, TransactionConflict, UnitOfWork

LINE = "dialog_line"


class DialogLineItem(Entity, discriminator="dialog_line"):
    """``DIALOG#<participant>`` / ``LINE#<source>``: one message of the dialog, content references only."""

    participant_id = UnicodeAttribute()
    source = UnicodeAttribute()
    direction = UnicodeAttribute()
    channel = UnicodeAttribute()
    author_id = UnicodeAttribute()
    author_name = UnicodeAttribute(null=True)
    author_username = UnicodeAttribute(null=True)
    at = UnicodeAttribute()
    text = UnicodeAttribute(null=True)
    attachments = UnicodeAttribute(null=True)
    """JSON list of {kind, chat_id, message_id, file_id, thread_id}: where the media is, never the media."""


def line_item(line: DialogLine) -> DialogLineItem:
    stamp = to_iso(line.at)
    return DialogLineItem(
        keys.dialog_pk(line.participant_id),
        keys.dialog_line_sk(line.source),
        participant_id=line.participant_id,
        source=line.source,
        direction=line.direction.value,
        channel=line.channel.value,
        author_id=line.author.user_id,
        author_name=line.author.name,
        author_username=line.author.username,
        at=stamp,
        text=line.text,
        attachments=json.dumps([_attachment_json(a) for a in line.attachments]) if line.attachments else None,
        gsi1pk=keys.dialog_pk(line.participant_id),
        gsi1sk=keys.dated(stamp, line.source),
    )


def dialog_line(item: DialogLineItem) -> DialogLine:
    raw: list[dict[str, Any]] = json.loads(item.attachments) if item.attachments else []
    return DialogLine(
        participant_id=item.participant_id,
        source=item.source,
        direction=Direction(item.direction),
        channel=Channel(item.channel),
        author=Author(item.author_id, item.author_name, item.author_username),
        at=from_iso(item.at),
        text=item.text,
        attachments=tuple(
            Attachment(
                kind=str(a["kind"]),
                chat_id=str(a["chat_id"]),
                message_id=int(a["message_id"]),
                file_id=a.get("file_id"),
                thread_id=a.get("thread_id"),
            )
            for a in raw
        ),
    )


def _attachment_json(attachment: Attachment) -> dict[str, Any]:
    return {
        "kind": attachment.kind,
        "chat_id": attachment.chat_id,
        "message_id": attachment.message_id,
        "file_id": attachment.file_id,
        "thread_id": attachment.thread_id,
    }


class DialogRepository:
    """Writes of the dialog: a relayed message (once), an answer from the web app with its notices."""

    def __init__(self, notices: CommittedNotices | None = None) -> None:
        self._notices = notices

    def record(self, line: DialogLine) -> bool:
        """Save a relayed message; False when it was saved before (a redelivered update)."""
        uow = UnitOfWork()
        uow.create(LINE, line_item(line))
        try:
            uow.commit()
        except TransactionConflict:
            return False
        return True

    def commit_reply(
        self, line: DialogLine, notices: list[Notification], audit: AuditRecord, now: datetime
    ) -> bool:
        """The answer, its notices and its audit record at once; False when the request was made before."""
        uow = UnitOfWork(self._notices)
        uow.create(LINE, line_item(line))
        add_notices(uow, notices, now)
        add_audit(uow, audit)
        try:
            uow.commit()
        except TransactionConflict:
            return False
        return True
