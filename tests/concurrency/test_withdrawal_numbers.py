"""Request numbers under real concurrency: requests created at the same instant get distinct, gapless
numbers (threads against a moto server, as in ``test_concurrent_writes``)."""

from __future__ import annotations

import pytest
from referral.repository.models import WithdrawalNumberItem
from referral.services import Services

from tests.concurrency.test_concurrent_writes import (  # noqa: F401 (fixtures)
    _serialise_requests,
    clock,
    moto_endpoint,
    services,
    together,
)
from tests.support.builders import join

pytestmark = pytest.mark.concurrency


def test_requests_created_together_get_sequential_unique_numbers(services: Services) -> None:  # noqa: F811
    people = []
    for n in range(6):
        participant = join(services, str(700 + n))
        services.ledger.correct_balance(
            "admin",
            participant.id,
            available_change=500,
            total_change=500,
            reason="s",
            idempotency_key=str(n),
        )
        people.append(participant.id)

    outcomes = together(*[lambda pid=pid: services.withdrawals.request(pid, 100, "k") for pid in people])

    assert [o.error for o in outcomes] == [None] * len(people)
    numbers = sorted(o.value.number for o in outcomes)
    assert numbers == list(range(1, len(people) + 1))
    claimed = {int(i.pk.split("#")[1]): i.withdrawal_id for i in WithdrawalNumberItem.scan()}
    assert claimed == {o.value.number: o.value.withdrawal_id for o in outcomes}
