"""Re-parenting participants (R12): cycles refused, the moved subtree's chains and statistics updated."""

from __future__ import annotations

import contextlib
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from referral.clock import utcnow
from referral.domain.audit import AuditRecord, Change
from referral.domain.participants import Participant
from referral.domain.referral_tree import chain_under, check_new_sponsor
from referral.domain.settings import MAX_LEVELS
from referral.errors import Conflict, NotFound, ParticipantsChanged, TreeChanged
from referral.repository.participants import ParticipantRepository
from referral.repository.tree import LevelShift, Move, TreeRepository, TreeState

DECISIONS = 5
"""How often a move is decided again on a fresh reading of the tree when the tree changed meanwhile."""


@dataclass(frozen=True, slots=True)
class ReparentResult:
    participant_id: str
    old_sponsor_id: str | None
    new_sponsor_id: str | None
    rechained: int


class ReferralTreeService:
    def __init__(
        self,
        participants: ParticipantRepository | None = None,
        tree: TreeRepository | None = None,
        *,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.participants = participants or ParticipantRepository()
        self.tree = tree or TreeRepository()
        self.clock = clock

    def lineage(self, participant: Participant) -> list[str]:
        """All ancestors, however deep: chains are cut at MAX_LEVELS, so walk further when needed."""
        lineage = list(participant.ancestors)
        seen = {participant.id, *lineage}
        top = participant
        while len(top.ancestors) == MAX_LEVELS:
            above = self.participants.get_participant(top.ancestors[-1])
            if above is None:
                break
            extra = [a for a in above.ancestors if a not in seen]
            if not extra:
                break
            lineage.extend(extra)
            seen.update(extra)
            top = above
        return lineage

    def subtree(self, root_id: str, max_depth: int = MAX_LEVELS - 1) -> list[tuple[Participant, int]]:
        """Descendants of ``root_id`` with their depth below it (1 = direct referral)."""
        found: list[tuple[Participant, int]] = []
        frontier = [root_id]
        for depth in range(1, max_depth + 1):
            next_frontier = []
            for parent in frontier:
                for child in self.participants.all_referrals_of(parent):
                    found.append((child, depth))
                    next_frontier.append(child.id)
            if not next_frontier:
                break
            frontier = next_frontier
        return found

    def reparent(
        self, actor_id: str, participant_id: str, new_sponsor_id: str | None, reason: str | None = None
    ) -> ReparentResult:
        """R12: move a participant (and their subtree) under a new sponsor; cycles are refused.

        The decision (cycle check, new chains, statistics) rests on a reading of the tree; the transaction
        commits only if no other move committed since (the tree guard's version) and no newcomer joined
        the moved subtree, otherwise the move is decided again on a fresh reading. So two moves that
        would close a cycle together ("A under B" racing "B under A") cannot both commit.
        """
        for _ in range(DECISIONS):
            tree = self.finish_pending()
            moved = self.participants.get_participant(participant_id)
            if moved is None:
                raise NotFound(
                    "Participant not found.",
                    details={"participant_id": participant_id},
                    reason="participant_not_found",
                )
            if new_sponsor_id == moved.sponsor_id:
                return ReparentResult(participant_id, moved.sponsor_id, new_sponsor_id, 0)
            sponsor = None
            if new_sponsor_id is not None:
                sponsor = self.participants.get_participant(new_sponsor_id)
                if sponsor is None:
                    raise NotFound(
                        "The new sponsor is not a participant.",
                        details={"sponsor_id": new_sponsor_id},
                        reason="sponsor_not_found",
                    )
            check_new_sponsor(moved.id, new_sponsor_id, tuple(self.lineage(sponsor)) if sponsor else ())
            new_chain = chain_under(sponsor.id, sponsor.ancestors) if sponsor else ()
            subtree = self.subtree(moved.id)
            rechain = _chains_below(moved.id, new_chain, subtree)
            shift = _statistics_shift(moved, subtree, moved.ancestors, new_chain)
            now = self.clock()
            audit = AuditRecord(
                audit_id=uuid.uuid4().hex,
                actor_id=actor_id,
                action="participant.reparent",
                object_type="participant",
                object_id=moved.id,
                object_name=moved.profile.display_name,
                created_at=now,
                changes=(Change("sponsor_id", moved.sponsor_id, new_sponsor_id),),
                reason=reason,
            )
            move = Move(moved, new_sponsor_id, new_chain, rechain, shift, audit)
            try:
                complete = self.tree.commit_reparent(move, tree, now)
            except (TreeChanged, ParticipantsChanged):
                continue  # another move, or a newcomer in the subtree, committed meanwhile
            if not complete:
                self.finish_pending()
            return ReparentResult(moved.id, moved.sponsor_id, new_sponsor_id, len(rechain))
        raise Conflict(
            "The network kept changing while the sponsor was being changed; try again.", reason="busy_retry"
        )

    def finish_pending(self) -> TreeState:
        """Finish what a move too large for one transaction left: statistics batches, then the chains.

        Idempotent and safe to run concurrently: each statistics batch is applied in a transaction that
        removes it from the guard, chains are rewritten from the current tree, and the marker is cleared
        last. A crash in between leaves the marker; the next move or the reconcile function resumes here.
        """
        tree = self.tree.tree_state()
        while tree.pending_levels is not None:
            with contextlib.suppress(TreeChanged):  # another runner applied this batch
                self.tree.apply_pending_levels(tree)
            tree = self.tree.tree_state()
        if tree.rechain_root is not None:
            root = self.participants.get_participant(tree.rechain_root)
            if root is not None:
                self.propagate_chain(root.id, root.ancestors)
            with contextlib.suppress(TreeChanged):  # another runner finished it
                self.tree.finish_rechain(tree.rechain_root)
            tree = self.tree.tree_state()
        return tree

    def propagate_chain(self, root_id: str, root_chain: tuple[str, ...]) -> int:
        """Rewrite the chains below ``root_id`` from its current chain. Idempotent: safe to re-run."""
        updated = 0
        for node, chain in _chains_below(root_id, root_chain, self.subtree(root_id)):
            try:
                self.tree.set_chain(node.id, node.sponsor_id, chain)
            except ParticipantsChanged:
                continue  # moved or gone meanwhile: its own move rewrote its chain
            updated += 1
        return updated


def _chains_below(
    root_id: str, root_chain: tuple[str, ...], subtree: list[tuple[Participant, int]]
) -> list[tuple[Participant, tuple[str, ...]]]:
    """The descendants whose chain differs from what ``root_chain`` gives them, with their new chain."""
    chains: dict[str, tuple[str, ...]] = {root_id: root_chain}
    changed = []
    for node, _depth in sorted(subtree, key=lambda pair: pair[1]):
        if node.sponsor_id is None or node.sponsor_id not in chains:
            continue
        chain = chain_under(node.sponsor_id, chains[node.sponsor_id])
        chains[node.id] = chain
        if tuple(node.ancestors) != chain:
            changed.append((node, chain))
    return changed


def _statistics_shift(
    moved: Participant,
    subtree: list[tuple[Participant, int]],
    old_chain: tuple[str, ...],
    new_chain: tuple[str, ...],
) -> LevelShift:
    """Per (ancestor, level): referrals, orders and purchase sum leaving old ancestors, joining new ones."""
    by_depth: dict[int, list[int | Decimal]] = defaultdict(lambda: [0, 0, Decimal(0)])
    for node, depth in [(moved, 0), *subtree]:
        totals = by_depth[depth]
        totals[0] = int(totals[0]) + 1
        totals[1] = int(totals[1]) + node.orders_count
        totals[2] = Decimal(totals[2]) + node.purchases_sum
    shift: dict[tuple[str, int], list[int | Decimal]] = defaultdict(lambda: [0, 0, Decimal(0)])
    for sign, chain in ((-1, old_chain), (1, new_chain)):
        for distance, ancestor in enumerate(chain, start=1):
            for depth, (count, orders, amount) in by_depth.items():
                level = distance + depth
                if level > MAX_LEVELS:
                    continue
                entry = shift[(ancestor, level)]
                entry[0] = int(entry[0]) + sign * int(count)
                entry[1] = int(entry[1]) + sign * int(orders)
                entry[2] = Decimal(entry[2]) + sign * Decimal(amount)
    return {key: (int(v[0]), int(v[1]), Decimal(v[2])) for key, v in shift.items() if any(v)}
