"""The referral tree's moves (R12): re-parenting under the tree guard, and finishing large moves later."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action

from referral.clock import to_iso
from referral.domain.audit import AuditRecord
from referral.domain.participants import Participant
from referral.errors import DomainError, TreeChanged
from referral.repository import keys
from referral.repository.administration import add_audit
from referral.repository.changes import (
    Changes,
    commit,
    participants_changed,
    profile_label,
    touches_participants,
    update_item,
)
from referral.repository.models import ParticipantItem, TreeGuardItem
from referral.repository.participants import participant_ref
from referral.repository.unit_of_work import (
    MAX_TRANSACTION_ITEMS,
    CommittedNotices,
    TransactionConflict,
    UnitOfWork,
)

TREE = "tree"


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


def _move_refusal(conflict: TransactionConflict) -> DomainError:
    if conflict.failed_on(TREE):
        return TreeChanged("Another move of the network committed meanwhile.")
    if touches_participants(conflict):
        return participants_changed(conflict)
    return conflict


def _guard() -> TreeGuardItem:
    return TreeGuardItem(keys.TREE_PK, keys.TREE_SK)


class TreeRepository:
    """Moves of participants under new sponsors, conditioned on the tree guard."""

    def __init__(self, notices: CommittedNotices | None = None) -> None:
        self._notices = notices

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
        chain about to change) makes the move fail (``ParticipantsChanged``) and be decided again, as
        another move committed meanwhile does (``TreeChanged``).

        True if everything committed. False if it did not fit one transaction: the move, the ancestors'
        counters and the audit record committed with a marker on the tree guard listing what is left
        (the statistics batches and the subtree's chains), for ``apply_pending_levels`` and
        ``finish_rechain`` to finish, idempotently.
        """
        whole = self._reparent_work(move, tree, now)
        if len(whole) <= MAX_TRANSACTION_ITEMS:
            commit(whole, _move_refusal)
            return True
        commit(self._reparent_work(move, tree, now, pending=_pending_batches(move)), _move_refusal)
        return False

    def _reparent_work(
        self, move: Move, tree: TreeState, now: datetime, *, pending: str | None = None
    ) -> UnitOfWork:
        """The move's transaction: everything, or (``pending`` given) the core and the follow-up marker."""
        uow = UnitOfWork(self._notices)
        uow.update(TREE, _guard(), _guard_actions(move, now, pending), _unchanged(tree))
        changes = Changes(uow)
        _move_profile(changes, move)
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
        add_audit(uow, move.audit)
        return uow

    def apply_pending_levels(self, tree: TreeState) -> None:
        """Add the next pending batch of network statistics, exactly once: the guard must still list it.

        ``TreeChanged`` if another runner applied it first.
        """
        if not tree.pending_levels:
            return
        batches = json.loads(tree.pending_levels)
        rest = batches[1:]
        uow = UnitOfWork(self._notices)
        uow.update(
            TREE,
            _guard(),
            [
                TreeGuardItem.pending_levels.set(json.dumps(rest))
                if rest
                else TreeGuardItem.pending_levels.remove()
            ],
            TreeGuardItem.pending_levels == tree.pending_levels,
        )
        changes = Changes(uow)
        for ancestor, level, referrals, orders, amount in batches[0]:
            changes.level(ancestor, level, referrals=referrals, orders=orders, amount=Decimal(amount))
        changes.flush()
        commit(uow, _move_refusal)

    def finish_rechain(self, root_id: str) -> None:
        """The chains below ``root_id`` are rebuilt: clear the marker (once, else ``TreeChanged``)."""
        try:
            update_item(
                TREE,
                _guard(),
                [TreeGuardItem.rechain_root.remove(), TreeGuardItem.pending_since.remove()],
                TreeGuardItem.rechain_root == root_id,
            )
        except TransactionConflict as conflict:
            raise _move_refusal(conflict) from None

    def set_chain(self, participant_id: str, expected_sponsor: str | None, chain: tuple[str, ...]) -> None:
        """Rewrite a descendant's ancestor chain after a move (idempotent, conditioned on its sponsor).

        ``ParticipantsChanged`` if it was moved or is gone meanwhile.
        """
        condition = ParticipantItem.pk.exists() & _sponsored_by(expected_sponsor)
        try:
            update_item(
                profile_label(participant_id),
                participant_ref(participant_id),
                [ParticipantItem.ancestors.set(list(chain))],
                condition,
            )
        except TransactionConflict as conflict:
            raise participants_changed(conflict) from None


def _pending_batches(move: Move) -> str:
    """The network statistics of a move too large for one transaction, in batches that each fit one."""
    batches: list[list[list[Any]]] = [[]]
    for (ancestor, level), (referrals, orders, amount) in sorted(move.level_shift.items()):
        if len(batches[-1]) >= MAX_TRANSACTION_ITEMS - 1:
            batches.append([])
        batches[-1].append([ancestor, level, referrals, orders, str(amount)])
    return json.dumps([batch for batch in batches if batch])


def _guard_actions(move: Move, now: datetime, pending: str | None) -> list[Action]:
    actions: list[Action] = [TreeGuardItem.entity_type.set(TreeGuardItem), TreeGuardItem.version.add(1)]
    if pending is not None:
        actions += [
            TreeGuardItem.rechain_root.set(move.moved.id),
            TreeGuardItem.pending_levels.set(pending),
            TreeGuardItem.pending_since.set(to_iso(now)),
        ]
    return actions


def _unchanged(tree: TreeState) -> Condition:
    """No other move committed since ``tree`` was read, and none is left unfinished."""
    version: Condition = (
        TreeGuardItem.version == tree.version if tree.version else TreeGuardItem.pk.does_not_exist()
    )
    both: Condition = (
        version & TreeGuardItem.rechain_root.does_not_exist() & TreeGuardItem.pending_levels.does_not_exist()
    )
    return both


def _move_profile(changes: Changes, move: Move) -> None:
    moved, new_sponsor_id = move.moved, move.new_sponsor_id
    changes.profile(
        moved.id,
        ParticipantItem.ancestors.set(list(move.new_chain)),
        *(
            [ParticipantItem.sponsor_id.set(new_sponsor_id)]
            if new_sponsor_id
            else [ParticipantItem.sponsor_id.remove()]
        ),
        ParticipantItem.gsi1pk.set(keys.sponsor_gsi(new_sponsor_id)),
        ParticipantItem.gsi1sk.set(keys.dated(to_iso(moved.registered_at), moved.id)),
        condition=_as_read(moved),
    )


def _sponsored_by(sponsor_id: str | None) -> Condition:
    condition: Condition = (
        ParticipantItem.sponsor_id == sponsor_id
        if sponsor_id
        else ParticipantItem.sponsor_id.does_not_exist()
    )
    return condition


def _as_read(participant: Participant) -> Condition:
    """The participant still hangs where it was read and has no new direct referral since."""
    both: Condition = _sponsored_by(participant.sponsor_id) & (
        ParticipantItem.direct_referrals == participant.direct_referrals
    )
    return both
