"""The dialog with the operators as the web app sees it: recording relayed messages, answering, and
telling the participant's topic what operators did to their withdrawal requests."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime

from referral.clock import utcnow
from referral.domain.audit import AuditRecord, Change
from referral.domain.conversations import (
    MAX_REPLY,
    Author,
    Channel,
    DialogLine,
    Direction,
    operator_label,
    request_link,
    status_change_html,
    topic_name,
    web_reply_html,
    web_source,
)
from referral.domain.notifications import Notification, NotificationKind, draft
from referral.domain.participants import Participant
from referral.domain.payouts import number_label
from referral.domain.withdrawals import Withdrawal, WithdrawalStatus
from referral.errors import Conflict, InvalidInput, NotFound
from referral.repository.administration import AdministrationRepository
from referral.repository.conversations import DialogRepository
from referral.repository.outbox import OutboxRepository
from referral.repository.participants import ParticipantRepository


class DialogService:
    def __init__(
        self,
        participants: ParticipantRepository | None = None,
        dialog: DialogRepository | None = None,
        administration: AdministrationRepository | None = None,
        outbox: OutboxRepository | None = None,
        *,
        web_app_url: str | None = None,
        operators_chat_id: int | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        """Without ``operators_chat_id`` there are no topics: nothing is posted into one."""
        self.operators_chat_id = operators_chat_id
        self.participants = participants or ParticipantRepository()
        self.dialog = dialog or DialogRepository()
        self.administration = administration or AdministrationRepository()
        self.outbox = outbox or OutboxRepository()
        self.web_app_url = web_app_url
        self.clock = clock

    def record(self, line: DialogLine) -> bool:
        """A relayed message, once; False when it was recorded before."""
        return self.dialog.record(line)

    def reply(
        self, admin_id: str, admin_name: str | None, participant_id: str, text: str, request_key: str
    ) -> bool:
        """An operator's answer from the web app: to the participant through the bot, into their topic
        marked with the operator's name, into the dialog and the audit trail, all in one transaction.

        ``request_key`` makes a repeated request harmless (False: it was answered before); the same key
        with another text is refused."""
        text = (text or "").strip()
        if not 1 <= len(text) <= MAX_REPLY:
            raise InvalidInput(f"An answer must be 1 to {MAX_REPLY} characters.", reason="reply_length")
        participant = self.participants.get_participant(participant_id)
        if participant is None:
            raise NotFound(
                "Participant not found.",
                details={"participant_id": participant_id},
                reason="participant_not_found",
            )
        now = self.clock()
        cause = ("web", request_key)
        to_participant = draft(NotificationKind.OPERATOR_REPLY, participant_id, cause, text=text)
        into_topic = draft(
            NotificationKind.OPERATORS_TEXT,
            participant_id,
            cause,
            topic_name=topic_name(participant),
            text=web_reply_html(operator_label(admin_id, admin_name), text),
            parse_mode="HTML",
        )
        line = DialogLine(
            participant_id=participant_id,
            source=web_source(request_key),
            direction=Direction.TO_PARTICIPANT,
            channel=Channel.WEB,
            author=Author(admin_id, admin_name),
            at=now,
            text=text,
        )
        audit = AuditRecord(
            audit_id=uuid.uuid4().hex,
            actor_id=admin_id,
            action="dialog.reply",
            object_type="participant",
            object_id=participant_id,
            object_name=participant.profile.display_name,
            created_at=now,
            changes=(Change("reply", None, text),),
        )
        notices = [to_participant, into_topic] if self.operators_chat_id else [to_participant]
        if self.dialog.commit_reply(line, notices, audit, now):
            return True
        earlier = self.outbox.get_notification(to_participant.notification_id)
        if earlier is not None and earlier.payload.get("text") != text:
            raise Conflict(
                "This request key was already used for another answer.", reason="idempotency_key_reused"
            )
        return False

    def status_notices(
        self,
        actor_id: str,
        withdrawal: Withdrawal,
        target: WithdrawalStatus,
        reason: str | None,
        participant: Participant | None,
    ) -> list[Notification]:
        """The note into the participant's topic that an operator moved their request (with its link)."""
        if not self.operators_chat_id:
            return []
        admin = self.administration.get_admin(actor_id)
        operator = operator_label(actor_id, admin.name if admin is not None else None)
        link = request_link(self.web_app_url, withdrawal.withdrawal_id)
        html = status_change_html(
            number_label(withdrawal.number, withdrawal.withdrawal_id),
            withdrawal.status.value,
            target.value,
            operator,
            reason,
            link,
        )
        return [
            draft(
                NotificationKind.OPERATORS_TEXT,
                withdrawal.participant_id,
                ("withdrawal-status", withdrawal.withdrawal_id, target.value),
                topic_name=topic_name(participant) if participant else withdrawal.participant_id,
                text=html,
                parse_mode="HTML",
            )
        ]
