"""Participants' referral links: the personal one, product links and named plain links."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from referral.clock import utcnow
from referral.domain.links import Link, LinkKind, new_code, validate_name, validate_product
from referral.errors import AlreadyExists, Conflict, Forbidden, NotFound
from referral.repository.links import LinkRepository
from referral.repository.participants import ParticipantRepository

MAX_LINKS_PER_PARTICIPANT = 100


class LinkService:
    def __init__(
        self,
        participants: ParticipantRepository | None = None,
        links: LinkRepository | None = None,
        *,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.participants = participants or ParticipantRepository()
        self.links = links or LinkRepository()
        self.clock = clock

    def links_of(self, owner_id: str) -> list[Link]:
        return self.links.links_of(owner_id)

    def personal_link(self, owner_id: str) -> Link:
        participant = self.participants.get_participant(owner_id)
        if participant is None or participant.personal_code is None:
            raise NotFound("Register first to get your link.", reason="not_registered")
        link = self.links.get_link(participant.personal_code)
        if link is None:
            raise NotFound("Your personal link was not found.", reason="link_not_found")
        return link

    def create_product_link(self, owner_id: str, product_name: str, product_ref: str) -> Link:
        name, ref = validate_product(product_name, product_ref)
        return self._create(owner_id, LinkKind.PRODUCT, product_name=name, product_ref=ref)

    def create_named_link(self, owner_id: str, name: str) -> Link:
        """A plain invitation link the owner names after where they share it ("Instagram", "Чат дома")."""
        return self._create(owner_id, LinkKind.NAMED, name=validate_name(name))

    def _create(
        self,
        owner_id: str,
        kind: LinkKind,
        *,
        name: str | None = None,
        product_name: str | None = None,
        product_ref: str | None = None,
    ) -> Link:
        participant = self.participants.get_participant(owner_id)
        if participant is None:
            raise NotFound("Register first to create links.", reason="not_registered")
        if participant.blocked:
            raise Forbidden("Your participation is suspended.", reason="participant_blocked")
        if len(self.links.links_of(owner_id)) >= MAX_LINKS_PER_PARTICIPANT:
            raise Conflict(
                f"You can have at most {MAX_LINKS_PER_PARTICIPANT} links.", reason="too_many_links"
            )
        for _ in range(3):
            link = Link(
                code=new_code(),
                owner_id=owner_id,
                kind=kind,
                created_at=self.clock(),
                product_name=product_name,
                product_ref=product_ref,
                name=name,
            )
            try:
                self.links.create_link(link)
            except AlreadyExists:
                continue
            return link
        raise Conflict("Could not create a link, please try again.", reason="busy_retry")
