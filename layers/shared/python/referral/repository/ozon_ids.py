"""Stored Ozon IDs re-spelt in their canonical form (``domain.participants.canonical_ozon_id``).

Registrations made before IDs were canonical may hold "00123" or "１２３"; then "123" could be claimed a
second time and the sync would not match a buyer to them. ``plan`` reads every participant and Ozon
identity once (a Scan) and ``apply`` re-spells each one alone in a transaction conditioned on what was
read. Participants whose IDs become equal are reported as collisions and left as they are: which of them
keeps the ID is an operator's decision. Running it again finds nothing more to do.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from pynamodb.connection import Connection
from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactWrite

from referral.domain.participants import canonical_ozon_id
from referral.repository import keys
from referral.repository.models import Entity, OzonIdentityItem, ParticipantItem


@dataclass(frozen=True, slots=True)
class Respelling:
    """One participant's Ozon ID as stored and as it becomes."""

    participant_id: str
    stored: str
    canonical: str


@dataclass(frozen=True, slots=True)
class Collision:
    """Participants whose stored IDs are one Ozon ID: ``(participant id, stored spelling)`` each."""

    canonical: str
    participants: tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class OrphanRespelling:
    """A buyer the sync remembered (no participant) under a spelling that is not canonical."""

    stored: str
    canonical: str
    first_purchase_at: str | None


@dataclass
class MigrationPlan:
    respellings: list[Respelling] = field(default_factory=list)
    orphans: list[OrphanRespelling] = field(default_factory=list)
    collisions: list[Collision] = field(default_factory=list)
    unreadable: list[tuple[str, str]] = field(default_factory=list)
    """Participants whose stored value is no Ozon ID at all: ``(participant id, stored)``; left alone."""
    participants_read: int = 0


def plan() -> MigrationPlan:
    """What a migration would change, from one Scan of the participants and Ozon identities."""
    participants: list[ParticipantItem] = []
    identities: dict[str, OzonIdentityItem] = {}
    for item in Entity.scan():
        if isinstance(item, ParticipantItem):
            participants.append(item)
        elif isinstance(item, OzonIdentityItem):
            identities[item.ozon_id] = item
    result = MigrationPlan(participants_read=len(participants))
    groups: dict[str, list[ParticipantItem]] = defaultdict(list)
    for participant in participants:
        canonical = canonical_ozon_id(participant.ozon_id)
        if canonical is None:
            result.unreadable.append((participant.participant_id, participant.ozon_id))
        else:
            groups[canonical].append(participant)
    for canonical, owners in sorted(groups.items()):
        claimed = identities.get(canonical)
        claimant = claimed.participant_id if claimed is not None else None
        if len(owners) > 1 or (claimant is not None and claimant != owners[0].participant_id):
            spellings = {(p.participant_id, p.ozon_id) for p in owners}
            if claimant is not None and claimant not in {p.participant_id for p in owners}:
                spellings.add((claimant, canonical))
            result.collisions.append(Collision(canonical, tuple(sorted(spellings))))
        elif owners[0].ozon_id != canonical:
            owner = owners[0]
            result.respellings.append(Respelling(owner.participant_id, owner.ozon_id, canonical))
    result.orphans = _orphans(identities)
    return result


def _orphans(identities: dict[str, OzonIdentityItem]) -> list[OrphanRespelling]:
    found: list[OrphanRespelling] = []
    for stored, item in sorted(identities.items()):
        canonical = canonical_ozon_id(stored)
        if item.participant_id is None and canonical is not None and canonical != stored:
            found.append(OrphanRespelling(stored, canonical, item.first_purchase_at))
    return found


def apply(migration: MigrationPlan) -> None:
    """Re-spell what ``migration`` found, one transaction each, each conditioned on what was read."""
    for respelling in migration.respellings:
        _respell_participant(respelling)
    for orphan in migration.orphans:
        _respell_orphan(orphan)


def _connection() -> Connection:
    return Entity._get_connection().connection


def _respell_participant(change: Respelling) -> None:
    """The participant, its identity under the canonical key (first purchase kept) and the old one gone."""
    old = _identity(change.stored)
    merged = _earliest(old.first_purchase_at if old else None, _first_purchase(change.canonical))
    actions: list[Action] = [
        OzonIdentityItem.entity_type.set(OzonIdentityItem),
        OzonIdentityItem.ozon_id.set(change.canonical),
        OzonIdentityItem.participant_id.set(change.participant_id),
    ]
    if old is not None and old.claimed_at:
        actions.append(OzonIdentityItem.claimed_at.set(old.claimed_at))
    if merged:
        actions.append(OzonIdentityItem.first_purchase_at.set(merged))
    with TransactWrite(connection=_connection()) as transaction:
        transaction.update(
            ParticipantItem(keys.participant_pk(change.participant_id), keys.PROFILE),
            [ParticipantItem.ozon_id.set(change.canonical)],
            condition=ParticipantItem.ozon_id == change.stored,
        )
        transaction.update(
            OzonIdentityItem(keys.ozon_pk(change.canonical), keys.OZON_SK),
            actions,
            condition=OzonIdentityItem.participant_id.does_not_exist()
            | (OzonIdentityItem.participant_id == change.participant_id),
        )
        if old is not None:
            transaction.delete(old, condition=OzonIdentityItem.participant_id == change.participant_id)


def _respell_orphan(change: OrphanRespelling) -> None:
    """A remembered buyer moves to the canonical key; the earlier of two first purchases is kept."""
    merged = _earliest(change.first_purchase_at, _first_purchase(change.canonical))
    actions: list[Action] = [
        OzonIdentityItem.entity_type.set(OzonIdentityItem),
        OzonIdentityItem.ozon_id.set(change.canonical),
    ]
    if merged:
        actions.append(OzonIdentityItem.first_purchase_at.set(merged))
    with TransactWrite(connection=_connection()) as transaction:
        transaction.update(OzonIdentityItem(keys.ozon_pk(change.canonical), keys.OZON_SK), actions)
        transaction.delete(
            OzonIdentityItem(keys.ozon_pk(change.stored), keys.OZON_SK),
            condition=OzonIdentityItem.participant_id.does_not_exist(),
        )


def _identity(ozon_id: str) -> OzonIdentityItem | None:
    try:
        return OzonIdentityItem.get(keys.ozon_pk(ozon_id), keys.OZON_SK, consistent_read=True)
    except OzonIdentityItem.DoesNotExist:
        return None


def _first_purchase(ozon_id: str) -> str | None:
    found = _identity(ozon_id)
    return found.first_purchase_at if found is not None else None


def _earliest(*moments: str | None) -> str | None:
    known = [moment for moment in moments if moment]
    return min(known) if known else None
