"""Every money operation under DynamoDB's cancellation reasons: contention and throttling are retried and
end exactly once, failed conditions are refused with the domain's error, invalid requests are not retried."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from referral.domain.orders import Attribution
from referral.domain.participants import Participant
from referral.errors import Conflict, InsufficientFunds, InvalidTransition
from referral.repository import keys
from referral.repository.unit_of_work import TransactionRejected
from referral.services import Services

from tests.faults.conftest import Faults
from tests.support.builders import chain, join, posting
from tests.support.clock import FakeClock

RETRIABLE = [
    "TransactionConflict",
    "ThrottlingError",
    "ProvisionedThroughputExceeded",
    "RequestLimitExceeded",
]


@dataclass
class Operation:
    """A money operation ready to run, and the item whose failed condition it must answer with ``refusal``."""

    run: Callable[[], object]
    refused_on: tuple[str, str]
    refusal: type[Exception]


def _funded(services: Services, user_id: str, points: int = 1000) -> Participant:
    participant = join(services, user_id)
    services.ledger.correct_balance(
        "admin",
        participant.id,
        available_change=points,
        total_change=points,
        reason="seed",
        idempotency_key=f"seed-{user_id}",
    )
    return participant


def _purchase(services: Services, clock: FakeClock) -> Operation:
    _, buyer = chain(services, "1", "2")
    clock.advance(hours=1)
    bought = posting(clock.now, "2000.00", number="P-1")
    return Operation(
        lambda: services.purchases.record_purchase(bought, buyer.id, Attribution.CUSTOMER_ID),
        (keys.order_pk("P-1"), keys.ORDER_SK),
        Conflict,
    )


def _return(services: Services, clock: FakeClock) -> Operation:
    _, buyer = chain(services, "1", "2")
    clock.advance(hours=1)
    services.purchases.record_purchase(
        posting(clock.now, "2000.00", number="P-1"), buyer.id, Attribution.CLAIM
    )
    return Operation(
        lambda: services.purchases.apply_return("P-1", "R-1", "500.00"),
        (keys.order_pk("P-1"), keys.ORDER_SK),
        Conflict,
    )


def _withdrawal_request(services: Services, clock: FakeClock) -> Operation:
    rich = _funded(services, "1")
    return Operation(
        lambda: services.withdrawals.request(rich.id, 300, "req-1"),
        (keys.participant_pk(rich.id), keys.PROFILE),
        InsufficientFunds,
    )


def _withdrawal_rejection(services: Services, clock: FakeClock) -> Operation:
    rich = _funded(services, "1")
    withdrawal = services.withdrawals.request(rich.id, 300, "req-1")
    return Operation(
        lambda: services.withdrawals.change_status("admin", withdrawal.withdrawal_id, "rejected", "no card"),
        (keys.withdrawal_pk(withdrawal.withdrawal_id), keys.WITHDRAWAL_SK),
        InvalidTransition,
    )


def _correction(services: Services, clock: FakeClock) -> Operation:
    participant = _funded(services, "1")
    return Operation(
        lambda: services.ledger.correct_balance(
            "admin",
            participant.id,
            available_change=-100,
            total_change=-100,
            reason="fix",
            idempotency_key="fix-1",
        ),
        (keys.participant_pk(participant.id), keys.PROFILE),
        InsufficientFunds,
    )


def _reparent(services: Services, clock: FakeClock) -> Operation:
    top, _, moved = chain(services, "1", "2", "3")
    clock.advance(hours=1)
    services.purchases.record_purchase(posting(clock.now, "1000.00"), moved.id, Attribution.CLAIM)
    return Operation(
        lambda: services.tree.reparent("admin", moved.id, top.id, reason="asked"),
        (keys.TREE_PK, keys.TREE_SK),
        Conflict,
    )


OPERATIONS: dict[str, Callable[[Services, FakeClock], Operation]] = {
    "purchase": _purchase,
    "return": _return,
    "withdrawal_request": _withdrawal_request,
    "withdrawal_status": _withdrawal_rejection,
    "correction": _correction,
    "reparent": _reparent,
}


def _ledger_state(services: Services) -> dict[str, list[str]]:
    """Every participant's ledger (entry ids), after checking balances equal the ledger's sums."""
    report = services.reconciliation.run()
    assert report.clean, report.drifts
    participants = [pid for pid in ("1", "2", "3") if services.participants.find(pid) is not None]
    state = {pid: sorted(e.entry_id for e in services.ledger.entries_of(pid)) for pid in participants}
    for entries in state.values():
        assert len(entries) == len(set(entries)), "an idempotency key was applied twice"
    return state


@pytest.mark.parametrize("reason", RETRIABLE)
@pytest.mark.parametrize("name", OPERATIONS)
def test_contention_and_throttling_are_retried_with_backoff_and_apply_once(
    services: Services, clock: FakeClock, faults: Faults, name: str, reason: str
) -> None:
    operation = OPERATIONS[name](services, clock)
    before = _ledger_state(services)
    faults.calls.clear()
    faults.cancel(reason, 2)

    operation.run()

    assert len(faults.calls) == 3
    assert len({call.token for call in faults.calls}) == 1, "a retry must reuse the request's token"
    assert faults.sleeps == [0.025, 0.05]
    after = _ledger_state(services)
    added = sum(len(after[pid]) - len(before.get(pid, [])) for pid in after)
    assert added >= (0 if name == "reparent" else 1)


@pytest.mark.parametrize("name", OPERATIONS)
def test_a_failed_condition_is_refused_with_the_domain_error_and_writes_nothing(
    services: Services, clock: FakeClock, faults: Faults, name: str
) -> None:
    operation = OPERATIONS[name](services, clock)
    before = _ledger_state(services)
    faults.cancel("ConditionalCheckFailed", 10, on=operation.refused_on)

    with pytest.raises(operation.refusal):
        operation.run()

    assert faults.sleeps == []
    assert _ledger_state(services) == before


@pytest.mark.parametrize("name", OPERATIONS)
def test_a_validation_error_is_surfaced_and_not_retried(
    services: Services, clock: FakeClock, faults: Faults, name: str
) -> None:
    operation = OPERATIONS[name](services, clock)
    before = _ledger_state(services)
    faults.calls.clear()
    faults.cancel("ValidationError")

    with pytest.raises(TransactionRejected):
        operation.run()

    assert len(faults.calls) == 1
    assert faults.sleeps == []
    assert _ledger_state(services) == before


def test_retries_stop_when_the_budget_is_spent(services: Services, clock: FakeClock, faults: Faults) -> None:
    operation = _withdrawal_request(services, clock)
    before = _ledger_state(services)
    faults.calls.clear()
    faults.cancel("TransactionConflict", 50)

    with pytest.raises(Conflict) as refused:
        operation.run()

    assert refused.value.reason == "busy_retry"
    assert len(faults.calls) == 6
    assert faults.sleeps == [0.025, 0.05, 0.1, 0.2, 0.4]
    assert _ledger_state(services) == before


def test_a_release_retries_contention_and_counts_a_failed_condition_as_a_lost_race(
    services: Services, clock: FakeClock, faults: Faults
) -> None:
    _, buyer = chain(services, "1", "2")
    clock.advance(hours=1)
    bought = posting(clock.now, "2000.00", number="P-1")
    services.purchases.record_purchase(bought, buyer.id, Attribution.CLAIM)
    services.purchases.apply_status(bought.with_status("delivered"))
    clock.advance(days=31)
    [accrual, *_] = services.repos.orders.due_accruals(clock.now, 10)
    accrual_key = (keys.participant_pk(accrual.participant_id), keys.accrual_sk("P-1", accrual.level))

    faults.cancel("ConditionalCheckFailed", on=accrual_key)
    lost = services.release.release_matured()
    faults.cancel("ThrottlingError", 2)
    retried = services.release.release_matured()

    assert (lost.conflicts, retried.conflicts, retried.released) == (1, 0, lost.released + 1)
    assert services.release.release_matured().released == 0
    _ledger_state(services)


def test_a_withdrawal_balance_conflict_is_not_reported_as_a_status_change(
    services: Services, clock: FakeClock, faults: Faults
) -> None:
    rich = _funded(services, "1")
    withdrawal = services.withdrawals.request(rich.id, 300, "req-1")
    faults.cancel("ConditionalCheckFailed", on=(keys.participant_pk(rich.id), keys.PROFILE))

    with pytest.raises(Conflict) as refused:
        services.withdrawals.change_status("admin", withdrawal.withdrawal_id, "rejected", "no card")

    assert not isinstance(refused.value, InvalidTransition)
    assert refused.value.reason == "balance_changed"
    assert services.withdrawals.get(withdrawal.withdrawal_id).status == "new"


def test_a_registration_under_contention_commits_once(services: Services, faults: Faults) -> None:
    sponsor = join(services, "1")
    faults.calls.clear()
    faults.cancel("TransactionConflict", 2)

    newcomer = join(services, "2", sponsor)

    assert len(faults.calls) == 3
    assert services.participants.get(newcomer.id).ancestors == (sponsor.id,)
    assert services.participants.get(sponsor.id).direct_referrals == 1
    assert services.participants.network(sponsor.id)[1].referrals == 1


def test_a_rejected_transaction_is_logged_with_its_labels(
    services: Services, clock: FakeClock, faults: Faults, caplog: pytest.LogCaptureFixture
) -> None:
    operation = _correction(services, clock)
    faults.cancel("ValidationError")

    with pytest.raises(TransactionRejected) as rejected:
        operation.run()

    [record] = [r for r in caplog.records if r.getMessage() == "DynamoDB rejected a transaction"]
    assert record.levelname == "ERROR"
    assert "guard" in rejected.value.labels and "audit" in rejected.value.labels
    assert getattr(record, "labels") == rejected.value.labels  # noqa: B009
