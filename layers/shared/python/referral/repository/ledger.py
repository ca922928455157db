"""Money: the points ledger, idempotency guards and operators' corrections (R11).

Balances on profiles are a cache of the ledger: every write that moves points adds its ledger entry in
the same transaction, keyed by an idempotency key so it can be applied once only.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pynamodb.expressions.condition import Condition

from referral.clock import month_of, to_iso
from referral.domain.audit import AuditRecord
from referral.domain.ledger import BalanceDelta, EntryKind, LedgerEntry
from referral.domain.notifications import Notification
from referral.domain.participants import Participant
from referral.errors import AlreadyExists, BalanceChanged, DomainError
from referral.repository import keys, mapping
from referral.repository.administration import add_audit
from referral.repository.changes import Changes, commit, get_item
from referral.repository.models import (
    Entity,
    IdempotencyGuardItem,
    LedgerEntryItem,
    ParticipantItem,
)
from referral.repository.outbox import add_notices
from referral.repository.unit_of_work import CommittedNotices, TransactionConflict, UnitOfWork

GUARD = "guard"
LEDGER = "ledger"
CORRECTION_OPERATION = "balance_correction"


def entry_id_for(idempotency_key: str) -> str:
    return hashlib.sha256(idempotency_key.encode()).hexdigest()[:24]


@dataclass(frozen=True, slots=True)
class Guard:
    """An idempotency key already used: by which operation, for which request (its fingerprint)."""

    operation: str
    fingerprint: str | None


def add_entry(
    uow: UnitOfWork,
    participant_id: str,
    kind: EntryKind,
    delta: BalanceDelta,
    now: datetime,
    idempotency_key: str,
    **details: Any,
) -> None:
    """Put the ledger entry of a movement of points; a second one with the same key fails the transaction."""
    stamp = to_iso(now)
    entry_id = entry_id_for(idempotency_key)
    uow.create(
        f"{LEDGER}:{participant_id}:{kind.value}",
        LedgerEntryItem(
            keys.participant_pk(participant_id),
            keys.ledger_sk(stamp, entry_id),
            entry_id=entry_id,
            participant_id=participant_id,
            kind=kind.value,
            created_at=stamp,
            d_frozen=delta.frozen,
            d_available=delta.available,
            d_reserved=delta.reserved,
            d_withdrawn=delta.withdrawn,
            idempotency_key=idempotency_key,
            gsi2pk=keys.feed_pk(keys.FEED_LEDGER, month_of(now)),
            gsi2sk=keys.dated(stamp, participant_id, entry_id),
            **details,
        ),
    )


def add_guard(uow: UnitOfWork, key: str, operation: str, now: datetime, fingerprint: str) -> None:
    uow.create(
        GUARD,
        IdempotencyGuardItem(
            keys.guard_pk(key),
            keys.GUARD_SK,
            operation=operation,
            created_at=to_iso(now),
            fingerprint=fingerprint,
        ),
    )


def _correction_refusal(conflict: TransactionConflict) -> DomainError:
    if conflict.failed_on(GUARD):
        return AlreadyExists("This idempotency key was used meanwhile.", reason="idempotency_key_used")
    return BalanceChanged(
        "The balance changed meanwhile: the correction would take more than it holds now.",
        participants=frozenset(),
    )


class LedgerRepository:
    """The ledger's reads and the operators' corrections."""

    def __init__(self, notices: CommittedNotices | None = None) -> None:
        self._notices = notices

    def ledger_of(self, participant_id: str, limit: int | None = None) -> list[LedgerEntry]:
        items = LedgerEntryItem.query(
            keys.participant_pk(participant_id),
            LedgerEntryItem.sk.startswith(keys.LEDGER_PREFIX),
            scan_index_forward=False,
            limit=limit,
        )
        return [mapping.ledger_entry(item) for item in items]

    def scan_all(self, *types: type[Entity]) -> Iterator[Entity]:
        """Every item of ``types``: reconciliation only (an offline, whole-table check).

        Filtering on the discriminator also keeps out item types that modules not loaded here define.
        """
        yield from Entity.scan(Entity.entity_type.is_in(*types))

    def get_guard(self, key: str) -> Guard | None:
        item = get_item(IdempotencyGuardItem, keys.guard_pk(key), keys.GUARD_SK)
        return Guard(item.operation, item.fingerprint) if item else None

    def participant_and_guard(self, participant_id: str, key: str) -> tuple[Participant | None, Guard | None]:
        """One batch read: the participant, and the guard of ``key`` if the key was used before."""
        participant = guard = None
        for item in Entity.batch_get(
            [(keys.participant_pk(participant_id), keys.PROFILE), (keys.guard_pk(key), keys.GUARD_SK)]
        ):
            if isinstance(item, ParticipantItem):
                participant = mapping.participant(item)
            elif isinstance(item, IdempotencyGuardItem):
                guard = Guard(item.operation, item.fingerprint)
        return participant, guard

    def commit_correction(
        self,
        participant_id: str,
        delta: BalanceDelta,
        idempotency_key: str,
        fingerprint: str,
        actor_id: str,
        reason: str,
        audit: AuditRecord,
        now: datetime,
        notices: list[Notification] | None = None,
    ) -> None:
        """R11: the guard of ``idempotency_key`` (with the request's fingerprint), ledger entry, audit, and
        the participant's notice when the operator asked for one.

        Refused with ``AlreadyExists`` if the key was used meanwhile, ``BalanceChanged`` if the balance
        no longer covers a negative change.
        """
        uow = UnitOfWork(self._notices)
        add_guard(uow, idempotency_key, CORRECTION_OPERATION, now, fingerprint)
        changes = Changes(uow)
        changes.balance(participant_id, delta, accrued=0)
        changes.profile(participant_id, adds=[(ParticipantItem.frozen_corrections, delta.frozen)])
        changes.profile(participant_id, adds=[(ParticipantItem.corrected_total, delta.total_change)])
        for condition in _covering(delta):
            changes.profile(participant_id, condition=condition)
        changes.flush()
        add_entry(
            uow,
            participant_id,
            EntryKind.CORRECTION,
            delta,
            now,
            idempotency_key,
            actor_id=actor_id,
            reason=reason,
        )
        add_audit(uow, audit)
        add_notices(uow, notices or [], now)
        commit(uow, _correction_refusal)


def _covering(delta: BalanceDelta) -> list[Condition]:
    """The balance must cover what a correction takes; only frozen points corrections put there may go."""
    conditions: list[Condition] = []
    if delta.frozen < 0:
        conditions.append(ParticipantItem.frozen_corrections >= -delta.frozen)
        conditions.append(ParticipantItem.frozen >= -delta.frozen)
    if delta.available < 0:
        conditions.append(ParticipantItem.available >= -delta.available)
    return conditions
