"""The access patterns: every read and every transactional write the domain services need.

Services decide; the store writes what they decided as one DynamoDB transaction whose conditions
re-check, at commit time, everything the decision relied on (balances, statuses, uniqueness). A
condition that no longer holds surfaces as ``TransactionConflict`` naming the item that failed.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, Generic, TypeVar

from pynamodb.exceptions import UpdateError
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action
from pynamodb.models import Model

from referral.clock import month_of, to_iso
from referral.domain.audit import AuditRecord
from referral.domain.ledger import BalanceDelta, EntryKind, LedgerEntry
from referral.domain.links import Link
from referral.domain.notifications import Notification, NotificationStatus
from referral.domain.orders import CANCELLED, Accrual, AccrualPlan, AccrualRef, AccrualState, Order, Posting
from referral.domain.participants import NetworkLevel, Participant
from referral.domain.withdrawals import Withdrawal, WithdrawalStatus
from referral.errors import NotFound
from referral.repository import keys, mapping
from referral.repository.models import (
    AccrualItem,
    AdminItem,
    AuditChange,
    AuditItem,
    Entity,
    IdempotencyGuardItem,
    LedgerEntryItem,
    LinkItem,
    NetworkLevelItem,
    NotificationItem,
    OrderItem,
    OzonConnectionItem,
    OzonIdentityItem,
    ParticipantItem,
    PostingLineAttribute,
    RollupItem,
    SettingsItem,
    TreeGuardItem,
    WithdrawalEventItem,
    WithdrawalItem,
)
from referral.repository.models import (
    AccrualRef as AccrualRefAttribute,
)
from referral.repository.unit_of_work import (
    MAX_TRANSACTION_ITEMS,
    CommittedNotices,
    TransactionConflict,
    UnitOfWork,
)

# Feeds (GSI2) partitioned by month.
FEED_LEDGER = "LEDGER"
FEED_AUDIT = "AUDIT"
FEED_WITHDRAWALS = "WD"
FEED_PARTICIPANTS = "PARTICIPANT"
FEED_ORDERS = "ORDER"

T = TypeVar("T")
M = TypeVar("M", bound=Model)


def entry_id_for(idempotency_key: str) -> str:
    return hashlib.sha256(idempotency_key.encode()).hexdigest()[:24]


@dataclass(frozen=True, slots=True)
class OzonIdentity:
    ozon_id: str
    participant_id: str | None
    first_purchase_at: str | None


@dataclass(frozen=True, slots=True)
class Guard:
    """An idempotency key already used: by which operation, for which request (its fingerprint)."""

    operation: str
    fingerprint: str | None


@dataclass(frozen=True, slots=True)
class TreeState:
    """The re-parenting guard: its version, and what an unfinished move left to do."""

    version: int
    rechain_root: str | None
    pending_levels: str | None

    @property
    def pending(self) -> bool:
        return self.rechain_root is not None or self.pending_levels is not None


LevelShift = dict[tuple[str, int], tuple[int, int, Decimal]]
"""(ancestor, level) → (referrals, orders, purchase amount) to add to that network level."""


@dataclass(frozen=True, slots=True)
class Move:
    """A decided re-parenting (R12): who moves under whom, what changes below and around them."""

    moved: Participant
    new_sponsor_id: str | None
    new_chain: tuple[str, ...]
    rechain: list[tuple[Participant, tuple[str, ...]]]
    """The descendants whose chains change, with their new chains."""
    level_shift: LevelShift
    """The moved subtree leaves its old ancestors' network levels and joins the new ones'."""
    audit: AuditRecord


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: list[T]
    cursor: dict[str, Any] | None


Number = int | Decimal


@dataclass
class _ItemChange:
    """All changes to one item in a transaction, merged: DynamoDB allows one operation per item."""

    adds: dict[str, tuple[Any, Number]] = field(default_factory=dict)
    actions: list[Action] = field(default_factory=list)
    conditions: list[Condition] = field(default_factory=list)

    def add(self, attribute: Any, value: Number) -> None:
        if value:
            _, total = self.adds.get(attribute.attr_name, (attribute, 0))
            self.adds[attribute.attr_name] = (attribute, total + value)

    def all_actions(self) -> list[Action]:
        return self.actions + [attribute.add(total) for attribute, total in self.adds.values() if total]


class _Changes:
    """Accumulates changes to participants' profiles and network levels within one transaction."""

    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow
        self.profiles: dict[str, _ItemChange] = defaultdict(_ItemChange)
        self.levels: dict[tuple[str, int], _ItemChange] = defaultdict(_ItemChange)

    def balance(self, participant_id: str, delta: BalanceDelta, *, accrued: int = 0) -> None:
        change = self.profiles[participant_id]
        change.add(ParticipantItem.frozen, delta.frozen)
        change.add(ParticipantItem.available, delta.available)
        change.add(ParticipantItem.reserved, delta.reserved)
        change.add(ParticipantItem.withdrawn, delta.withdrawn)
        change.add(ParticipantItem.accrued_total, accrued)
        change.add(ParticipantItem.balance, delta.frozen + delta.available)

    def profile(
        self,
        participant_id: str,
        *actions: Action,
        adds: Iterable[tuple[Any, Number]] = (),
        condition: Condition | None = None,
    ) -> None:
        change = self.profiles[participant_id]
        change.actions.extend(actions)
        for attribute, value in adds:
            change.add(attribute, value)
        if condition is not None:
            change.conditions.append(condition)

    def level(
        self,
        participant_id: str,
        level: int,
        *actions: Action,
        condition: Condition | None = None,
        **adds: Number,
    ) -> None:
        change = self.levels[(participant_id, level)]
        change.actions.extend(actions)
        if condition is not None:
            change.conditions.append(condition)
        for name, value in adds.items():
            change.add(getattr(NetworkLevelItem, name), value)

    def flush(self) -> None:
        for participant_id, change in self.profiles.items():
            condition: Condition = ParticipantItem.pk.exists()
            for extra in change.conditions:
                condition = condition & extra
            actions = change.all_actions()
            if actions or change.conditions:
                if not actions:
                    self.uow.check(
                        f"profile:{participant_id}",
                        ParticipantItem,
                        keys.participant_pk(participant_id),
                        keys.PROFILE,
                        condition,
                    )
                    continue
                self.uow.update(
                    f"profile:{participant_id}",
                    ParticipantItem(keys.participant_pk(participant_id), keys.PROFILE),
                    actions,
                    condition,
                )
        for (participant_id, level), change in self.levels.items():
            actions = change.all_actions()
            if not actions:
                continue
            level_condition: Condition | None = None
            for extra in change.conditions:
                level_condition = extra if level_condition is None else level_condition & extra
            self.uow.update(
                f"level:{participant_id}:{level}",
                NetworkLevelItem(keys.participant_pk(participant_id), keys.network_sk(level)),
                [
                    NetworkLevelItem.entity_type.set(NetworkLevelItem),
                    NetworkLevelItem.participant_id.set(participant_id),
                    NetworkLevelItem.level.set(level),
                    *actions,
                ],
                level_condition,
            )


class Store:
    """Repository over the single table."""

    def __init__(self, notices: CommittedNotices | None = None) -> None:
        self._notices = notices

    # --- participants ------------------------------------------------------------------------------

    def get_participant(self, participant_id: str) -> Participant | None:
        item = _get(ParticipantItem, keys.participant_pk(participant_id), keys.PROFILE)
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
        wanted = [(keys.participant_pk(user_id), keys.PROFILE), (keys.ozon_pk(ozon_id), "OZON")]
        if code:
            wanted.append((keys.link_pk(code), "LINK"))
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
        item = _get(OzonIdentityItem, keys.ozon_pk(ozon_id), "OZON")
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
        is conditioned on it, so a move of the sponsor meanwhile (R12) fails this transaction
        (``TransactionConflict`` on ``profile:<sponsor>``) instead of leaving the newcomer a stale chain.
        """
        uow = UnitOfWork(self._notices)
        now = to_iso(participant.registered_at)
        item = ParticipantItem(
            keys.participant_pk(participant.id),
            keys.PROFILE,
            participant_id=participant.id,
            username=participant.profile.username,
            first_name=participant.profile.first_name,
            last_name=participant.profile.last_name,
            language_code=participant.profile.language_code,
            ozon_id=participant.ozon_id,
            sponsor_id=participant.sponsor_id,
            ancestors=list(participant.ancestors),
            joined_via=via_link,
            personal_code=personal_link.code,
            registered_at=now,
            gsi1pk=keys.sponsor_gsi(participant.sponsor_id),
            gsi1sk=f"{now}#{participant.id}",
            gsi2pk=keys.feed_pk(FEED_PARTICIPANTS, month_of(participant.registered_at)),
            gsi2sk=f"{now}#{participant.id}",
            **self.list_keys(
                participant.id,
                participant.profile.first_name,
                participant.profile.last_name,
                participant.profile.username,
            ),
        )
        uow.create("participant", item)
        uow.update(
            "ozon_id",
            OzonIdentityItem(keys.ozon_pk(participant.ozon_id), "OZON"),
            [
                OzonIdentityItem.entity_type.set(OzonIdentityItem),
                OzonIdentityItem.ozon_id.set(participant.ozon_id),
                OzonIdentityItem.participant_id.set(participant.id),
                OzonIdentityItem.claimed_at.set(now),
            ],
            OzonIdentityItem.participant_id.does_not_exist(),
        )
        uow.create("personal_link", self._link_item(personal_link))
        if via_link and participant.sponsor_id:
            uow.update(
                "via_link",
                LinkItem(keys.link_pk(via_link), "LINK"),
                [LinkItem.registrations.add(1)],
                LinkItem.pk.exists(),
            )
        changes = _Changes(uow)
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
        for notification in notifications:
            self._outbox(uow, notification, participant.registered_at)
        uow.commit()

    @staticmethod
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
            keys.participant_pk(participant_id), NetworkLevelItem.sk.startswith("NET#")
        )
        return {item.level: mapping.network_level(item) for item in items}

    def tree_state(self) -> TreeState:
        """The re-parenting guard, read strongly consistent: its version and any unfinished move."""
        try:
            item = TreeGuardItem.get(keys.TREE_PK, keys.TREE_SK, consistent_read=True)
        except TreeGuardItem.DoesNotExist:
            return TreeState(0, None, None)
        return TreeState(item.version, item.rechain_root, item.pending_levels)

    def commit_reparent(self, move: Move, tree: TreeState, now: datetime) -> bool:
        """Move one participant under a new sponsor (R12) in one transaction, conditioned on the tree guard.

        The moved participant and every re-chained descendant are conditioned on their sponsor and their
        direct-referral count as read, so a newcomer registering under the subtree meanwhile (copying a
        chain about to change) makes the move fail and be decided again.

        True if everything committed. False if it did not fit one transaction: the move, the ancestors'
        counters and the audit record committed with a marker on the tree guard listing what is left
        (the statistics batches and the subtree's chains), for ``apply_pending_levels`` and
        ``finish_rechain`` to finish, idempotently.
        """
        whole = self._reparent_work(move, tree, now)
        if len(whole) <= MAX_TRANSACTION_ITEMS:
            whole.commit()
            return True
        batches: list[list[list[Any]]] = [[]]
        for (ancestor, level), (referrals, orders, amount) in sorted(move.level_shift.items()):
            if len(batches[-1]) >= MAX_TRANSACTION_ITEMS - 1:
                batches.append([])
            batches[-1].append([ancestor, level, referrals, orders, str(amount)])
        pending = json.dumps([batch for batch in batches if batch])
        self._reparent_work(move, tree, now, pending=pending).commit()
        return False

    def _reparent_work(
        self, move: Move, tree: TreeState, now: datetime, *, pending: str | None = None
    ) -> UnitOfWork:
        """The move's transaction: everything, or (``pending`` given) the core and the follow-up marker."""
        moved, new_sponsor_id = move.moved, move.new_sponsor_id
        uow = UnitOfWork(self._notices)
        guard_actions: list[Action] = [
            TreeGuardItem.entity_type.set(TreeGuardItem),
            TreeGuardItem.version.add(1),
        ]
        if pending is not None:
            guard_actions += [
                TreeGuardItem.rechain_root.set(moved.id),
                TreeGuardItem.pending_levels.set(pending),
                TreeGuardItem.pending_since.set(to_iso(now)),
            ]
        uow.update(
            "tree",
            TreeGuardItem(keys.TREE_PK, keys.TREE_SK),
            guard_actions,
            (TreeGuardItem.version == tree.version if tree.version else TreeGuardItem.pk.does_not_exist())
            & TreeGuardItem.rechain_root.does_not_exist()
            & TreeGuardItem.pending_levels.does_not_exist(),
        )
        registered = to_iso(moved.registered_at)
        changes = _Changes(uow)
        changes.profile(
            moved.id,
            ParticipantItem.ancestors.set(list(move.new_chain)),
            *(
                [ParticipantItem.sponsor_id.set(new_sponsor_id)]
                if new_sponsor_id
                else [ParticipantItem.sponsor_id.remove()]
            ),
            ParticipantItem.gsi1pk.set(keys.sponsor_gsi(new_sponsor_id)),
            ParticipantItem.gsi1sk.set(f"{registered}#{moved.id}"),
            condition=_as_read(moved),
        )
        for (ancestor, level), (referrals, orders, amount) in move.level_shift.items():
            changes.profile(
                ancestor,
                adds=[
                    (ParticipantItem.network_size, referrals),
                    (ParticipantItem.direct_referrals, referrals if level == 1 else 0),
                    (ParticipantItem.network_orders, orders),
                    (ParticipantItem.network_amount, amount),
                ],
            )
            if pending is None:
                changes.level(ancestor, level, referrals=referrals, orders=orders, amount=amount)
        if pending is None:
            for node, chain in move.rechain:
                changes.profile(node.id, ParticipantItem.ancestors.set(list(chain)), condition=_as_read(node))
        changes.flush()
        self._audit(uow, move.audit)
        return uow

    def apply_pending_levels(self, tree: TreeState) -> None:
        """Add the next pending batch of network statistics, exactly once: the guard must still list it."""
        if not tree.pending_levels:
            return
        batches = json.loads(tree.pending_levels)
        rest = batches[1:]
        uow = UnitOfWork(self._notices)
        uow.update(
            "tree",
            TreeGuardItem(keys.TREE_PK, keys.TREE_SK),
            [
                TreeGuardItem.pending_levels.set(json.dumps(rest))
                if rest
                else TreeGuardItem.pending_levels.remove()
            ],
            TreeGuardItem.pending_levels == tree.pending_levels,
        )
        changes = _Changes(uow)
        for ancestor, level, referrals, orders, amount in batches[0]:
            changes.level(ancestor, level, referrals=referrals, orders=orders, amount=Decimal(amount))
        changes.flush()
        uow.commit()

    def finish_rechain(self, root_id: str) -> None:
        """The subtree of ``root_id`` has its chains rebuilt: clear the marker (once)."""
        _update_item(
            "tree",
            TreeGuardItem(keys.TREE_PK, keys.TREE_SK),
            [TreeGuardItem.rechain_root.remove(), TreeGuardItem.pending_since.remove()],
            TreeGuardItem.rechain_root == root_id,
        )

    def set_chain(self, participant_id: str, expected_sponsor: str | None, chain: tuple[str, ...]) -> None:
        """Rewrite a descendant's ancestor chain after a move (idempotent, conditioned on its sponsor)."""
        condition = ParticipantItem.pk.exists() & (
            ParticipantItem.sponsor_id == expected_sponsor
            if expected_sponsor
            else ParticipantItem.sponsor_id.does_not_exist()
        )
        _update_item(
            f"chain:{participant_id}",
            ParticipantItem(keys.participant_pk(participant_id), keys.PROFILE),
            [ParticipantItem.ancestors.set(list(chain))],
            condition,
        )

    def commit_block(self, participant_id: str, blocked: bool, audit: AuditRecord) -> None:
        uow = UnitOfWork(self._notices)
        uow.update(
            "profile",
            ParticipantItem(keys.participant_pk(participant_id), keys.PROFILE),
            [ParticipantItem.blocked.set(blocked)],
            ParticipantItem.pk.exists(),
        )
        self._audit(uow, audit)
        uow.commit()

    # --- links -------------------------------------------------------------------------------------

    def get_link(self, code: str) -> Link | None:
        item = _get(LinkItem, keys.link_pk(code), "LINK")
        return mapping.link(item) if item else None

    def links_of(self, owner_id: str) -> list[Link]:
        return [
            mapping.link(item)
            for item in Entity.by_owner.query(keys.links_gsi(owner_id), scan_index_forward=True)
            if isinstance(item, LinkItem)
        ]

    def create_link(self, link: Link) -> None:
        uow = UnitOfWork(self._notices)
        uow.create("link", self._link_item(link))
        month = month_of(link.created_at)
        uow.update(
            "links_counter",
            RollupItem(keys.STATS_PK, keys.stats_links_sk(month)),
            [
                RollupItem.entity_type.set(RollupItem),
                RollupItem.month.set(month),
                RollupItem.links.add(1),
            ],
        )
        uow.commit()

    def count_click(self, code: str) -> None:
        try:
            _update_item(
                "link", LinkItem(keys.link_pk(code), "LINK"), [LinkItem.clicks.add(1)], LinkItem.pk.exists()
            )
        except TransactionConflict:
            raise NotFound(
                "This link does not exist.", details={"code": code}, reason="link_not_found"
            ) from None

    @staticmethod
    def _link_item(link: Link) -> LinkItem:
        created = to_iso(link.created_at)
        return LinkItem(
            keys.link_pk(link.code),
            "LINK",
            code=link.code,
            owner_id=link.owner_id,
            kind=link.kind.value,
            created_at=created,
            product_name=link.product_name,
            product_ref=link.product_ref,
            gsi1pk=keys.links_gsi(link.owner_id),
            gsi1sk=f"{created}#{link.code}",
        )

    # --- orders, accruals, releases, reversals -------------------------------------------------------

    def get_order(self, posting_number: str) -> Order | None:
        item = _get(OrderItem, keys.order_pk(posting_number), "ORDER")
        return mapping.order(item) if item else None

    def orders_of(self, participant_id: str) -> list[Order]:
        return [
            mapping.order(item)
            for item in Entity.by_owner.query(keys.orders_gsi(participant_id))
            if isinstance(item, OrderItem)
        ]

    def get_accruals(self, posting_number: str, refs: Iterable[AccrualRef]) -> list[Accrual]:
        wanted = [
            (keys.participant_pk(r.beneficiary_id), keys.accrual_sk(posting_number, r.level)) for r in refs
        ]
        if not wanted:
            return []
        found = [mapping.accrual(item) for item in AccrualItem.batch_get(wanted)]
        return sorted(found, key=lambda a: a.level)

    def accruals_of(self, participant_id: str) -> list[Accrual]:
        items = AccrualItem.query(keys.participant_pk(participant_id), AccrualItem.sk.startswith("ACCRUAL#"))
        return [mapping.accrual(item) for item in items]

    def upsert_order(
        self, posting: Posting, now: datetime, *, new: bool = False, identity_recorded: bool = False
    ) -> None:
        """Remember a posting nobody has claimed (yet): needed for R3 and for later claims.

        ``new``: the caller saw no stored order, so the order is put whole (it fails, as a conflict on
        "order", if one appeared meanwhile). ``identity_recorded``: the buyer's Ozon id already has a
        first purchase date, so there is nothing to write for it.
        """
        uow = UnitOfWork(self._notices)
        if new:
            uow.create("order", _new_order_item(posting, now))
        else:
            uow.update(
                "order",
                OrderItem(keys.order_pk(posting.posting_number), "ORDER"),
                [
                    *self._posting_actions(posting, now),
                    OrderItem.kept_amount.set(OrderItem.kept_amount | posting.amount),
                    OrderItem.version.add(1),
                ],
                OrderItem.participant_id.does_not_exist(),
            )
        if posting.customer_id and not identity_recorded:
            uow.update(
                "ozon_id",
                OzonIdentityItem(keys.ozon_pk(posting.customer_id), "OZON"),
                [
                    OzonIdentityItem.entity_type.set(OzonIdentityItem),
                    OzonIdentityItem.ozon_id.set(posting.customer_id),
                    OzonIdentityItem.first_purchase_at.set(
                        OzonIdentityItem.first_purchase_at | to_iso(posting.created_at)
                    ),
                ],
            )
        uow.commit()

    @staticmethod
    def _posting_actions(posting: Posting, now: datetime) -> list[Action]:
        actions: list[Action] = [
            OrderItem.entity_type.set(OrderItem),
            OrderItem.posting_number.set(posting.posting_number),
            OrderItem.scheme.set(posting.scheme),
            OrderItem.status.set(posting.status),
            OrderItem.created_at.set(to_iso(posting.created_at)),
            OrderItem.amount.set(posting.amount),
            OrderItem.updated_at.set(to_iso(now)),
            OrderItem.applied_returns.set(OrderItem.applied_returns | []),
            OrderItem.gsi2pk.set(keys.feed_pk(FEED_ORDERS, month_of(posting.created_at))),
            OrderItem.gsi2sk.set(f"{to_iso(posting.created_at)}#{posting.posting_number}"),
        ]
        if posting.order_number:
            actions.append(OrderItem.order_number.set(posting.order_number))
        if posting.customer_id:
            actions.append(OrderItem.customer_id.set(posting.customer_id))
        if posting.is_delivered:
            actions.append(OrderItem.delivered_at.set(to_iso(posting.delivered_at or now)))
        if posting.lines:
            actions.append(OrderItem.products.set(_posting_lines(posting)))
        return actions

    def commit_purchase(
        self,
        plan: AccrualPlan,
        expected_order_version: int | None,
        now: datetime,
        notifications: list[Notification],
        *,
        level_dates_kept: frozenset[tuple[str, int]] = frozenset(),
    ) -> None:
        """R5–R9 in one transaction: attribute the order, accrue every level, update statistics.

        Order dates only move outward: the buyer's first/last order dates are set only as the plan says,
        under a condition that they did not move meanwhile; each network level's last-order date is set
        under the condition that it is older, except for the levels in ``level_dates_kept`` (a previous
        attempt found them newer). A failed date condition fails the transaction like any other.
        """
        uow = UnitOfWork(self._notices)
        posting = plan.posting
        created = to_iso(posting.created_at)
        release_at = to_iso(plan.release_at)
        accrual_refs = [
            AccrualRefAttribute(beneficiary_id=a.beneficiary_id, level=a.level, points=a.points)
            for a in plan.accruals
        ]
        if expected_order_version is None:
            # a posting seen for the first time: one conditional put, cheaper than an update of every field
            uow.create(
                "order",
                _new_order_item(
                    posting,
                    now,
                    kept_amount=plan.accounted_amount,
                    participant_id=plan.buyer_id,
                    attribution=plan.attribution.value,
                    attributed_at=to_iso(now),
                    accruals=accrual_refs,
                    gsi1pk=keys.orders_gsi(plan.buyer_id),
                    gsi1sk=f"{created}#{posting.posting_number}",
                ),
            )
        else:
            uow.update(
                "order",
                OrderItem(keys.order_pk(posting.posting_number), "ORDER"),
                [
                    *self._posting_actions(posting, now),
                    OrderItem.kept_amount.set(plan.accounted_amount),
                    OrderItem.participant_id.set(plan.buyer_id),
                    OrderItem.attribution.set(plan.attribution.value),
                    OrderItem.attributed_at.set(to_iso(now)),
                    OrderItem.accruals.set(accrual_refs),
                    OrderItem.version.add(1),
                    OrderItem.gsi1pk.set(keys.orders_gsi(plan.buyer_id)),
                    OrderItem.gsi1sk.set(f"{created}#{posting.posting_number}"),
                ],
                OrderItem.participant_id.does_not_exist() & (OrderItem.version == expected_order_version),
            )
        changes = _Changes(uow)
        counted = not posting.is_cancelled
        if counted:
            buyer_dates: list[Action] = []
            if plan.buyer_last_order_at is not None:
                buyer_dates += [
                    ParticipantItem.last_order_at.set(created),
                    ParticipantItem.sort_last_order.set(created),
                ]
                changes.profile(
                    plan.buyer_id,
                    condition=ParticipantItem.last_order_at.does_not_exist()
                    | (ParticipantItem.last_order_at < created),
                )
            if plan.buyer_first_order_at is not None:
                buyer_dates.append(ParticipantItem.first_order_at.set(created))
                changes.profile(
                    plan.buyer_id,
                    condition=ParticipantItem.first_order_at.does_not_exist()
                    | (ParticipantItem.first_order_at > created),
                )
            changes.profile(
                plan.buyer_id,
                *buyer_dates,
                adds=[
                    (ParticipantItem.orders_count, 1),
                    (ParticipantItem.purchases_sum, plan.accounted_amount),
                ],
            )
            for participant_id, level in plan.network_levels:
                dated = (participant_id, level) not in level_dates_kept
                changes.level(
                    participant_id,
                    level,
                    *([NetworkLevelItem.last_order_at.set(created)] if dated else []),
                    condition=(
                        NetworkLevelItem.last_order_at.does_not_exist()
                        | (NetworkLevelItem.last_order_at < created)
                    )
                    if dated
                    else None,
                    orders=1,
                    amount=plan.accounted_amount,
                )
                if level > 0:
                    changes.profile(
                        participant_id,
                        adds=[
                            (ParticipantItem.network_orders, 1),
                            (ParticipantItem.network_amount, plan.accounted_amount),
                        ],
                    )
            if plan.link_code:
                uow.update(
                    "link",
                    LinkItem(keys.link_pk(plan.link_code), "LINK"),
                    [LinkItem.purchases.add(1)],
                    LinkItem.pk.exists(),
                )
        for accrual in plan.accruals:
            key = f"accrual:{posting.posting_number}:{accrual.beneficiary_id}:{accrual.level}"
            uow.create(
                f"accrual:{accrual.beneficiary_id}:{accrual.level}",
                AccrualItem(
                    keys.participant_pk(accrual.beneficiary_id),
                    keys.accrual_sk(posting.posting_number, accrual.level),
                    participant_id=accrual.beneficiary_id,
                    posting_number=posting.posting_number,
                    level=accrual.level,
                    buyer_id=plan.buyer_id,
                    amount=plan.accounted_amount,
                    rate=accrual.rate,
                    points=accrual.points,
                    reversed_points=0,
                    state=AccrualState.FROZEN.value,
                    order_created_at=created,
                    release_at=release_at,
                    created_at=to_iso(now),
                    duepk=keys.DUE_RELEASE if plan.due else None,
                    duesk=f"{release_at}#{accrual.beneficiary_id}" if plan.due else None,
                ),
            )
            delta = BalanceDelta(frozen=accrual.points)
            changes.balance(accrual.beneficiary_id, delta, accrued=accrual.points)
            changes.profile(accrual.beneficiary_id, condition=ParticipantItem.blocked == False)  # noqa: E712
            changes.level(accrual.beneficiary_id, accrual.level, earned=accrual.points)
            self._ledger(
                uow,
                accrual.beneficiary_id,
                EntryKind.ACCRUAL,
                delta,
                now,
                key,
                level=accrual.level,
                posting_number=posting.posting_number,
                amount=plan.accounted_amount,
                rate=accrual.rate,
            )
        changes.flush()
        for notification in notifications:
            self._outbox(uow, notification, now)
        uow.commit()

    def commit_delivery(self, order: Order, posting: Posting, accruals: list[Accrual], now: datetime) -> None:
        """The posting was delivered: its frozen accruals join the release schedule (R7)."""
        uow = UnitOfWork(self._notices)
        uow.update(
            "order",
            OrderItem(keys.order_pk(order.posting.posting_number), "ORDER"),
            [
                OrderItem.status.set(posting.status),
                OrderItem.delivered_at.set(to_iso(posting.delivered_at or now)),
                OrderItem.updated_at.set(to_iso(now)),
                OrderItem.version.add(1),
            ],
            OrderItem.version == order.version,
        )
        for accrual in accruals:
            if accrual.state != AccrualState.FROZEN:
                continue
            release_at = to_iso(accrual.release_at)
            uow.update(
                f"accrual:{accrual.participant_id}:{accrual.level}",
                AccrualItem(
                    keys.participant_pk(accrual.participant_id),
                    keys.accrual_sk(accrual.posting_number, accrual.level),
                ),
                [
                    AccrualItem.duepk.set(keys.DUE_RELEASE),
                    AccrualItem.duesk.set(f"{release_at}#{accrual.participant_id}"),
                ],
                AccrualItem.state == AccrualState.FROZEN.value,
            )
        uow.commit()

    def set_order_status(self, order: Order, status: str, now: datetime) -> None:
        uow = UnitOfWork(self._notices)
        uow.update(
            "order",
            OrderItem(keys.order_pk(order.posting.posting_number), "ORDER"),
            [OrderItem.status.set(status), OrderItem.updated_at.set(to_iso(now)), OrderItem.version.add(1)],
            OrderItem.version == order.version,
        )
        uow.commit()

    def commit_reversal(
        self,
        order: Order,
        new_kept_amount: Decimal,
        status: str | None,
        return_id: str | None,
        reversals: list[tuple[Accrual, int]],
        network_levels: tuple[tuple[str, int], ...],
        now: datetime,
        notifications: list[Notification],
    ) -> None:
        """R7: take back accruals (frozen first, else available) as the kept amount shrinks."""
        uow = UnitOfWork(self._notices)
        actions: list[Action] = [
            OrderItem.kept_amount.set(new_kept_amount),
            OrderItem.updated_at.set(to_iso(now)),
            OrderItem.version.add(1),
        ]
        if status:
            actions.append(OrderItem.status.set(status))
        if return_id:
            actions.append(OrderItem.applied_returns.set(OrderItem.applied_returns.append([return_id])))
        uow.update(
            "order",
            OrderItem(keys.order_pk(order.posting.posting_number), "ORDER"),
            actions,
            OrderItem.version == order.version,
        )
        changes = _Changes(uow)
        if network_levels and not order.posting.is_cancelled:
            # Purchase statistics follow the order: a return lowers the sum, a cancellation removes it.
            amount_change = new_kept_amount - order.kept_amount
            orders_change = -1 if status == CANCELLED else 0
            buyer_id = network_levels[0][0]
            changes.profile(
                buyer_id,
                adds=[
                    (ParticipantItem.purchases_sum, amount_change),
                    (ParticipantItem.orders_count, orders_change),
                ],
            )
            for participant_id, level in network_levels:
                changes.level(participant_id, level, amount=amount_change, orders=orders_change)
                if level > 0:
                    changes.profile(
                        participant_id,
                        adds=[
                            (ParticipantItem.network_orders, orders_change),
                            (ParticipantItem.network_amount, amount_change),
                        ],
                    )
        for accrual, points in reversals:
            from_frozen = accrual.state == AccrualState.FROZEN
            delta = BalanceDelta(frozen=-points) if from_frozen else BalanceDelta(available=-points)
            fully = accrual.reversed_points + points >= accrual.points
            accrual_actions: list[Action] = [AccrualItem.reversed_points.add(points)]
            if from_frozen and fully:
                accrual_actions += [
                    AccrualItem.state.set(AccrualState.VOIDED.value),
                    AccrualItem.duepk.remove(),
                    AccrualItem.duesk.remove(),
                ]
            uow.update(
                f"accrual:{accrual.participant_id}:{accrual.level}",
                AccrualItem(
                    keys.participant_pk(accrual.participant_id),
                    keys.accrual_sk(accrual.posting_number, accrual.level),
                ),
                accrual_actions,
                (AccrualItem.state == accrual.state.value)
                & (AccrualItem.reversed_points == accrual.reversed_points),
            )
            changes.balance(accrual.participant_id, delta, accrued=-points)
            changes.level(accrual.participant_id, accrual.level, earned=-points)
            self._ledger(
                uow,
                accrual.participant_id,
                EntryKind.REVERSAL,
                delta,
                now,
                f"reversal:{accrual.posting_number}:{accrual.participant_id}:{accrual.level}:"
                f"{accrual.reversed_points + points}",
                level=accrual.level,
                posting_number=accrual.posting_number,
                amount=new_kept_amount,
                rate=accrual.rate,
            )
        changes.flush()
        for notification in notifications:
            self._outbox(uow, notification, now)
        uow.commit()

    def due_accruals(self, now: datetime, limit: int) -> list[Accrual]:
        """Matured accruals of delivered postings: one query of the sparse schedule index."""
        items = Entity.due.query(
            keys.DUE_RELEASE, Entity.duesk <= f"{to_iso(now)}#\uffff", limit=limit, scan_index_forward=True
        )
        return [mapping.accrual(item) for item in items if isinstance(item, AccrualItem)]

    def commit_release(self, accrual: Accrual, now: datetime, notifications: list[Notification]) -> None:
        uow = UnitOfWork(self._notices)
        points = accrual.remaining
        uow.update(
            "accrual",
            AccrualItem(
                keys.participant_pk(accrual.participant_id),
                keys.accrual_sk(accrual.posting_number, accrual.level),
            ),
            [
                AccrualItem.state.set(AccrualState.RELEASED.value),
                AccrualItem.released_at.set(to_iso(now)),
                AccrualItem.duepk.remove(),
                AccrualItem.duesk.remove(),
            ],
            (AccrualItem.state == AccrualState.FROZEN.value)
            & (AccrualItem.reversed_points == accrual.reversed_points),
        )
        changes = _Changes(uow)
        delta = BalanceDelta(frozen=-points, available=points)
        changes.balance(accrual.participant_id, delta)
        changes.flush()
        self._ledger(
            uow,
            accrual.participant_id,
            EntryKind.RELEASE,
            delta,
            now,
            f"release:{accrual.posting_number}:{accrual.participant_id}:{accrual.level}",
            level=accrual.level,
            posting_number=accrual.posting_number,
        )
        for notification in notifications:
            self._outbox(uow, notification, now)
        uow.commit()

    # --- ledger ------------------------------------------------------------------------------------

    def ledger_of(self, participant_id: str, limit: int | None = None) -> list[LedgerEntry]:
        items = LedgerEntryItem.query(
            keys.participant_pk(participant_id),
            LedgerEntryItem.sk.startswith("LEDGER#"),
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
        item = _get(IdempotencyGuardItem, keys.guard_pk(key), "GUARD")
        return Guard(item.operation, item.fingerprint) if item else None

    def participant_and_guard(self, participant_id: str, key: str) -> tuple[Participant | None, Guard | None]:
        """One batch read: the participant, and the guard of ``key`` if the key was used before."""
        participant = guard = None
        for item in Entity.batch_get(
            [(keys.participant_pk(participant_id), keys.PROFILE), (keys.guard_pk(key), "GUARD")]
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
    ) -> None:
        """R11: the guard of ``idempotency_key`` (with the request's fingerprint), ledger entry, audit."""
        uow = UnitOfWork(self._notices)
        self._guard(uow, idempotency_key, "balance_correction", now, fingerprint)
        changes = _Changes(uow)
        changes.balance(participant_id, delta, accrued=0)
        changes.profile(participant_id, adds=[(ParticipantItem.frozen_corrections, delta.frozen)])
        conditions: list[Condition] = []
        if delta.frozen < 0:
            # Only frozen points that corrections put there may be taken (see ``check_correction``).
            conditions.append(ParticipantItem.frozen_corrections >= -delta.frozen)
            conditions.append(ParticipantItem.frozen >= -delta.frozen)
        if delta.available < 0:
            conditions.append(ParticipantItem.available >= -delta.available)
        for condition in conditions:
            changes.profile(participant_id, condition=condition)
        changes.flush()
        self._ledger(
            uow,
            participant_id,
            EntryKind.CORRECTION,
            delta,
            now,
            idempotency_key,
            actor_id=actor_id,
            reason=reason,
        )
        self._audit(uow, audit)
        uow.commit()

    # --- withdrawals -------------------------------------------------------------------------------

    def get_withdrawal(self, withdrawal_id: str) -> Withdrawal | None:
        item = _get(WithdrawalItem, keys.withdrawal_pk(withdrawal_id), "WD")
        return mapping.withdrawal(item) if item else None

    def participant_and_withdrawal(
        self, participant_id: str, withdrawal_id: str
    ) -> tuple[Participant | None, Withdrawal | None]:
        """One batch read: the participant, and the withdrawal ``withdrawal_id`` if it exists already."""
        participant = withdrawal = None
        for item in Entity.batch_get(
            [(keys.participant_pk(participant_id), keys.PROFILE), (keys.withdrawal_pk(withdrawal_id), "WD")]
        ):
            if isinstance(item, ParticipantItem):
                participant = mapping.participant(item)
            elif isinstance(item, WithdrawalItem):
                withdrawal = mapping.withdrawal(item)
        return participant, withdrawal

    def withdrawal_events(self, withdrawal_id: str) -> list[WithdrawalEventItem]:
        return list(
            WithdrawalEventItem.query(
                keys.withdrawal_pk(withdrawal_id), WithdrawalEventItem.sk.startswith("EVENT#")
            )
        )

    def withdrawals_of(self, participant_id: str) -> list[Withdrawal]:
        return [
            mapping.withdrawal(item)
            for item in Entity.by_owner.query(keys.withdrawals_gsi(participant_id), scan_index_forward=False)
            if isinstance(item, WithdrawalItem)
        ]

    def commit_withdrawal_request(
        self, withdrawal: Withdrawal, now: datetime, notifications: list[Notification]
    ) -> None:
        """R10: the request and its reservation in one transaction; the condition stops overspending."""
        uow = UnitOfWork(self._notices)
        created = to_iso(withdrawal.created_at)
        uow.create(
            "withdrawal",
            WithdrawalItem(
                keys.withdrawal_pk(withdrawal.withdrawal_id),
                "WD",
                withdrawal_id=withdrawal.withdrawal_id,
                participant_id=withdrawal.participant_id,
                points=withdrawal.points,
                point_rate=withdrawal.point_rate,
                fiat_amount=withdrawal.fiat_amount,
                status=withdrawal.status.value,
                created_at=created,
                updated_at=created,
                gsi1pk=keys.withdrawals_gsi(withdrawal.participant_id),
                gsi1sk=f"{created}#{withdrawal.withdrawal_id}",
                gsi2pk=keys.feed_pk(FEED_WITHDRAWALS, month_of(withdrawal.created_at)),
                gsi2sk=f"{created}#{withdrawal.withdrawal_id}",
                queue=withdrawal.status.value,
                queued_at=f"{created}#{withdrawal.withdrawal_id}",
            ),
        )
        self._withdrawal_event(
            uow, withdrawal.withdrawal_id, now, "created", None, None, withdrawal.status.value, None
        )
        changes = _Changes(uow)
        delta = BalanceDelta(available=-withdrawal.points, reserved=withdrawal.points)
        changes.balance(withdrawal.participant_id, delta)
        changes.profile(
            withdrawal.participant_id,
            condition=(ParticipantItem.available >= withdrawal.points) & (ParticipantItem.blocked == False),  # noqa: E712
        )
        changes.flush()
        self._ledger(
            uow,
            withdrawal.participant_id,
            EntryKind.WITHDRAWAL_RESERVE,
            delta,
            now,
            f"withdrawal:{withdrawal.withdrawal_id}:reserve",
            withdrawal_id=withdrawal.withdrawal_id,
        )
        for notification in notifications:
            self._outbox(uow, notification, now)
        uow.commit()

    def commit_withdrawal_transition(
        self,
        withdrawal: Withdrawal,
        target: WithdrawalStatus,
        effect: tuple[EntryKind, BalanceDelta] | None,
        actor_id: str,
        reason: str | None,
        audit: AuditRecord,
        now: datetime,
        notifications: list[Notification],
    ) -> None:
        uow = UnitOfWork(self._notices)
        stamp = to_iso(now)
        actions: list[Action] = [
            WithdrawalItem.status.set(target.value),
            WithdrawalItem.updated_at.set(stamp),
        ]
        if target.is_open:
            actions.append(WithdrawalItem.queue.set(target.value))
        else:
            actions += [WithdrawalItem.closed_at.set(stamp), WithdrawalItem.queue.remove()]
            actions.append(WithdrawalItem.queued_at.remove())
        if reason:
            actions.append(WithdrawalItem.reason.set(reason))
        uow.update(
            "withdrawal",
            WithdrawalItem(keys.withdrawal_pk(withdrawal.withdrawal_id), "WD"),
            actions,
            WithdrawalItem.status == withdrawal.status.value,
        )
        self._withdrawal_event(
            uow,
            withdrawal.withdrawal_id,
            now,
            "status",
            actor_id,
            withdrawal.status.value,
            target.value,
            reason,
        )
        if effect is not None:
            kind, delta = effect
            changes = _Changes(uow)
            changes.balance(withdrawal.participant_id, delta)
            changes.profile(
                withdrawal.participant_id, condition=ParticipantItem.reserved >= withdrawal.points
            )
            if target == WithdrawalStatus.PAID:
                changes.profile(
                    withdrawal.participant_id,
                    ParticipantItem.last_withdrawal_at.set(stamp),
                    ParticipantItem.last_withdrawal_points.set(withdrawal.points),
                )
            changes.flush()
            self._ledger(
                uow,
                withdrawal.participant_id,
                kind,
                delta,
                now,
                f"withdrawal:{withdrawal.withdrawal_id}:{target.value}",
                withdrawal_id=withdrawal.withdrawal_id,
                actor_id=actor_id,
                reason=reason,
            )
        self._audit(uow, audit)
        for notification in notifications:
            self._outbox(uow, notification, now)
        uow.commit()

    def add_withdrawal_comment(
        self, withdrawal_id: str, actor_id: str, text: str, audit: AuditRecord, now: datetime
    ) -> None:
        uow = UnitOfWork(self._notices)
        uow.check(
            "withdrawal", WithdrawalItem, keys.withdrawal_pk(withdrawal_id), "WD", WithdrawalItem.pk.exists()
        )
        self._withdrawal_event(uow, withdrawal_id, now, "comment", actor_id, None, None, text)
        self._audit(uow, audit)
        uow.commit()

    @staticmethod
    def _withdrawal_event(
        uow: UnitOfWork,
        withdrawal_id: str,
        now: datetime,
        event: str,
        actor_id: str | None,
        from_status: str | None,
        to_status: str | None,
        text: str | None,
    ) -> None:
        stamp = to_iso(now)
        suffix = hashlib.sha256(f"{event}|{from_status}|{to_status}|{text}|{stamp}".encode()).hexdigest()[:8]
        uow.create(
            f"event:{event}",
            WithdrawalEventItem(
                keys.withdrawal_pk(withdrawal_id),
                keys.withdrawal_event_sk(stamp, suffix),
                withdrawal_id=withdrawal_id,
                event=event,
                created_at=stamp,
                actor_id=actor_id,
                from_status=from_status,
                to_status=to_status,
                text=text,
            ),
        )

    # --- settings ----------------------------------------------------------------------------------

    def get_settings_item(self) -> SettingsItem | None:
        return _get(SettingsItem, keys.SETTINGS_PK, keys.SETTINGS_CURRENT)

    def commit_settings(
        self,
        document: dict[str, Any],
        version: int,
        actor_id: str | None,
        audit: AuditRecord | None,
        now: datetime,
    ) -> None:
        """Write version ``version`` of the settings, only if the stored one is ``version - 1``."""
        uow = UnitOfWork(self._notices)
        value = json.dumps(document, sort_keys=True, ensure_ascii=False)
        stamp = to_iso(now)
        current = SettingsItem(
            keys.SETTINGS_PK,
            keys.SETTINGS_CURRENT,
            value=value,
            version=version,
            updated_at=stamp,
            updated_by=actor_id,
        )
        condition = SettingsItem.pk.does_not_exist() if version == 1 else SettingsItem.version == version - 1
        uow.put("settings", current, condition)
        uow.create(
            "settings_history",
            SettingsItem(
                keys.SETTINGS_HISTORY_PK,
                keys.settings_version_sk(version),
                value=value,
                version=version,
                updated_at=stamp,
                updated_by=actor_id,
            ),
        )
        if audit is not None:
            self._audit(uow, audit)
        uow.commit()

    def settings_history(self) -> list[SettingsItem]:
        return list(SettingsItem.query(keys.SETTINGS_HISTORY_PK, scan_index_forward=False))

    def record_sync_health(self, now: datetime, error: str | None) -> None:
        """The sync's last outcome, for the dashboard (an error such as a rejected key, or success)."""
        stamp = to_iso(now)
        actions: list[Action] = [OzonConnectionItem.entity_type.set(OzonConnectionItem)]
        if error:
            actions += [
                OzonConnectionItem.last_error_at.set(stamp),
                OzonConnectionItem.last_error.set(error[:500]),
            ]
        else:
            actions += [OzonConnectionItem.last_success_at.set(stamp), OzonConnectionItem.last_error.remove()]
        OzonConnectionItem(keys.OZON_CONNECTION_PK, keys.OZON_CONNECTION_SK).update(actions)

    # --- audit -------------------------------------------------------------------------------------

    def get_audit(self, audit_id: str) -> AuditRecord | None:
        item = _get(AuditItem, keys.audit_pk(audit_id), "AUDIT")
        return mapping.audit(item) if item else None

    def audit_of(self, object_type: str, object_id: str) -> list[AuditRecord]:
        return [
            mapping.audit(item)
            for item in Entity.by_owner.query(
                keys.audit_object_gsi(object_type, object_id), scan_index_forward=False
            )
            if isinstance(item, AuditItem)
        ]

    @staticmethod
    def _audit(uow: UnitOfWork, record: AuditRecord) -> None:
        stamp = to_iso(record.created_at)
        uow.create(
            "audit",
            AuditItem(
                keys.audit_pk(record.audit_id),
                "AUDIT",
                audit_id=record.audit_id,
                actor_id=record.actor_id,
                action=record.action,
                object_type=record.object_type,
                object_id=record.object_id,
                object_name=record.object_name,
                changes=[AuditChange(attribute=c.attribute, old=c.old, new=c.new) for c in record.changes],
                reason=record.reason,
                created_at=stamp,
                gsi1pk=keys.audit_object_gsi(record.object_type, record.object_id),
                gsi1sk=f"{stamp}#{record.audit_id}",
                gsi2pk=keys.feed_pk(FEED_AUDIT, month_of(record.created_at)),
                gsi2sk=f"{stamp}#{record.audit_id}",
            ),
        )

    # --- admins ------------------------------------------------------------------------------------

    def get_admin(self, telegram_id: str) -> AdminItem | None:
        return _get(AdminItem, keys.admin_pk(telegram_id), "ADMIN")

    def ensure_admin(self, telegram_id: str, role: str, now: datetime) -> None:
        """Bootstrap admins from configuration without overwriting what operators changed since."""
        uow = UnitOfWork(self._notices)
        uow.create(
            "admin",
            AdminItem(
                keys.admin_pk(telegram_id),
                "ADMIN",
                telegram_id=telegram_id,
                role=role,
                created_at=to_iso(now),
                added_by="bootstrap",
                gsi1pk=keys.ADMINS_GSI,
                gsi1sk=telegram_id,
            ),
        )
        uow.commit()

    def commit_admin_create(
        self,
        telegram_id: str,
        role: str,
        name: str | None,
        actor: tuple[str, int],
        audit: AuditRecord,
        now: datetime,
    ) -> None:
        """A new admin and its audit record; fails (TransactionConflict on "admin") if one exists.

        ``actor`` (id, session version): the acting owner must still be that owner when this commits.
        """
        uow = UnitOfWork(self._notices)
        self._acting_owner(uow, *actor)
        uow.create(
            "admin",
            AdminItem(
                keys.admin_pk(telegram_id),
                "ADMIN",
                telegram_id=telegram_id,
                role=role,
                name=name,
                created_at=to_iso(now),
                added_by=actor[0],
                gsi1pk=keys.ADMINS_GSI,
                gsi1sk=telegram_id,
            ),
        )
        self._audit(uow, audit)
        uow.commit()

    def commit_admin_change(
        self,
        telegram_id: str,
        expected_session_version: int,
        fields: dict[str, Any],
        audit: AuditRecord,
        actor: tuple[str, int],
    ) -> None:
        """Change an admin and end its sessions (``session_version`` + 1), conditioned on what was read.

        ``actor`` (id, session version): the acting owner must still be that owner when this commits, so
        two owners changing each other at once cannot both succeed (one would take the other's rights).
        """
        uow = UnitOfWork(self._notices)
        self._acting_owner(uow, *actor)
        uow.update(
            "admin",
            AdminItem(keys.admin_pk(telegram_id), "ADMIN"),
            [
                *(getattr(AdminItem, name).set(value) for name, value in fields.items()),
                AdminItem.session_version.add(1),
            ],
            AdminItem.pk.exists() & (AdminItem.session_version == expected_session_version),
        )
        self._audit(uow, audit)
        uow.commit()

    @staticmethod
    def _acting_owner(uow: UnitOfWork, telegram_id: str, session_version: int) -> None:
        uow.check(
            "acting_owner",
            AdminItem,
            keys.admin_pk(telegram_id),
            "ADMIN",
            (AdminItem.session_version == session_version) & (AdminItem.role == "owner"),
        )

    # --- outbox ------------------------------------------------------------------------------------

    def get_notification(self, notification_id: str) -> Notification | None:
        item = _get(NotificationItem, keys.notification_pk(notification_id), "NOTIFY")
        return mapping.notification(item) if item else None

    def due_notifications(self, now: datetime, limit: int) -> list[Notification]:
        items = Entity.due.query(
            keys.DUE_OUTBOX, Entity.duesk <= f"{to_iso(now)}#\uffff", limit=limit, scan_index_forward=True
        )
        return [mapping.notification(item) for item in items if isinstance(item, NotificationItem)]

    def claim_notification(self, notification: Notification, now: datetime, until: datetime) -> bool:
        """Move pending → sending with a lease; False if another sender got it first."""
        try:
            _update_item(
                "notification",
                NotificationItem(keys.notification_pk(notification.notification_id), "NOTIFY"),
                [
                    NotificationItem.status.set(NotificationStatus.SENDING.value),
                    NotificationItem.claimed_until.set(to_iso(until)),
                    NotificationItem.duesk.set(f"{to_iso(until)}#{notification.notification_id}"),
                    NotificationItem.attempts.add(1),
                ],
                (NotificationItem.attempts == notification.attempts)
                & (
                    (NotificationItem.status == NotificationStatus.PENDING.value)
                    | (
                        (NotificationItem.status == NotificationStatus.SENDING.value)
                        & (NotificationItem.claimed_until < to_iso(now))
                    )
                ),
            )
        except TransactionConflict:
            return False
        return True

    def finish_notification(
        self,
        notification_id: str,
        status: NotificationStatus,
        now: datetime,
        next_attempt_at: datetime | None,
        error: str | None,
    ) -> None:
        """Record a delivery attempt's outcome; ``TransactionConflict`` if the lease was lost meanwhile."""
        actions: list[Action] = [NotificationItem.status.set(status.value)]
        if status == NotificationStatus.SENT:
            actions += [
                NotificationItem.sent_at.set(to_iso(now)),
                NotificationItem.duepk.remove(),
                NotificationItem.duesk.remove(),
            ]
        elif status == NotificationStatus.PENDING and next_attempt_at is not None:
            actions += [
                NotificationItem.next_attempt_at.set(to_iso(next_attempt_at)),
                NotificationItem.duesk.set(f"{to_iso(next_attempt_at)}#{notification_id}"),
            ]
        else:
            actions += [NotificationItem.duepk.remove(), NotificationItem.duesk.remove()]
        if error:
            actions.append(NotificationItem.last_error.set(error[:500]))
        _update_item(
            "notification",
            NotificationItem(keys.notification_pk(notification_id), "NOTIFY"),
            actions,
            NotificationItem.status == NotificationStatus.SENDING.value,
        )

    @staticmethod
    def _outbox(uow: UnitOfWork, notification: Notification, now: datetime) -> None:
        stamp = to_iso(now)
        uow.create(
            f"notification:{notification.notification_id}",
            NotificationItem(
                keys.notification_pk(notification.notification_id),
                "NOTIFY",
                notification_id=notification.notification_id,
                participant_id=notification.participant_id,
                kind=notification.kind.value,
                payload=json.dumps(notification.payload, sort_keys=True, ensure_ascii=False, default=str),
                status=NotificationStatus.PENDING.value,
                attempts=0,
                created_at=stamp,
                next_attempt_at=stamp,
                duepk=keys.DUE_OUTBOX,
                duesk=f"{stamp}#{notification.notification_id}",
            ),
        )

    # --- shared write helpers ------------------------------------------------------------------------

    @staticmethod
    def _ledger(
        uow: UnitOfWork,
        participant_id: str,
        kind: EntryKind,
        delta: BalanceDelta,
        now: datetime,
        idempotency_key: str,
        **details: Any,
    ) -> None:
        stamp = to_iso(now)
        entry_id = entry_id_for(idempotency_key)
        uow.create(
            f"ledger:{participant_id}:{kind.value}",
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
                gsi2pk=keys.feed_pk(FEED_LEDGER, month_of(now)),
                gsi2sk=f"{stamp}#{participant_id}#{entry_id}",
                **details,
            ),
        )

    @staticmethod
    def _guard(uow: UnitOfWork, key: str, operation: str, now: datetime, fingerprint: str) -> None:
        uow.create(
            "guard",
            IdempotencyGuardItem(
                keys.guard_pk(key),
                "GUARD",
                operation=operation,
                created_at=to_iso(now),
                fingerprint=fingerprint,
            ),
        )


def _new_order_item(
    posting: Posting, now: datetime, *, kept_amount: Decimal | None = None, **attribution: Any
) -> OrderItem:
    """A posting's order item, whole, as ``_posting_actions`` (plus ``attribution``) would leave it."""
    created = to_iso(posting.created_at)
    return OrderItem(
        keys.order_pk(posting.posting_number),
        "ORDER",
        posting_number=posting.posting_number,
        order_number=posting.order_number or None,
        scheme=posting.scheme,
        status=posting.status,
        created_at=created,
        delivered_at=to_iso(posting.delivered_at or now) if posting.is_delivered else None,
        amount=posting.amount,
        kept_amount=posting.amount if kept_amount is None else kept_amount,
        customer_id=posting.customer_id or None,
        applied_returns=[],
        products=_posting_lines(posting) if posting.lines else None,
        version=1,
        updated_at=to_iso(now),
        gsi2pk=keys.feed_pk(FEED_ORDERS, month_of(posting.created_at)),
        gsi2sk=f"{created}#{posting.posting_number}",
        **attribution,
    )


def _posting_lines(posting: Posting) -> list[PostingLineAttribute]:
    return [
        PostingLineAttribute(
            sku=line.sku, offer_id=line.offer_id, name=line.name, price=line.price, quantity=line.quantity
        )
        for line in posting.lines
    ]


def _as_read(participant: Participant) -> Condition:
    """The participant still hangs where it was read and has no new direct referral since."""
    sponsor: Condition = (
        ParticipantItem.sponsor_id == participant.sponsor_id
        if participant.sponsor_id
        else ParticipantItem.sponsor_id.does_not_exist()
    )
    no_new_referral: Condition = ParticipantItem.direct_referrals == participant.direct_referrals
    both: Condition = sponsor & no_new_referral
    return both


def _update_item(label: str, item: Model, actions: list[Action], condition: Condition) -> None:
    """A single-item conditional update; a condition that does not hold is a ``TransactionConflict``."""
    try:
        item.update(actions, condition=condition)
    except UpdateError as error:
        if _is_condition_failure(error):
            raise TransactionConflict([label], ["ConditionalCheckFailed"]) from None
        raise


def _get(model: type[M], pk: str, sk: str) -> M | None:
    try:
        return model.get(pk, sk)
    except model.DoesNotExist:
        return None


def _is_condition_failure(error: Exception) -> bool:
    return getattr(error, "cause_response_code", None) == "ConditionalCheckFailedException"
