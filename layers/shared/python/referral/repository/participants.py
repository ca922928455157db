"""Participants: profiles, Ozon identities, registration (R1–R4) and blocking."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from referral.clock import month_of, to_iso
from referral.domain.audit import AuditRecord
from referral.domain.links import Link
from referral.domain.notifications import Notification
from referral.domain.participants import NetworkLevel, Participant
from referral.errors import AlreadyExists, AlreadyRegistered, DomainError, OzonIdTaken
from referral.repository import keys, mapping
from referral.repository.administration import add_audit
from referral.repository.changes import (
    Changes,
    Page,
    commit,
    get_item,
    participants_changed,
    profile_label,
    touches_participants,
)
from referral.repository.links import link_item, link_ref
from referral.repository.models import (
    Entity,
    LinkItem,
    NetworkLevelItem,
    OzonIdentityItem,
    ParticipantItem,
)
from referral.repository.outbox import add_notices
from referral.repository.unit_of_work import CommittedNotices, TransactionConflict, UnitOfWork

PARTICIPANT = "participant"
OZON_ID = "ozon_id"
PERSONAL_LINK = "personal_link"
VIA_LINK = "via_link"


@dataclass(frozen=True, slots=True)
class OzonIdentity:
    ozon_id: str
    participant_id: str | None
    first_purchase_at: str | None


def list_keys(
    participant_id: str, first_name: str | None, last_name: str | None, username: str | None
) -> dict[str, Any]:
    """The sort attributes a new participant starts with (the P_* indexes of the admin lists)."""
    return {
        "plist": keys.PARTICIPANT_LIST,
        "sort_id": keys.sort_id(participant_id),
        "sort_name": keys.sort_name(participant_id, first_name, last_name, username),
        "sort_username": keys.sort_username(participant_id, username),
        "sort_last_order": keys.NO_ORDER_YET,
        "balance": 0,
        "network_orders": 0,
        "network_amount": Decimal(0),
    }


def _registration_refusal(conflict: TransactionConflict) -> DomainError:
    if conflict.failed_on(PARTICIPANT):
        return AlreadyRegistered("You are already registered in the program.")
    if conflict.failed_on(OZON_ID):
        return OzonIdTaken("This Ozon ID is already used by another participant.")
    if touches_participants(conflict):
        return participants_changed(conflict)
    if conflict.failed_on(PERSONAL_LINK):
        return AlreadyExists("The new link's code is taken.", reason="link_code_taken")
    return conflict


def participant_ref(participant_id: str) -> ParticipantItem:
    """The key of a participant's profile, for updates."""
    return ParticipantItem(keys.participant_pk(participant_id), keys.PROFILE)


class ParticipantRepository:
    """Profiles, identities and registration."""

    def __init__(self, notices: CommittedNotices | None = None) -> None:
        self._notices = notices

    list_keys = staticmethod(list_keys)

    def get_participant(self, participant_id: str) -> Participant | None:
        item = get_item(ParticipantItem, keys.participant_pk(participant_id), keys.PROFILE)
        return mapping.participant(item) if item else None

    def get_participants(self, participant_ids: Iterable[str]) -> dict[str, Participant]:
        wanted = {(keys.participant_pk(pid), keys.PROFILE) for pid in participant_ids}
        found: dict[str, Participant] = {}
        if wanted:
            for item in ParticipantItem.batch_get(list(wanted)):
                found[item.participant_id] = mapping.participant(item)
        return found

    def registration_context(
        self, user_id: str, ozon_id: str, code: str | None
    ) -> tuple[Participant | None, OzonIdentity | None, Link | None]:
        """One batch read of everything a registration decides on (except the sponsor's chain)."""
        wanted = [(keys.participant_pk(user_id), keys.PROFILE), (keys.ozon_pk(ozon_id), keys.OZON_SK)]
        if code:
            wanted.append((keys.link_pk(code), keys.LINK_SK))
        participant = identity = link = None
        for item in Entity.batch_get(wanted):
            if isinstance(item, ParticipantItem):
                participant = mapping.participant(item)
            elif isinstance(item, OzonIdentityItem):
                identity = OzonIdentity(item.ozon_id, item.participant_id, item.first_purchase_at)
            elif isinstance(item, LinkItem):
                link = mapping.link(item)
        return participant, identity, link

    def get_ozon_identity(self, ozon_id: str) -> OzonIdentity | None:
        item = get_item(OzonIdentityItem, keys.ozon_pk(ozon_id), keys.OZON_SK)
        return OzonIdentity(item.ozon_id, item.participant_id, item.first_purchase_at) if item else None

    def commit_registration(
        self,
        participant: Participant,
        personal_link: Link,
        via_link: str | None,
        notifications: list[Notification],
        sponsor_chain: tuple[str, ...] = (),
    ) -> None:
        """A new participant, their personal link and Ozon ID, and the counters of their ancestors.

        ``sponsor_chain`` is the sponsor's chain as read (the newcomer's is copied from it): the sponsor
        is conditioned on it, so a move of the sponsor meanwhile (R12) fails this transaction with
        ``ParticipantsChanged`` naming the sponsor instead of leaving the newcomer a stale chain. Also
        refused: ``AlreadyRegistered``, ``OzonIdTaken``, ``AlreadyExists`` (the new link's code is taken).
        """
        uow = UnitOfWork(self._notices)
        uow.create(PARTICIPANT, _participant_item(participant, via_link, personal_link.code))
        self._claim_ozon_id(uow, participant)
        uow.create(PERSONAL_LINK, link_item(personal_link))
        if via_link and participant.sponsor_id:
            uow.update(VIA_LINK, link_ref(via_link), [LinkItem.registrations.add(1)], LinkItem.pk.exists())
        changes = Changes(uow)
        for level, ancestor in enumerate(participant.ancestors, start=1):
            changes.profile(
                ancestor,
                adds=[
                    (ParticipantItem.network_size, 1),
                    (ParticipantItem.direct_referrals, 1 if level == 1 else 0),
                ],
                condition=ParticipantItem.ancestors == list(sponsor_chain) if level == 1 else None,
            )
            changes.level(ancestor, level, referrals=1)
        changes.flush()
        add_notices(uow, notifications, participant.registered_at)
        commit(uow, _registration_refusal)

    @staticmethod
    def _claim_ozon_id(uow: UnitOfWork, participant: Participant) -> None:
        uow.update(
            OZON_ID,
            OzonIdentityItem(keys.ozon_pk(participant.ozon_id), keys.OZON_SK),
            [
                OzonIdentityItem.entity_type.set(OzonIdentityItem),
                OzonIdentityItem.ozon_id.set(participant.ozon_id),
                OzonIdentityItem.participant_id.set(participant.id),
                OzonIdentityItem.claimed_at.set(to_iso(participant.registered_at)),
            ],
            OzonIdentityItem.participant_id.does_not_exist(),
        )

    def referrals_of(
        self, sponsor_id: str | None, limit: int = 100, cursor: dict[str, Any] | None = None
    ) -> Page[Participant]:
        result = Entity.by_owner.query(
            keys.sponsor_gsi(sponsor_id), limit=limit, last_evaluated_key=cursor, scan_index_forward=True
        )
        items = [mapping.participant(item) for item in result if isinstance(item, ParticipantItem)]
        return Page(items, result.last_evaluated_key)

    def all_referrals_of(self, sponsor_id: str) -> Iterator[Participant]:
        for item in Entity.by_owner.query(keys.sponsor_gsi(sponsor_id)):
            if isinstance(item, ParticipantItem):
                yield mapping.participant(item)

    def network_levels(self, participant_id: str) -> dict[int, NetworkLevel]:
        items = NetworkLevelItem.query(
            keys.participant_pk(participant_id), NetworkLevelItem.sk.startswith(keys.NETWORK_PREFIX)
        )
        return {item.level: mapping.network_level(item) for item in items}

    def commit_block(self, participant_id: str, blocked: bool, audit: AuditRecord) -> None:
        uow = UnitOfWork(self._notices)
        uow.update(
            profile_label(participant_id),
            participant_ref(participant_id),
            [ParticipantItem.blocked.set(blocked)],
            ParticipantItem.pk.exists(),
        )
        add_audit(uow, audit)
        commit(uow, participants_changed)


def _participant_item(participant: Participant, via_link: str | None, personal_code: str) -> ParticipantItem:
    now = to_iso(participant.registered_at)
    profile = participant.profile
    return ParticipantItem(
        keys.participant_pk(participant.id),
        keys.PROFILE,
        participant_id=participant.id,
        username=profile.username,
        first_name=profile.first_name,
        last_name=profile.last_name,
        language_code=profile.language_code,
        ozon_id=participant.ozon_id,
        sponsor_id=participant.sponsor_id,
        ancestors=list(participant.ancestors),
        joined_via=via_link,
        personal_code=personal_code,
        registered_at=now,
        gsi1pk=keys.sponsor_gsi(participant.sponsor_id),
        gsi1sk=keys.dated(now, participant.id),
        gsi2pk=keys.feed_pk(keys.FEED_PARTICIPANTS, month_of(participant.registered_at)),
        gsi2sk=keys.dated(now, participant.id),
        **list_keys(participant.id, profile.first_name, profile.last_name, profile.username),
    )
