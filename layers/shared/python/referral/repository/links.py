"""Referral links: personal and product links, their clicks and the monthly count of new links."""

from __future__ import annotations

from referral.clock import month_of, to_iso
from referral.domain.links import Link
from referral.errors import AlreadyExists, NotFound
from referral.repository import keys, mapping
from referral.repository.changes import commit, get_item, update_item
from referral.repository.models import Entity, LinkItem, RollupItem
from referral.repository.unit_of_work import CommittedNotices, TransactionConflict, UnitOfWork

LINK = "link"
LINKS_COUNTER = "links_counter"


def link_item(link: Link) -> LinkItem:
    created = to_iso(link.created_at)
    return LinkItem(
        keys.link_pk(link.code),
        keys.LINK_SK,
        code=link.code,
        owner_id=link.owner_id,
        kind=link.kind.value,
        created_at=created,
        product_name=link.product_name,
        product_ref=link.product_ref,
        name=link.name,
        gsi1pk=keys.links_gsi(link.owner_id),
        gsi1sk=keys.dated(created, link.code),
    )


def link_ref(code: str) -> LinkItem:
    """The key of link ``code``, for updates of its counters."""
    return LinkItem(keys.link_pk(code), keys.LINK_SK)


class LinkRepository:
    def __init__(self, notices: CommittedNotices | None = None) -> None:
        self._notices = notices

    def get_link(self, code: str) -> Link | None:
        item = get_item(LinkItem, keys.link_pk(code), keys.LINK_SK)
        return mapping.link(item) if item else None

    def links_of(self, owner_id: str) -> list[Link]:
        return [
            mapping.link(item)
            for item in Entity.by_owner.query(keys.links_gsi(owner_id), scan_index_forward=True)
            if isinstance(item, LinkItem)
        ]

    def create_link(self, link: Link) -> None:
        """A new link, counted in its month; ``AlreadyExists`` if its code is taken."""
        uow = UnitOfWork(self._notices)
        uow.create(LINK, link_item(link))
        month = month_of(link.created_at)
        uow.update(
            LINKS_COUNTER,
            RollupItem(keys.STATS_PK, keys.stats_links_sk(month)),
            [
                RollupItem.entity_type.set(RollupItem),
                RollupItem.month.set(month),
                RollupItem.links.add(1),
            ],
        )
        commit(uow, lambda _: AlreadyExists("This link code is taken.", reason="link_code_taken"))

    def count_click(self, code: str) -> None:
        try:
            update_item(LINK, link_ref(code), [LinkItem.clicks.add(1)], LinkItem.pk.exists())
        except TransactionConflict:
            raise NotFound(
                "This link does not exist.", details={"code": code}, reason="link_not_found"
            ) from None
