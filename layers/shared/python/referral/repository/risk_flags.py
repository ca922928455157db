"""Fraud flags and the observations their signals count.

* ``RISK#<flag id>`` / ``RISK``: a flag; while open it sits in the ``RISKS#OPEN`` partition of GSI2.
* ``RISKOPEN#<kind>#<subject>`` / ``OPEN``: names the open flag of a kind and subject, so a signal raised
  again refreshes that flag instead of opening a second one.
* ``RISKOBS#<stream>#<subject>``: timed observations (``<time>#<id>``, expiring) that windowed signals count,
  and counters (``COUNT``) with one marker per counted event (``M#<id>``) so an event counts once.
* ``RISKSET#<name>#<value>`` / ``SET``: who shares a value (payout details' fingerprint, an Ozon ID).

None of this is written inside a money transaction: signals are computed after the write they watch.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pynamodb.attributes import ListAttribute, UnicodeAttribute, UnicodeSetAttribute
from pynamodb.exceptions import PutError

from referral.clock import from_iso, to_iso
from referral.domain.audit import AuditRecord
from referral.domain.risks import MAX_WINDOW_MINUTES, FlagStatus, RiskFlag, RiskKind, Signal
from referral.repository import keys
from referral.repository.administration import add_audit
from referral.repository.changes import get_item, is_condition_failure
from referral.repository.models import Entity, IntegerAttribute
from referral.repository.unit_of_work import CommittedNotices, TransactionConflict, UnitOfWork

RAISE_ATTEMPTS = 3
EVENTS_READ = 1000
"""Most timed observations one count reads: far above any sensible threshold."""
EVENT_KEEP = timedelta(minutes=MAX_WINDOW_MINUTES, days=1)


class RiskFlagItem(Entity, discriminator="risk_flag"):
    """``RISK#<flag id>`` / ``RISK``: a fraud flag, its evidence and how it was resolved."""

    flag_id = UnicodeAttribute()
    kind = UnicodeAttribute()
    subject = UnicodeAttribute()
    participant_ids = ListAttribute[str](of=UnicodeAttribute, default=list)  # type: ignore[arg-type]
    reason = UnicodeAttribute()
    evidence = UnicodeAttribute()
    """JSON object: the ids, counts and window the signal saw when it was last raised."""
    status = UnicodeAttribute()
    raised_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    raised_times = IntegerAttribute(default=1)
    resolved_at = UnicodeAttribute(null=True)
    resolved_by = UnicodeAttribute(null=True)
    note = UnicodeAttribute(null=True)


class RiskOpenItem(Entity, discriminator="risk_open"):
    """``RISKOPEN#<kind>#<subject>`` / ``OPEN``: the open flag of a kind and subject (none when resolved)."""

    flag_id = UnicodeAttribute(null=True)


class RiskEventItem(Entity, discriminator="risk_event"):
    """``RISKOBS#<stream>#<subject>`` / ``<time>#<id>``: one observation a windowed signal counts."""

    event_id = UnicodeAttribute()


class RiskCounterItem(Entity, discriminator="risk_counter"):
    """``RISKOBS#<stream>#<subject>`` / ``COUNT`` (and a ``M#<id>`` marker per event counted)."""

    total = IntegerAttribute(default=0)


class RiskSetItem(Entity, discriminator="risk_set"):
    """``RISKSET#<name>#<value>`` / ``SET``: the participants sharing a value."""

    members = UnicodeSetAttribute(null=True)


@dataclass(frozen=True, slots=True)
class Counts:
    count: int = 0


def to_flag(item: RiskFlagItem) -> RiskFlag:
    return RiskFlag(
        flag_id=item.flag_id,
        kind=RiskKind(item.kind),
        subject=item.subject,
        participant_ids=tuple(item.participant_ids or ()),
        reason=item.reason,
        evidence=json.loads(item.evidence),
        status=FlagStatus(item.status),
        raised_at=from_iso(item.raised_at),
        updated_at=from_iso(item.updated_at),
        resolved_at=from_iso(item.resolved_at) if item.resolved_at else None,
        resolved_by=item.resolved_by,
        note=item.note,
        raised_times=item.raised_times or 1,
    )


class RiskFlagRepository:
    def __init__(self, notices: CommittedNotices | None = None) -> None:
        self.notices = notices

    # --- observations ---------------------------------------------------------------------------------

    def observe_timed(
        self, stream: str, subject: str, event_id: str, at: datetime, since: datetime
    ) -> list[str]:
        """Record an observation at ``at``; the ids observed from ``since`` to ``at``, each once."""
        stamp = to_iso(at)
        RiskEventItem(
            keys.risk_events_pk(stream, subject),
            keys.dated(stamp, event_id),
            event_id=event_id,
            expires_at=at + EVENT_KEEP,
        ).save()
        low, high = keys.dated(to_iso(since), ""), keys.until(stamp)
        seen = RiskEventItem.query(
            keys.risk_events_pk(stream, subject),
            RiskEventItem.sk.between(low, high),
            limit=EVENTS_READ,
        )
        return list(dict.fromkeys(item.event_id for item in seen))

    @staticmethod
    def referrals_since(sponsor_id: str, since: datetime) -> list[str]:
        """Who registered under ``sponsor_id`` from ``since`` on: one Query of the referrals index."""
        answer = Entity._get_connection().query(
            keys.sponsor_gsi(sponsor_id),
            range_key_condition=Entity.gsi1sk >= keys.dated(to_iso(since), ""),
            index_name="GSI1",
            limit=EVENTS_READ,
            attributes_to_get=["GSI1SK"],
        )
        return [item["GSI1SK"]["S"].rsplit("#", 1)[-1] for item in answer.get("Items", [])]

    @staticmethod
    def count_once(stream: str, subject: str, event_id: str) -> Counts:
        """Count ``event_id`` once (a repeat changes nothing); the counter as it stands after.

        The marker and the counter are two single-item writes, not a transaction: a failure between them
        leaves the event uncounted, which a signal can afford; it never counts twice.
        """
        pk = keys.risk_events_pk(stream, subject)
        marker = RiskEventItem(pk, keys.risk_marker_sk(event_id), event_id=event_id)
        try:
            marker.save(condition=RiskEventItem.pk.does_not_exist())
        except PutError as error:
            if not is_condition_failure(error):
                raise
        else:
            RiskCounterItem(pk, keys.RISK_COUNT_SK).update(actions=[RiskCounterItem.total.add(1)])
        return RiskFlagRepository.counts(stream, subject)

    @staticmethod
    def counts(stream: str, subject: str) -> Counts:
        item = get_item(RiskCounterItem, keys.risk_events_pk(stream, subject), keys.RISK_COUNT_SK)
        return Counts(item.total or 0) if item else Counts()

    @staticmethod
    def join_set(name: str, value: str, member: str) -> list[str]:
        """Add ``member`` to the set of who shares ``value``; everyone in it now."""
        item = RiskSetItem(keys.risk_set_pk(name, value), keys.RISK_SET_SK)
        item.update(actions=[RiskSetItem.members.add({member})])
        return sorted(item.members or ())

    # --- flags ------------------------------------------------------------------------------------------

    def get_flag(self, flag_id: str) -> RiskFlag | None:
        item = get_item(RiskFlagItem, keys.risk_flag_pk(flag_id), keys.RISK_SK)
        return to_flag(item) if item else None

    def raise_signal(self, signal: Signal, now: datetime) -> RiskFlag:
        """Open a flag for the signal, or refresh the evidence of the one open for its kind and subject."""
        for _ in range(RAISE_ATTEMPTS):
            pointer = get_item(
                RiskOpenItem, keys.risk_open_pk(signal.kind, signal.subject), keys.RISK_OPEN_SK
            )
            if pointer is not None and pointer.flag_id:
                refreshed = self._refresh(pointer.flag_id, signal, now)
                if refreshed is not None:
                    return refreshed
                continue  # resolved meanwhile: open a new one
            opened = self._open(signal, now)
            if opened is not None:
                return opened
        raise TransactionConflict(["risk_open"], ["ConditionalCheckFailed"])

    def _open(self, signal: Signal, now: datetime) -> RiskFlag | None:
        flag_id = uuid.uuid4().hex[:20]
        stamp = to_iso(now)
        item = RiskFlagItem(
            keys.risk_flag_pk(flag_id),
            keys.RISK_SK,
            flag_id=flag_id,
            kind=signal.kind.value,
            subject=signal.subject,
            participant_ids=list(signal.participant_ids),
            reason=signal.reason,
            evidence=json.dumps(signal.evidence, sort_keys=True),
            status=FlagStatus.OPEN.value,
            raised_at=stamp,
            updated_at=stamp,
            raised_times=1,
            gsi2pk=keys.RISKS_OPEN_FEED,
            gsi2sk=keys.dated(stamp, flag_id),
        )
        pointer = RiskOpenItem(
            keys.risk_open_pk(signal.kind, signal.subject), keys.RISK_OPEN_SK, flag_id=flag_id
        )
        uow = UnitOfWork(self.notices)
        uow.put(
            "risk_open", pointer, RiskOpenItem.pk.does_not_exist() | RiskOpenItem.flag_id.does_not_exist()
        )
        uow.create("risk_flag", item)
        try:
            uow.commit()
        except TransactionConflict:
            return None
        return to_flag(item)

    def _refresh(self, flag_id: str, signal: Signal, now: datetime) -> RiskFlag | None:
        item = RiskFlagItem(keys.risk_flag_pk(flag_id), keys.RISK_SK)
        uow = UnitOfWork(self.notices)
        uow.update(
            "risk_flag",
            item,
            [
                RiskFlagItem.participant_ids.set(list(signal.participant_ids)),
                RiskFlagItem.reason.set(signal.reason),
                RiskFlagItem.evidence.set(json.dumps(signal.evidence, sort_keys=True)),
                RiskFlagItem.updated_at.set(to_iso(now)),
                RiskFlagItem.raised_times.add(1),
            ],
            RiskFlagItem.status == FlagStatus.OPEN.value,
        )
        try:
            uow.commit()
        except TransactionConflict:
            return None
        return self.get_flag(flag_id)

    def commit_resolution(
        self, flag: RiskFlag, actor_id: str, note: str, audit: AuditRecord, now: datetime
    ) -> bool:
        """Resolve an open flag with its audit record, exactly once: False when it was resolved already."""
        uow = UnitOfWork(self.notices)
        uow.update(
            "risk_flag",
            RiskFlagItem(keys.risk_flag_pk(flag.flag_id), keys.RISK_SK),
            [
                RiskFlagItem.status.set(FlagStatus.RESOLVED.value),
                RiskFlagItem.resolved_at.set(to_iso(now)),
                RiskFlagItem.resolved_by.set(actor_id),
                RiskFlagItem.note.set(note),
                RiskFlagItem.updated_at.set(to_iso(now)),
                RiskFlagItem.gsi2pk.remove(),
                RiskFlagItem.gsi2sk.remove(),
            ],
            RiskFlagItem.status == FlagStatus.OPEN.value,
        )
        uow.update(
            "risk_open",
            RiskOpenItem(keys.risk_open_pk(flag.kind, flag.subject), keys.RISK_OPEN_SK),
            [RiskOpenItem.flag_id.remove()],
        )
        add_audit(uow, audit)
        try:
            uow.commit()
        except TransactionConflict as conflict:
            if conflict.failed_on("risk_flag"):
                return False
            raise
        return True


def evidence_text(evidence: dict[str, Any]) -> str:
    return json.dumps(evidence, sort_keys=True, ensure_ascii=False)
