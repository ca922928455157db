"""Request numbers under DynamoDB's cancellations: contention is retried under the same token and takes
one number; a number lost to another request is taken again from a fresh read, leaving no gap."""

from __future__ import annotations

from referral.repository import keys
from referral.repository.models import WithdrawalCounterItem, WithdrawalNumberItem
from referral.services import Services

from tests.faults.conftest import Faults
from tests.support.builders import join

COUNTER = (keys.WITHDRAWAL_COUNTER_PK, keys.COUNTER_SK)


def _funded(services: Services, user_id: str) -> str:
    participant = join(services, user_id)
    services.ledger.correct_balance(
        "admin",
        participant.id,
        available_change=1000,
        total_change=1000,
        reason="seed",
        idempotency_key=user_id,
    )
    return participant.id


def _numbers() -> dict[int, str]:
    return {int(i.pk.split("#")[1]): i.withdrawal_id for i in WithdrawalNumberItem.scan()}


def test_a_transaction_conflict_on_the_counter_is_retried_and_takes_one_number(
    services: Services, faults: Faults
) -> None:
    pid = _funded(services, "1")
    faults.calls.clear()
    faults.cancel("TransactionConflict", 2, on=COUNTER)

    first = services.withdrawals.request(pid, 100, "a")
    second = services.withdrawals.request(pid, 100, "b")

    assert (first.number, second.number) == (1, 2)
    assert len({call.token for call in faults.calls[:3]}) == 1, "contention retries reuse the token"
    assert _numbers() == {1: first.withdrawal_id, 2: second.withdrawal_id}
    assert WithdrawalCounterItem.get(*COUNTER).last == 2


def test_a_number_lost_to_another_request_is_taken_again_without_a_gap(
    services: Services, faults: Faults
) -> None:
    pid = _funded(services, "1")
    faults.calls.clear()
    faults.cancel("ConditionalCheckFailed", 3, on=COUNTER)

    made = services.withdrawals.request(pid, 100, "a")

    assert made.number == 1
    assert len(faults.calls) == 4
    assert len({call.token for call in faults.calls}) == 4, "each new number is a new transaction"
    assert _numbers() == {1: made.withdrawal_id}
    assert services.withdrawals.participants.get_participant(pid).balances.reserved == 100  # type: ignore[union-attr]
