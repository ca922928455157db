"""Operators' manual balance corrections (R11): ledger entry + audit record in one transaction."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from referral.clock import utcnow
from referral.domain.audit import AuditRecord, Change
from referral.domain.ledger import (
    BalanceDelta,
    Balances,
    CorrectionNotice,
    LedgerEntry,
    check_correction,
    correction_delta,
    correction_fingerprint,
)
from referral.domain.notifications import Notification, NotificationKind, draft
from referral.domain.participants import Participant
from referral.errors import AlreadyExists, BalanceChanged, Conflict, InsufficientFunds, InvalidInput, NotFound
from referral.repository.ledger import Guard, LedgerRepository, entry_id_for

MAX_REASON = 500


class LedgerService:
    def __init__(
        self, ledger: LedgerRepository | None = None, *, clock: Callable[[], datetime] = utcnow
    ) -> None:
        self.ledger = ledger or LedgerRepository()
        self.clock = clock

    def entries_of(self, participant_id: str, limit: int | None = None) -> list[LedgerEntry]:
        return self.ledger.ledger_of(participant_id, limit)

    def correct_balance(
        self,
        actor_id: str,
        participant_id: str,
        *,
        available_change: int,
        total_change: int,
        reason: str,
        idempotency_key: str,
        notice: CorrectionNotice | str = CorrectionNotice.NONE,
    ) -> bool:
        """Change "available" and "total" (frozen + available) separately. False if already applied.

        The idempotency key is looked up before anything else, so a retry of an applied correction answers
        "already applied" whatever the balances are now; the same key with a different request is refused.
        ``notice`` says what the participant is told: the notice is written in the correction's own
        transaction, under an id derived from its key, so it goes out exactly once.
        """
        reason = _valid_request(available_change, total_change, reason, idempotency_key)
        notice = CorrectionNotice(notice)
        key = f"correction:{idempotency_key}"
        fingerprint = correction_fingerprint(participant_id, available_change, total_change, reason, notice)
        participant, guard = self.ledger.participant_and_guard(participant_id, key)
        if guard is not None:
            return _already_applied(guard, fingerprint)
        if participant is None:
            raise NotFound(
                "Participant not found.",
                details={"participant_id": participant_id},
                reason="participant_not_found",
            )
        delta = correction_delta(available_change, total_change)
        before = participant.balances
        check_correction(before, participant.frozen_corrections, delta)
        after = before.apply(delta)
        now = self.clock()
        audit = _correction_audit(actor_id, participant, before, after, reason, idempotency_key, now)
        notices = _correction_notice(participant_id, delta, after, reason, key, notice)
        try:
            self.ledger.commit_correction(
                participant_id, delta, key, fingerprint, actor_id, reason, audit, now, notices
            )
        except AlreadyExists:
            existing = self.ledger.get_guard(key)
            if existing is None:
                raise
            return _already_applied(existing, fingerprint)
        except BalanceChanged:
            raise InsufficientFunds(
                "The balance changed meanwhile: the correction would take more than it holds now.",
                reason="negative_balance",
            ) from None
        return True


def _correction_audit(
    actor_id: str,
    participant: Participant,
    before: Balances,
    after: Balances,
    reason: str,
    idempotency_key: str,
    now: datetime,
) -> AuditRecord:
    """The audit record of a correction: each balance part before and after, and the operator's reason."""
    return AuditRecord(
        audit_id=entry_id_for(f"audit:{idempotency_key}"),
        actor_id=actor_id,
        action="participant.balance_correction",
        object_type="participant",
        object_id=participant.profile.user_id,
        object_name=participant.profile.display_name,
        created_at=now,
        changes=(
            Change("available", str(before.available), str(after.available)),
            Change("frozen", str(before.frozen), str(after.frozen)),
            Change("total", str(before.balance), str(after.balance)),
        ),
        reason=reason,
    )


def _correction_notice(
    participant_id: str,
    delta: BalanceDelta,
    after: Balances,
    reason: str,
    key: str,
    notice: CorrectionNotice,
) -> list[Notification]:
    """The participant's notice, if the operator asked for one; the reason only if they shared it."""
    if notice == CorrectionNotice.NONE:
        return []
    shared = reason if notice == CorrectionNotice.CHANGE_AND_REASON else None
    return [
        draft(
            NotificationKind.BALANCE_CORRECTED,
            participant_id,
            (key,),
            available_change=delta.available,
            frozen_change=delta.frozen,
            reason=shared,
            balance_after=after.balance,
            available_after=after.available,
        )
    ]


def _valid_request(available_change: int, total_change: int, reason: str, idempotency_key: str) -> str:
    """The correction's reason, trimmed, once the request is whole; ``InvalidInput`` otherwise."""
    for name, value in (("available_change", available_change), ("total_change", total_change)):
        if not isinstance(value, int) or isinstance(value, bool):
            raise InvalidInput(f"{name} must be a whole number of points.", reason="points_not_integer")
    reason = (reason or "").strip()
    if not 1 <= len(reason) <= MAX_REASON:
        raise InvalidInput(f"A reason of 1 to {MAX_REASON} characters is required.", reason="reason_required")
    if not idempotency_key:
        raise InvalidInput("An idempotency key is required.", reason="idempotency_key_required")
    if available_change == 0 and total_change == 0:
        raise InvalidInput("Nothing to change.", reason="nothing_to_change")
    return reason


def _already_applied(guard: Guard, fingerprint: str) -> bool:
    """The key was used: the same request again is "already applied" (False); another one is refused."""
    if guard.fingerprint != fingerprint:
        raise Conflict(
            "This idempotency key was already used for a different correction.",
            reason="idempotency_key_reused",
        )
    return False
