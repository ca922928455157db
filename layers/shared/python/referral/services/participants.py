"""Registration (R1–R4), opening referral links, and what participants see about themselves."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from referral.clock import utcnow
from referral.domain.audit import AuditRecord, Change
from referral.domain.links import Link, LinkKind, LinkOpenOutcome, is_valid_code, new_code
from referral.domain.notifications import Notification, NotificationKind, draft
from referral.domain.participants import (
    NetworkLevel,
    Participant,
    SponsorOutcome,
    TelegramProfile,
    decide_sponsor,
    normalize_ozon_id,
)
from referral.domain.referral_tree import chain_under
from referral.errors import (
    AlreadyExists,
    AlreadyRegistered,
    Conflict,
    NotFound,
    OzonIdTaken,
    ParticipantsChanged,
)
from referral.repository.links import LinkRepository
from referral.repository.participants import ParticipantRepository
from referral.services.risks import RiskService
from referral.services.settings import SettingsService

CODE_ATTEMPTS = 3


@dataclass(frozen=True, slots=True)
class LinkOpened:
    outcome: LinkOpenOutcome
    link: Link | None = None


@dataclass(frozen=True, slots=True)
class Registration:
    participant: Participant
    outcome: SponsorOutcome
    product_link: Link | None = None
    """Set when the newcomer came by a product link: the bot shows that product."""


class ParticipantService:
    def __init__(
        self,
        participants: ParticipantRepository | None = None,
        links: LinkRepository | None = None,
        settings: SettingsService | None = None,
        *,
        clock: Callable[[], datetime] = utcnow,
        risks: RiskService | None = None,
    ) -> None:
        self.participants = participants or ParticipantRepository()
        self.links = links or LinkRepository()
        self.settings = settings or SettingsService()
        self.clock = clock
        self.risks = risks

    def get(self, participant_id: str) -> Participant:
        participant = self.participants.get_participant(participant_id)
        if participant is None:
            raise NotFound(
                "Participant not found.",
                details={"participant_id": participant_id},
                reason="participant_not_found",
            )
        return participant

    def find(self, participant_id: str) -> Participant | None:
        return self.participants.get_participant(participant_id)

    def open_link(self, code: str, user_id: str) -> LinkOpened:
        """A deep link was opened. Counts the click (R2: also for registered participants)."""
        link = self.links.get_link(code) if is_valid_code(code) else None
        if link is None:
            return LinkOpened(LinkOpenOutcome.UNKNOWN)
        if link.owner_id == user_id:
            return LinkOpened(LinkOpenOutcome.OWN_LINK, link)
        self.links.count_click(code)
        if self.participants.get_participant(user_id) is not None:
            return LinkOpened(LinkOpenOutcome.ALREADY_REGISTERED, link)
        return LinkOpened(LinkOpenOutcome.NEWCOMER, link)

    def register(self, profile: TelegramProfile, ozon_id: str, code: str | None = None) -> Registration:
        """Create a participant with their personal link; attach to the link's owner when allowed."""
        ozon = normalize_ozon_id(ozon_id)
        code = code if code and is_valid_code(code) else None
        existing, identity, link = self.participants.registration_context(profile.user_id, ozon, code)
        if existing is not None:
            raise AlreadyRegistered("You are already registered in the program.")
        if identity is not None and identity.participant_id is not None:
            if self.risks is not None:
                self.risks.ozon_id_contested(identity.participant_id, profile.user_id, ozon)
            raise OzonIdTaken("This Ozon ID is already used by another participant.")
        sponsor = self.participants.get_participant(link.owner_id) if link is not None else None
        sponsor, outcome = decide_sponsor(
            link_owner=link.owner_id if link else None,
            link_given=code is not None,
            sponsor=sponsor,
            bought_before=identity is not None and identity.first_purchase_at is not None,
            settings=self.settings.current(),
        )
        now = self.clock()
        joined_via = link.code if (sponsor and link) else None
        for _ in range(CODE_ATTEMPTS):
            personal = Link(code=new_code(), owner_id=profile.user_id, kind=LinkKind.PERSONAL, created_at=now)
            participant = _newcomer(profile, ozon, now, sponsor, joined_via, personal.code)
            try:
                self.participants.commit_registration(
                    participant,
                    personal,
                    joined_via,
                    _welcome_notices(participant, sponsor),
                    sponsor.ancestors if sponsor else (),
                )
            except ParticipantsChanged as changed:
                if sponsor is None or sponsor.id not in changed.participants:
                    raise
                # The sponsor was moved meanwhile (R12): copy its new chain.
                sponsor = self.participants.get_participant(sponsor.id) or sponsor
                continue
            except AlreadyExists:
                continue  # the new personal link's code is taken: draw another
            if self.risks is not None:
                self.risks.registered(participant)
            product = link if (link is not None and link.kind == LinkKind.PRODUCT) else None
            return Registration(participant, outcome, product)
        raise Conflict("Registration could not be completed, please try again.", reason="busy_retry")

    def network(self, participant_id: str) -> dict[int, NetworkLevel]:
        """Own purchases (level 0) and each network level's size, purchases and points earned."""
        return self.participants.network_levels(participant_id)

    def direct_referrals(self, participant_id: str) -> list[Participant]:
        return list(self.participants.all_referrals_of(participant_id))

    def set_blocked(
        self, actor_id: str, participant_id: str, blocked: bool, reason: str | None = None
    ) -> None:
        """R9/R11: blocked participants earn nothing new and cannot withdraw; the change is audited."""
        participant = self.get(participant_id)
        if participant.blocked == blocked:
            return
        audit = AuditRecord(
            audit_id=uuid.uuid4().hex,
            actor_id=actor_id,
            action="participant.block" if blocked else "participant.unblock",
            object_type="participant",
            object_id=participant_id,
            object_name=participant.profile.display_name,
            created_at=self.clock(),
            changes=(Change("blocked", str(participant.blocked).lower(), str(blocked).lower()),),
            reason=reason,
        )
        self.participants.commit_block(participant_id, blocked, audit)


def _newcomer(
    profile: TelegramProfile,
    ozon_id: str,
    now: datetime,
    sponsor: Participant | None,
    joined_via: str | None,
    personal_code: str,
) -> Participant:
    """The participant a registration creates, its chain copied from the sponsor's as read."""
    return Participant(
        profile=profile,
        ozon_id=ozon_id,
        registered_at=now,
        sponsor_id=sponsor.id if sponsor else None,
        ancestors=chain_under(sponsor.id, sponsor.ancestors) if sponsor else (),
        joined_via=joined_via,
        personal_code=personal_code,
    )


def _welcome_notices(participant: Participant, sponsor: Participant | None) -> list[Notification]:
    """The sponsor hears of their new referral, in the registration's own transaction."""
    if sponsor is None:
        return []
    return [
        draft(
            NotificationKind.NEW_REFERRAL,
            sponsor.id,
            (participant.id,),
            referral_name=participant.profile.display_name,
            referral_username=participant.profile.username,
        )
    ]
