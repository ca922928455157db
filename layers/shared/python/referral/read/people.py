"""Who the ids on a page are: participants and operators by name and @username, read in batches.

A listing page names at most a few hundred people (its participants, the operators who acted, the
objects of journal records). Their profiles and admin records are read together with PynamoDB's
``batch_get`` (BatchGetItem, 100 keys a request), in at most two rounds: the first reads every key the
page names; the second, only for journal records about withdrawal requests, the profiles of those
requests' participants. A page of 50 rows thus costs at most 2 BatchGetItem requests in the first
round and 1 in the second, whatever the table size.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from referral.read.views import AuditView, LedgerEntryView, WithdrawalView
from referral.repository import keys
from referral.repository.models import AdminItem, Entity, ParticipantItem, WithdrawalItem


@dataclass(frozen=True, slots=True)
class Person:
    """Someone a page shows: the id, and the name and @username where they are known."""

    id: str
    name: str | None = None
    username: str | None = None


@dataclass(frozen=True)
class People:
    """Participants, operators and withdrawal requests' owners that one page names, by id."""

    participants: dict[str, Person] = field(default_factory=dict)
    operators: dict[str, Person] = field(default_factory=dict)
    request_owners: dict[str, Person] = field(default_factory=dict)
    """Withdrawal request id → its participant."""

    def participant(self, participant_id: str | None) -> Person | None:
        if not participant_id:
            return None
        return self.participants.get(participant_id) or Person(participant_id)

    def operator(self, telegram_id: str | None) -> Person | None:
        if not telegram_id:
            return None
        return self.operators.get(telegram_id) or self.participants.get(telegram_id) or Person(telegram_id)

    def object_person(self, object_type: str, object_id: str) -> Person | None:
        """The person a journal record is about: the participant, the request's participant, the admin."""
        if object_type == "participant":
            return self.participant(object_id)
        if object_type == "withdrawal":
            return self.request_owners.get(object_id)
        if object_type == "admin":
            return self.operator(object_id)
        return None


def _admin_person(item: AdminItem) -> Person:
    name = item.name or None
    if name and name.startswith("@"):
        return Person(item.telegram_id, None, name[1:])
    return Person(item.telegram_id, name, None)


def _read(wanted: Iterable[tuple[str, str]]) -> list[Entity]:
    """One BatchGetItem per 100 distinct keys; whatever the keys name (profiles, admins, requests)."""
    unique = list(dict.fromkeys(wanted))
    return list(Entity.batch_get(unique)) if unique else []


def resolve(
    participant_ids: Iterable[str | None] = (),
    operator_ids: Iterable[str | None] = (),
    withdrawal_ids: Iterable[str | None] = (),
) -> People:
    """Names of participants, operators and requests' owners (at most two rounds of BatchGetItem)."""
    wanted_participants = {i for i in participant_ids if i}
    wanted_operators = {i for i in operator_ids if i}
    wanted_requests = {i for i in withdrawal_ids if i}
    found = _read(
        [(keys.participant_pk(i), keys.PROFILE) for i in sorted(wanted_participants)]
        + [(keys.admin_pk(i), keys.ADMIN_SK) for i in sorted(wanted_operators)]
        + [(keys.withdrawal_pk(i), keys.WITHDRAWAL_SK) for i in sorted(wanted_requests)]
    )
    people = People()
    owners: dict[str, str] = {}
    for item in found:
        if isinstance(item, ParticipantItem):
            people.participants[item.participant_id] = _participant(item)
        elif isinstance(item, AdminItem):
            people.operators[item.telegram_id] = _admin_person(item)
        elif isinstance(item, WithdrawalItem):
            owners[item.withdrawal_id] = item.participant_id
    missing = sorted(set(owners.values()) - set(people.participants))
    for item in _read((keys.participant_pk(i), keys.PROFILE) for i in missing):
        if isinstance(item, ParticipantItem):
            people.participants[item.participant_id] = _participant(item)
    for request_id, owner in owners.items():
        people.request_owners[request_id] = people.participants.get(owner) or Person(owner)
    return people


def _participant(item: ParticipantItem) -> Person:
    name = " ".join(part for part in (item.first_name, item.last_name) if part) or None
    return Person(item.participant_id, name, item.username or None)


def for_ledger(entries: Iterable[LedgerEntryView]) -> People:
    rows = list(entries)
    return resolve((e.participant_id for e in rows), (e.actor_id for e in rows))


def for_withdrawals(requests: Iterable[WithdrawalView]) -> People:
    return resolve(r.participant_id for r in requests)


def for_actions(records: Iterable[AuditView]) -> People:
    rows = list(records)
    return resolve(
        (r.object_id for r in rows if r.object_type == "participant"),
        [r.actor_id for r in rows] + [r.object_id for r in rows if r.object_type == "admin"],
        (r.object_id for r in rows if r.object_type == "withdrawal"),
    )
