"""Registration (R1–R4), opening referral links, and what participants see about themselves."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from referral.clock import utcnow
from referral.domain.audit import AuditRecord, Change
from referral.domain.links import Link, LinkKind, LinkOpenOutcome, is_valid_code, new_code
from referral.domain.notifications import NotificationKind, draft
from referral.domain.participants import (
    NetworkLevel,
    Participant,
    SponsorOutcome,
    TelegramProfile,
    decide_sponsor,
    normalize_ozon_id,
)
from referral.domain.referral_tree import chain_under
from referral.errors import AlreadyRegistered, Conflict, NotFound, OzonIdTaken
from referral.repository.store import Store
from referral.repository.unit_of_work import TransactionConflict
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
        store: Store | None = None,
        settings: SettingsService | None = None,
        *,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.store = store or Store()
        self.settings = settings or SettingsService(self.store)
        self.clock = clock

    def get(self, participant_id: str) -> Participant:
        participant = self.store.get_participant(participant_id)
        if participant is None:
            raise NotFound(
                "Participant not found.",
                details={"participant_id": participant_id},
                reason="participant_not_found",
            )
        return participant

    def find(self, participant_id: str) -> Participant | None:
        return self.store.get_participant(participant_id)

    def open_link(self, code: str, user_id: str) -> LinkOpened:
        """A deep link was opened. Counts the click (R2: also for registered participants)."""
        link = self.store.get_link(code) if is_valid_code(code) else None
        if link is None:
            return LinkOpened(LinkOpenOutcome.UNKNOWN)
        if link.owner_id == user_id:
            return LinkOpened(LinkOpenOutcome.OWN_LINK, link)
        self.store.count_click(code)
        if self.store.get_participant(user_id) is not None:
            return LinkOpened(LinkOpenOutcome.ALREADY_REGISTERED, link)
        return LinkOpened(LinkOpenOutcome.NEWCOMER, link)

    def register(self, profile: TelegramProfile, ozon_id: str, code: str | None = None) -> Registration:
        """Create a participant with their personal link; attach to the link's owner when allowed."""
        ozon = normalize_ozon_id(ozon_id)
        code = code if code and is_valid_code(code) else None
        existing, identity, link = self.store.registration_context(profile.user_id, ozon, code)
        if existing is not None:
            raise AlreadyRegistered("You are already registered in the program.")
        if identity is not None and identity.participant_id is not None:
            raise OzonIdTaken("This Ozon ID is already used by another participant.")
        sponsor = self.store.get_participant(link.owner_id) if link is not None else None
        sponsor, outcome = decide_sponsor(
            link_owner=link.owner_id if link else None,
            link_given=code is not None,
            sponsor=sponsor,
            bought_before=identity is not None and identity.first_purchase_at is not None,
            settings=self.settings.current(),
        )
        now = self.clock()
        for _ in range(CODE_ATTEMPTS):
            personal = Link(code=new_code(), owner_id=profile.user_id, kind=LinkKind.PERSONAL, created_at=now)
            participant = Participant(
                profile=profile,
                ozon_id=ozon,
                registered_at=now,
                sponsor_id=sponsor.id if sponsor else None,
                ancestors=chain_under(sponsor.id, sponsor.ancestors) if sponsor else (),
                joined_via=link.code if (sponsor and link) else None,
                personal_code=personal.code,
            )
            notices = []
            if sponsor is not None:
                notices.append(
                    draft(
                        NotificationKind.NEW_REFERRAL,
                        sponsor.id,
                        (participant.id,),
                        referral_name=profile.display_name,
                        referral_username=profile.username,
                    )
                )
            try:
                self.store.commit_registration(
                    participant,
                    personal,
                    participant.joined_via,
                    notices,
                    sponsor.ancestors if sponsor else (),
                )
            except TransactionConflict as conflict:
                if conflict.failed_on("participant"):
                    raise AlreadyRegistered("You are already registered in the program.") from None
                if conflict.failed_on("ozon_id"):
                    raise OzonIdTaken("This Ozon ID is already used by another participant.") from None
                if sponsor is not None and f"profile:{sponsor.id}" in conflict.failed:
                    # The sponsor was moved meanwhile (R12): copy its new chain.
                    sponsor = self.store.get_participant(sponsor.id) or sponsor
                    continue
                if conflict.failed_on("personal_link") or not conflict.failed:
                    continue
                raise
            product = link if (link is not None and link.kind == LinkKind.PRODUCT) else None
            return Registration(participant, outcome, product)
        raise Conflict("Registration could not be completed, please try again.", reason="busy_retry")

    def network(self, participant_id: str) -> dict[int, NetworkLevel]:
        """Own purchases (level 0) and each network level's size, purchases and points earned."""
        return self.store.network_levels(participant_id)

    def direct_referrals(self, participant_id: str) -> list[Participant]:
        return list(self.store.all_referrals_of(participant_id))

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
        self.store.commit_block(participant_id, blocked, audit)
