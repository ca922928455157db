"""Withdrawal requests and their status flow (R9, R10)."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from referral.clock import utcnow
from referral.domain.audit import AuditRecord, Change
from referral.domain.conversations import StatusAnnouncer
from referral.domain.ledger import BalanceDelta, EntryKind
from referral.domain.notifications import Notification, NotificationKind, draft
from referral.domain.participants import Participant
from referral.domain.payouts import Payout, number_label
from referral.domain.payouts import payout as validated_payout
from referral.domain.withdrawals import (
    Withdrawal,
    WithdrawalStatus,
    check_request,
    check_transition,
    fiat_amount,
    transition_effect,
)
from referral.errors import (
    AlreadyExists,
    BalanceChanged,
    Conflict,
    DomainError,
    Forbidden,
    InsufficientFunds,
    InvalidInput,
    InvalidTransition,
    NotFound,
    WithdrawalChanged,
)
from referral.repository.participants import ParticipantRepository
from referral.repository.withdrawals import WithdrawalRepository
from referral.services.risks import RiskService
from referral.services.settings import SettingsService

MAX_COMMENT = 2000
MAX_BULK = 50
"""Most requests one bulk action moves (each is its own transaction)."""


class BulkResult(StrEnum):
    DONE = "done"
    UNCHANGED = "unchanged"
    """Already in the target status (a repeated batch)."""
    REFUSED = "refused"


@dataclass(frozen=True, slots=True)
class BulkOutcome:
    withdrawal_id: str
    number: int | None
    result: BulkResult
    reason: str | None = None
    message: str | None = None


def withdrawal_id_for(participant_id: str, request_key: str) -> str:
    return hashlib.sha256(f"{participant_id}|{request_key}".encode()).hexdigest()[:16]


def _same_request(existing: Withdrawal, participant_id: str, points: int) -> Withdrawal:
    """A request key already used: the same request is answered with what it opened, another refused.

    The withdrawal item records the whole request (participant and points), so it is its own fingerprint.
    """
    if (existing.participant_id, existing.points) != (participant_id, points):
        raise Conflict(
            "This request key was already used for a different withdrawal.",
            details={"withdrawal_id": existing.withdrawal_id},
            reason="idempotency_key_reused",
        )
    return existing


class WithdrawalService:
    def __init__(
        self,
        participants: ParticipantRepository | None = None,
        withdrawals: WithdrawalRepository | None = None,
        settings: SettingsService | None = None,
        *,
        clock: Callable[[], datetime] = utcnow,
        risks: RiskService | None = None,
        announce: StatusAnnouncer | None = None,
    ) -> None:
        """``announce`` adds the notices a status change posts beside the participant's own."""
        self.announce = announce
        self.participants = participants or ParticipantRepository()
        self.withdrawals = withdrawals or WithdrawalRepository()
        self.settings = settings or SettingsService()
        self.clock = clock
        self.risks = risks

    def get(self, withdrawal_id: str) -> Withdrawal:
        withdrawal = self.withdrawals.get_withdrawal(withdrawal_id)
        if withdrawal is None:
            raise NotFound(
                "Withdrawal request not found.",
                details={"withdrawal_id": withdrawal_id},
                reason="withdrawal_not_found",
            )
        return withdrawal

    def request(
        self, participant_id: str, points: int, request_key: str, *, payout_details: str | None = None
    ) -> Withdrawal:
        """Open a request and reserve the points atomically. ``request_key`` makes retries harmless.

        ``payout_details``: where the participant wants the money, when given; only the fraud signals see
        them (as keyed fingerprints), the request does not keep them.

        The key is looked up first: a retry returns the request it opened even if the points are reserved
        by now or the participant was blocked since; the same key for another amount is refused.
        """
        withdrawal_id = withdrawal_id_for(participant_id, request_key)
        participant, existing = self.withdrawals.participant_and_withdrawal(participant_id, withdrawal_id)
        if existing is not None:
            return _same_request(existing, participant_id, points)
        if participant is None:
            raise NotFound("Register first to withdraw.", reason="not_registered")
        settings = self.settings.current()
        check_request(participant, points, settings)
        now = self.clock()
        withdrawal = Withdrawal(
            withdrawal_id=withdrawal_id,
            participant_id=participant_id,
            points=points,
            point_rate=settings.point_rate,
            fiat_amount=fiat_amount(points, settings.point_rate),
            status=WithdrawalStatus.NEW,
            created_at=now,
            updated_at=now,
        )
        try:
            withdrawal = self.withdrawals.commit_withdrawal_request(withdrawal, now, [])
        except AlreadyExists:
            existing = self.withdrawals.get_withdrawal(withdrawal_id)
            if existing is None:
                raise
            return _same_request(existing, participant_id, points)
        except BalanceChanged:
            raise self._refusal(participant_id) from None
        if self.risks is not None:
            source = f"withdrawal:{withdrawal_id}"
            self.risks.withdrawal_requested(participant_id, payout_details, source=source)
        return withdrawal

    def _refusal(self, participant_id: str) -> Forbidden | InsufficientFunds:
        """Why the reservation did not hold, as the participant's balance and status say now."""
        fresh = self.participants.get_participant(participant_id)
        if fresh is not None and fresh.blocked:
            return Forbidden(
                "Your participation is suspended, so withdrawals are not available.",
                reason="participant_blocked",
            )
        available = fresh.balances.available if fresh else 0
        return InsufficientFunds(
            f"Only {max(available, 0)} points are available now.", details={"available": available}
        )

    def change_status(
        self,
        actor_id: str,
        withdrawal_id: str,
        target: WithdrawalStatus | str,
        reason: str | None = None,
        payout: Payout | None = None,
    ) -> Withdrawal:
        """Move a request along ``new → negotiation → paid | rejected`` (or cancel); audited, announced.

        Paid needs the payout (method and reference; details are stored masked, with the keyed fingerprints
        the shared payout signal compares, computed from the details as entered). Refused with
        ``InvalidTransition`` when another operator moved the request meanwhile, and with
        ``BalanceChanged`` (not a status change) when the participant's reserved points no longer hold it.
        """
        target = WithdrawalStatus(target)
        withdrawal = self.get(withdrawal_id)
        check_transition(withdrawal.status, target)
        reason = _reason_for(target, reason)
        recorded = _payout_for(target, payout)
        fingerprints = self.risks.payout_fingerprints(recorded.entered) if self.risks and recorded else ()
        participant = self.participants.get_participant(withdrawal.participant_id)
        effect = transition_effect(target, withdrawal.points)
        now = self.clock()
        notice = _status_notice(withdrawal, target, reason, participant, effect)
        audit = _status_audit(actor_id, withdrawal, target, reason, recorded, participant, now)
        announced = self.announce(actor_id, withdrawal, target, reason, participant) if self.announce else []
        try:
            self.withdrawals.commit_withdrawal_transition(
                withdrawal,
                target,
                effect,
                actor_id,
                reason,
                audit,
                now,
                [notice, *announced],
                recorded,
                tuple(fingerprint.value for fingerprint in fingerprints),
            )
        except WithdrawalChanged:
            current = self.get(withdrawal_id)
            raise InvalidTransition(
                f"The request is now '{current.status}'; reload it and try again.",
                details={"status": current.status.value},
                reason="stale",
            ) from None
        if self.risks is not None:  # after the commit: the signal never fails the payout
            self.risks.payout_given(withdrawal.participant_id, fingerprints, f"withdrawal:{withdrawal_id}")
        return replace(
            withdrawal,
            status=target,
            updated_at=now,
            reason=reason or withdrawal.reason,
            payout=recorded or withdrawal.payout,
            closed_by=None if target.is_open else actor_id,
        )

    def change_many(
        self, actor_id: str, withdrawal_ids: list[str], target: WithdrawalStatus | str, payout: Payout | None
    ) -> list[BulkOutcome]:
        """The same move for several requests, each its own audited transaction (never all-or-nothing).

        A request already in ``target`` (with the same reference, for paid) is reported unchanged, so
        sending the same batch again changes nothing; any refusal is reported for its request alone.
        """
        target = WithdrawalStatus(target)
        recorded = _payout_for(target, payout)
        outcomes = []
        for withdrawal_id in dict.fromkeys(withdrawal_ids):
            outcomes.append(self._change_one(actor_id, withdrawal_id, target, recorded))
        return outcomes

    def _change_one(
        self, actor_id: str, withdrawal_id: str, target: WithdrawalStatus, payout: Payout | None
    ) -> BulkOutcome:
        try:
            current = self.get(withdrawal_id)
            if current.status == target and (payout is None or current.payout == payout):
                return BulkOutcome(withdrawal_id, current.number, BulkResult.UNCHANGED)
            done = self.change_status(actor_id, withdrawal_id, target, None, payout)
        except DomainError as refused:
            number = getattr(self.withdrawals.get_withdrawal(withdrawal_id), "number", None)
            return BulkOutcome(withdrawal_id, number, BulkResult.REFUSED, refused.reason, refused.message)
        return BulkOutcome(withdrawal_id, done.number, BulkResult.DONE)

    def comment(self, actor_id: str, withdrawal_id: str, text: str) -> None:
        text = (text or "").strip()
        if not 1 <= len(text) <= MAX_COMMENT:
            raise InvalidInput(f"A comment must be 1 to {MAX_COMMENT} characters.", reason="comment_length")
        now = self.clock()
        audit = AuditRecord(
            audit_id=uuid.uuid4().hex,
            actor_id=actor_id,
            action="withdrawal.comment",
            object_type="withdrawal",
            object_id=withdrawal_id,
            created_at=now,
            changes=(Change("comment", None, text),),
        )
        self.withdrawals.add_withdrawal_comment(withdrawal_id, actor_id, text, audit, now)


def _reason_for(target: WithdrawalStatus, reason: str | None) -> str | None:
    """The reason, trimmed; a rejection needs one (the participant is told it)."""
    reason = (reason or "").strip() or None
    if target == WithdrawalStatus.REJECTED and reason is None:
        raise InvalidInput(
            "Give the reason for the rejection: the participant will see it.",
            reason="rejection_reason_required",
        )
    return reason


def _payout_for(target: WithdrawalStatus, given: Payout | None) -> Payout | None:
    """The payout of a paid request, validated and masked again here whoever built it (the admin API
    requires it for paid); other moves take none."""
    if target != WithdrawalStatus.PAID:
        if given is not None:
            raise InvalidInput("Payout details go only with paid.", reason="payout_not_paid")
        return None
    if given is None:
        return None
    return validated_payout(given.method, given.reference, given.entered or given.details)


def _status_notice(
    withdrawal: Withdrawal,
    target: WithdrawalStatus,
    reason: str | None,
    participant: Participant | None,
    effect: tuple[EntryKind, BalanceDelta] | None,
) -> Notification:
    """What the participant is told; ``number`` names the request as they saw it when they asked."""
    available_after = (participant.balances.available if participant else 0) + (
        effect[1].available if effect else 0
    )
    return draft(
        NotificationKind.WITHDRAWAL_STATUS,
        withdrawal.participant_id,
        (withdrawal.withdrawal_id, target.value),
        withdrawal_id=withdrawal.withdrawal_id,
        number=number_label(withdrawal.number, withdrawal.withdrawal_id),
        status=target.value,
        points=withdrawal.points,
        fiat_amount=str(withdrawal.fiat_amount),
        reason=reason,
        available_after=available_after,
        frozen=participant.balances.frozen if participant else 0,
    )


def _status_audit(
    actor_id: str,
    withdrawal: Withdrawal,
    target: WithdrawalStatus,
    reason: str | None,
    payout: Payout | None,
    participant: Participant | None,
    now: datetime,
) -> AuditRecord:
    changes = [Change("status", withdrawal.status.value, target.value)]
    if payout is not None:
        changes.append(Change("payout_method", None, payout.method.value))
        if payout.details:
            changes.append(Change("payout_details", None, payout.details))
        changes.append(Change("payout_reference", None, payout.reference))
    name = participant.profile.display_name if participant else withdrawal.participant_id
    return AuditRecord(
        audit_id=uuid.uuid4().hex,
        actor_id=actor_id,
        action=f"withdrawal.{target.value}",
        object_type="withdrawal",
        object_id=withdrawal.withdrawal_id,
        object_name=f"{number_label(withdrawal.number, withdrawal.withdrawal_id)} · {name}",
        created_at=now,
        changes=tuple(changes),
        reason=reason,
    )
