"""R12 under interleavings: moves decided on the same reading of the tree, newcomers joining a moving
subtree, and a move too large for one transaction that is interrupted and finished later.

An interleaving is driven step by step: the store of the request under test lets another request run to
completion right before its own transaction (``interleaved``), where a real race would put it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import pytest
from referral.domain.participants import Participant, TelegramProfile
from referral.domain.settings import MAX_LEVELS
from referral.errors import ParticipantsChanged, ReferralCycle, TreeChanged
from referral.repository.participants import ParticipantRepository
from referral.repository.tree import TreeRepository
from referral.services import Services
from referral.services.participants import ParticipantService
from referral.services.referral_tree import ReferralTreeService

from tests.support.builders import chain, join
from tests.support.clock import FakeClock

R = TypeVar("R")


def interleaved(repository: type[R], method: str, meanwhile: Callable[[], Any]) -> R:
    """A repository that runs ``meanwhile`` (another request, to completion) once, right before ``method``."""
    pending = [meanwhile]
    original = getattr(repository, method)

    def hooked(self: R, *args: Any, **kwargs: Any) -> Any:
        while pending:
            pending.pop()()
        return original(self, *args, **kwargs)

    hooked_type: type[R] = type(f"Interleaved{repository.__name__}", (repository,), {method: hooked})
    return hooked_type()


class Crash(Exception):
    """The function stopped here (a timeout, a lost container)."""


def crashing(method: str, *, after: int) -> TreeRepository:
    """A tree repository whose ``method`` works ``after`` times, then the process dies on the next call."""
    calls = [0]
    original = getattr(TreeRepository, method)

    def hooked(self: TreeRepository, *args: Any, **kwargs: Any) -> Any:
        calls[0] += 1
        if calls[0] > after:
            raise Crash(method)
        return original(self, *args, **kwargs)

    crashing_type: type[TreeRepository] = type("CrashingTreeRepository", (TreeRepository,), {method: hooked})
    return crashing_type()


def drift(services: Services) -> set[tuple[str, str]]:
    return {(d.participant_id, d.field) for d in services.reconciliation.run().drifts}


def test_r12_two_moves_that_would_close_a_cycle_together_cannot_both_commit(
    services: Services, clock: FakeClock
) -> None:
    join(services, "A")
    join(services, "B")
    # Operator 1 reads the tree (B is not below A), then operator 2 moves B under A and commits.
    racing = ReferralTreeService(
        tree=interleaved(TreeRepository, "commit_reparent", lambda: services.tree.reparent("op-2", "B", "A")),
        clock=clock,
    )

    with pytest.raises(ReferralCycle):
        racing.reparent("op-1", "A", "B")

    a, b = services.participants.get("A"), services.participants.get("B")
    assert (a.sponsor_id, a.ancestors) == (None, ())
    assert (b.sponsor_id, b.ancestors) == ("A", ("A",))
    assert [r.actor_id for r in services.repos.administration.audit_of("participant", "A")] == []
    assert services.reconciliation.run().clean


def test_r12_a_move_decided_on_an_outdated_tree_is_decided_again(
    services: Services, clock: FakeClock
) -> None:
    for top in ("1", "2", "9"):
        join(services, top)
    # Operator 1 reads "2" at the top; meanwhile operator 2 moves "2" under "9".
    racing = ReferralTreeService(
        tree=interleaved(TreeRepository, "commit_reparent", lambda: services.tree.reparent("op-2", "2", "9")),
        clock=clock,
    )

    racing.reparent("op-1", "1", "2")

    assert services.participants.get("1").ancestors == ("2", "9")
    assert services.participants.network("9")[2].referrals == 1
    assert services.reconciliation.run().clean


def test_r12_a_newcomer_registering_under_a_moving_sponsor_gets_the_new_chain(
    services: Services, clock: FakeClock
) -> None:
    _, sponsor = chain(services, "1", "2")
    join(services, "9")
    registering = ParticipantService(
        interleaved(
            ParticipantRepository, "commit_registration", lambda: services.tree.reparent("op", "2", "9")
        ),
        settings=services.settings,
        clock=clock,
    )

    newcomer = registering.register(TelegramProfile("3"), "300000003", sponsor.personal_code).participant

    assert newcomer.ancestors == ("2", "9")
    assert services.participants.get("3").ancestors == ("2", "9")
    assert services.reconciliation.run().clean


def test_r12_a_newcomer_joining_the_moved_subtree_meanwhile_gets_the_new_chain(
    services: Services, clock: FakeClock
) -> None:
    _, moved, child = chain(services, "1", "2", "3")
    join(services, "9")
    moving = ReferralTreeService(
        tree=interleaved(TreeRepository, "commit_reparent", lambda: join(services, "4", child)), clock=clock
    )

    moving.reparent("op", moved.id, "9")

    assert services.participants.get("4").ancestors == ("3", "2", "9")
    assert services.participants.get("9").network_size == 3
    assert services.reconciliation.run().clean


OLD = [f"o{n}" for n in range(1, 11)]
NEW = [f"n{n}" for n in range(1, 11)]
BELOW = [f"s{n}" for n in range(1, 10)]


def deep_move(services: Services) -> Participant:
    """ "M" hangs 10 levels deep with 9 levels below it, and moves under "n10", itself 10 levels deep.

    Its statistics leave 10 old ancestors' levels and join 10 new ones' (55 network levels each): with
    the descendants' chains, more than one transaction of 100 items can hold.
    """
    members = chain(services, *OLD, "M", *BELOW)
    chain(services, *NEW)
    return members[len(OLD)]


def interrupted_move(services: Services, clock: FakeClock, method: str, *, after: int) -> Participant:
    """``deep_move``, with the process dying at the ``after + 1``-th call of the store's ``method``."""
    moved = deep_move(services)
    with pytest.raises(Crash):
        ReferralTreeService(tree=crashing(method, after=after), clock=clock).reparent("op", moved.id, "n10")
    return moved


def expected_chain(participant_id: str) -> tuple[str, ...]:
    line = [*NEW, "M", *BELOW]  # top to bottom
    return tuple(reversed(line[: line.index(participant_id)]))[:MAX_LEVELS]


def test_r12_a_move_too_large_for_one_transaction_left_unfinished_is_finished_exactly_once(
    services: Services, clock: FakeClock
) -> None:
    moved = interrupted_move(services, clock, "apply_pending_levels", after=0)

    # The move itself committed, with a marker of what is left; nothing of that is done yet.
    tree = services.repos.tree.tree_state()
    assert (tree.rechain_root, tree.pending_levels is not None) == (moved.id, True)
    assert services.participants.get(moved.id).ancestors == expected_chain("M")
    assert drift(services) == {(below, "ancestors") for below in BELOW}
    assert services.participants.network("n10") == {}
    # Two runners finishing the same statistics batch: it is added once.
    services.repos.tree.apply_pending_levels(tree)
    with pytest.raises(TreeChanged):
        services.repos.tree.apply_pending_levels(tree)

    finished = services.tree.finish_pending()

    assert not finished.pending
    assert all(services.participants.get(p).ancestors == expected_chain(p) for p in BELOW)
    assert {level: n.referrals for level, n in services.participants.network("n10").items()} == dict.fromkeys(
        range(1, 11), 1
    )
    assert all(n.referrals == 0 for n in services.participants.network("o10").values())
    assert services.reconciliation.run().clean
    assert services.tree.finish_pending() == finished  # nothing left: a no-op


def test_r12_chains_left_half_rebuilt_by_a_crash_are_finished_by_the_next_move(
    services: Services, clock: FakeClock
) -> None:
    interrupted_move(services, clock, "set_chain", after=3)

    stale = {pid for pid, field in drift(services) if field == "ancestors"}
    assert len(stale) == len(BELOW) - 3 and stale < set(BELOW)

    services.tree.reparent("op", "o1", "n1")  # any later move first finishes the unfinished one

    assert not services.repos.tree.tree_state().pending
    assert all(services.participants.get(p).ancestors == expected_chain(p) for p in BELOW)
    assert services.participants.get("n10").network_size == 1 + len(BELOW)
    assert services.participants.get("o10").network_size == 0
    assert services.reconciliation.run().clean


def test_single_item_condition_failures_surface_as_domain_errors(services: Services) -> None:
    from referral.errors import NotFound

    _, moved = chain(services, "1", "2")

    with pytest.raises(NotFound) as missing:
        services.repos.links.count_click("NOSUCHCODE")
    with pytest.raises(ParticipantsChanged) as moved_meanwhile:
        services.repos.tree.set_chain(moved.id, "someone-else", ("someone-else",))

    assert missing.value.reason == "link_not_found"
    assert moved_meanwhile.value.participants == {moved.id}
    assert services.participants.get(moved.id).ancestors == ("1",)
