"""R11 (audit of operators' changes) and R12 (re-parenting)."""

from __future__ import annotations

from typing import Any

import pytest
from referral.domain.ledger import EntryKind
from referral.domain.orders import Attribution
from referral.domain.withdrawals import WithdrawalStatus
from referral.errors import Conflict, InsufficientFunds, InvalidInput
from referral.services import Services

from tests.support.builders import chain, join, posting
from tests.support.clock import FakeClock


def test_r11_a_balance_correction_writes_a_ledger_entry_and_an_audit_record(services: Services) -> None:
    participant = join(services, "1")

    applied = services.ledger.correct_balance(
        "admin-7",
        participant.id,
        available_change=40,
        total_change=100,
        reason="goodwill",
        idempotency_key="c1",
    )
    repeated = services.ledger.correct_balance(
        "admin-7",
        participant.id,
        available_change=40,
        total_change=100,
        reason="goodwill",
        idempotency_key="c1",
    )

    assert (applied, repeated) == (True, False)
    balances = services.participants.get(participant.id).balances
    assert (balances.available, balances.frozen) == (40, 60)
    [entry] = services.ledger.entries_of(participant.id)
    assert (entry.kind, entry.actor_id, entry.reason, entry.credit) == (
        EntryKind.CORRECTION,
        "admin-7",
        "goodwill",
        100,
    )
    [record] = services.repos.administration.audit_of("participant", participant.id)
    assert (record.actor_id, record.action, record.reason) == (
        "admin-7",
        "participant.balance_correction",
        "goodwill",
    )
    assert {(c.attribute, c.old, c.new) for c in record.changes} == {
        ("available", "0", "40"),
        ("frozen", "0", "60"),
        ("total", "0", "100"),
    }


def test_r11_a_retried_correction_is_already_applied_whatever_the_balance_is_now(
    services: Services,
) -> None:
    participant = join(services, "1")
    services.ledger.correct_balance(
        "a", participant.id, available_change=300, total_change=300, reason="seed", idempotency_key="seed"
    )
    take = {"available_change": -200, "total_change": -200, "reason": "payout", "idempotency_key": "take"}

    first = services.ledger.correct_balance("a", participant.id, **take)  # 100 left: -200 would not fit now
    retried = services.ledger.correct_balance("a", participant.id, **take)

    assert (first, retried) == (True, False)
    balances = services.participants.get(participant.id).balances
    assert (balances.available, balances.frozen) == (100, 0)
    assert len(services.ledger.entries_of(participant.id)) == 2


@pytest.mark.parametrize(
    "other",
    [
        {"participant": "2"},
        {"available_change": 60, "total_change": 60},
        {"reason": "another reason"},
    ],
)
def test_r11_a_correction_key_reused_for_another_request_is_refused(
    services: Services, other: dict[str, Any]
) -> None:
    join(services, "1")
    join(services, "2")
    request = {"participant": "1", "available_change": 50, "total_change": 50, "reason": "goodwill"}
    changed = {**request, **other}

    def correct(participant: str, available_change: int, total_change: int, reason: str) -> bool:
        return services.ledger.correct_balance(
            "a",
            participant,
            available_change=available_change,
            total_change=total_change,
            reason=reason,
            idempotency_key="k-1",
        )

    assert correct(**request) is True
    with pytest.raises(Conflict) as refused:
        correct(**changed)

    assert refused.value.reason == "idempotency_key_reused"
    assert services.participants.get("1").balances.available == 50
    assert services.participants.get("2").balances.available == 0
    assert len(services.ledger.entries_of("1")) == 1 and services.ledger.entries_of("2") == []


def test_r11_corrections_need_a_reason_and_cannot_make_balances_negative(services: Services) -> None:
    participant = join(services, "1")
    with pytest.raises(InvalidInput, match="reason"):
        services.ledger.correct_balance(
            "a", participant.id, available_change=5, total_change=5, reason=" ", idempotency_key="x"
        )
    with pytest.raises(InsufficientFunds):
        services.ledger.correct_balance(
            "a", participant.id, available_change=-5, total_change=-5, reason="r", idempotency_key="y"
        )
    assert services.ledger.entries_of(participant.id) == []
    assert services.repos.administration.audit_of("participant", participant.id) == []


def test_r11_settings_blocking_and_withdrawal_changes_are_audited(services: Services) -> None:
    participant = join(services, "1")
    services.settings.update("owner-1", {"hold_days": 14}, reason="shorter returns")
    services.participants.set_blocked("op-2", participant.id, True, reason="spam")
    services.ledger.correct_balance(
        "op-2", participant.id, available_change=500, total_change=500, reason="seed", idempotency_key="s"
    )
    services.participants.set_blocked("op-2", participant.id, False)
    withdrawal = services.withdrawals.request(participant.id, 200, "w")
    services.withdrawals.change_status("op-3", withdrawal.withdrawal_id, WithdrawalStatus.NEGOTIATION)

    [settings_record] = services.repos.administration.audit_of("settings", "settings")
    assert (settings_record.actor_id, settings_record.reason) == ("owner-1", "shorter returns")
    assert [(c.attribute, c.old, c.new) for c in settings_record.changes] == [("hold_days", "30", "14")]
    actions = [r.action for r in services.repos.administration.audit_of("participant", participant.id)]
    assert sorted(actions) == ["participant.balance_correction", "participant.block", "participant.unblock"]
    [withdrawal_record] = services.repos.administration.audit_of("withdrawal", withdrawal.withdrawal_id)
    assert [(c.old, c.new) for c in withdrawal_record.changes] == [("new", "negotiation")]
    settings, version = services.settings.versioned()
    assert (settings.hold_days, version) == (14, 1)


def test_r12_reparenting_moves_the_subtree_and_refuses_cycles(services: Services, clock: FakeClock) -> None:
    old_top, old_sponsor, moved, _child, grandchild = chain(services, "1", "2", "3", "4", "5")
    new_sponsor = join(services, "9")
    clock.advance(hours=1)
    services.purchases.record_purchase(posting(clock.now, "1000"), grandchild.id, Attribution.CUSTOMER_ID)

    result = services.tree.reparent("admin", moved.id, new_sponsor.id, reason="asked by both")

    assert (result.old_sponsor_id, result.new_sponsor_id, result.rechained) == ("2", "9", 2)
    assert services.participants.get("3").ancestors == ("9",)
    assert services.participants.get("4").ancestors == ("3", "9")
    assert services.participants.get("5").ancestors == ("4", "3", "9")
    # past accruals are not recomputed
    assert services.participants.get(old_sponsor.id).balances.frozen == 50
    assert services.participants.get(new_sponsor.id).balances.frozen == 0
    # new purchases follow the new chain
    services.purchases.record_purchase(posting(clock.now, "1000"), grandchild.id, Attribution.CUSTOMER_ID)
    assert services.participants.get(new_sponsor.id).balances.frozen == 50
    assert services.participants.get(old_sponsor.id).balances.frozen == 50
    # network statistics moved with the subtree
    assert services.participants.get(old_sponsor.id).network_size == 0
    assert services.participants.get(old_top.id).network_size == 1
    assert (services.participants.get("9").direct_referrals, services.participants.get("9").network_size) == (
        1,
        3,
    )
    assert services.participants.network("9")[3].orders == 2
    assert services.participants.network(old_sponsor.id)[3].orders == 0
    # the change is audited and a cycle is refused
    [record] = services.repos.administration.audit_of("participant", moved.id)
    assert [(c.attribute, c.old, c.new) for c in record.changes] == [("sponsor_id", "2", "9")]
    from referral.errors import ReferralCycle

    with pytest.raises(ReferralCycle):
        services.tree.reparent("admin", new_sponsor.id, grandchild.id)
    assert services.reconciliation.run().clean


def test_r12_cycles_are_found_beyond_the_stored_chain_depth(services: Services) -> None:
    members = chain(services, *[str(i) for i in range(1, 15)])
    from referral.errors import ReferralCycle

    with pytest.raises(ReferralCycle):
        services.tree.reparent("admin", members[0].id, members[-1].id)
    assert services.participants.get(members[0].id).sponsor_id is None


def test_r12_a_participant_can_be_detached_to_the_top(services: Services) -> None:
    _, moved, child = chain(services, "1", "2", "3")

    services.tree.reparent("admin", moved.id, None, reason="left the network")

    assert services.participants.get(moved.id).sponsor_id is None
    assert services.participants.get(child.id).ancestors == ("2",)
    assert services.participants.get("1").network_size == 0
