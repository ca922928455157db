"""R8, R10, R7 under real concurrency: threads released together against a moto *server*.

Unlike the in-process ``mock_aws`` (which answers inside each calling thread's botocore client), a
threaded moto server receives real, overlapping HTTP requests from real clients. moto applies a
transaction item by item and rolls a failed one back by restoring a snapshot of the whole table, so two
overlapping requests could corrupt each other *inside moto*; DynamoDB never does that: each request is
atomic and transactions are serialisable. The server below therefore handles one request at a time
(``_serialise_requests``). The races these tests are about, between a service's reads and its
conditional transaction on different threads, stay fully open.
"""

from __future__ import annotations

import logging
import socket
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from functools import partial
from typing import Any

import pytest
from moto.moto_server.werkzeug_app import DomainDispatcherApplication
from moto.server import ThreadedMotoServer
from referral.domain.ledger import EntryKind, points_for
from referral.domain.notifications import NotificationKind
from referral.domain.orders import DELIVERED, AccrualState, Attribution, Posting
from referral.domain.withdrawals import WithdrawalStatus
from referral.errors import Conflict, InsufficientFunds, ReferralCycle
from referral.repository.table import bind_table, create_table, table_name
from referral.services import Services

from tests.support.builders import chain, join, posting
from tests.support.clock import FakeClock

pytestmark = pytest.mark.concurrency

THREADS = 8
JOIN_TIMEOUT = 60


# --- a moto server, and services bound to it --------------------------------------------------------


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def moto_endpoint() -> Iterator[str]:
    access_log = logging.getLogger("werkzeug")  # one line per request: noise, and slow under capture
    level = access_log.level
    access_log.setLevel(logging.WARNING)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=_free_port(), verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()
        access_log.setLevel(level)


@pytest.fixture
def _serialise_requests(monkeypatch: pytest.MonkeyPatch) -> None:
    """One request at a time inside the server: DynamoDB's per-request atomicity, which moto lacks."""
    lock = threading.Lock()
    handle = DomainDispatcherApplication.__call__

    def serialised(self: DomainDispatcherApplication, environ: Any, start_response: Any) -> Any:
        with lock:
            return list(handle(self, environ, start_response))

    monkeypatch.setattr(DomainDispatcherApplication, "__call__", serialised)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def services(
    moto_endpoint: str, _serialise_requests: None, monkeypatch: pytest.MonkeyPatch, clock: FakeClock
) -> Iterator[Services]:
    previous = table_name()
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", moto_endpoint)  # Powertools' boto3 client
    bind_table(f"referral-concurrency-{uuid.uuid4().hex[:8]}", host=moto_endpoint)  # PynamoDB
    create_table()
    try:
        built = Services.build(clock=clock, settings_max_age=0)
        built.settings.current()  # clients created before the threads start
        yield built
    finally:
        if previous and previous != "None":
            bind_table(previous)


# --- running the same thing on many threads at once ---------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    value: Any = None
    error: BaseException | None = None


def together(*tasks: Callable[[], Any]) -> list[Outcome]:
    """Run every task on its own thread, all released at the same instant; collect results and errors."""
    barrier = threading.Barrier(len(tasks))
    outcomes: list[Outcome | None] = [None] * len(tasks)

    def run(index: int, task: Callable[[], Any]) -> None:
        barrier.wait()
        try:
            outcomes[index] = Outcome(value=task())
        except BaseException as error:
            outcomes[index] = Outcome(error=error)

    threads = [threading.Thread(target=run, args=(i, task), daemon=True) for i, task in enumerate(tasks)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(JOIN_TIMEOUT)
    assert not any(thread.is_alive() for thread in threads), "a thread did not finish"
    assert all(outcome is not None for outcome in outcomes)
    return [outcome for outcome in outcomes if outcome is not None]


def ledger_points(services: Services, participant_id: str, kind: EntryKind, posting_number: str) -> list[int]:
    """Change of (frozen + available) of each of the participant's ``kind`` entries for the posting."""
    return [
        entry.delta.total_change
        for entry in services.ledger.entries_of(participant_id)
        if entry.kind == kind and entry.posting_number == posting_number
    ]


def assert_reconciled(services: Services) -> None:
    report = services.reconciliation.run()
    assert report.clean, report.drifts


# --- R8: one posting, many recorders --------------------------------------------------------------------


def test_r8_the_same_posting_recorded_on_many_threads_accrues_exactly_once(
    services: Services, clock: FakeClock
) -> None:
    *_, buyer = chain(services, "1", "2", "3", "4")
    clock.advance(hours=1)
    settings = services.settings.current()
    levels = {buyer.id: 0, **{ancestor: lvl for lvl, ancestor in enumerate(buyer.ancestors, start=1)}}
    postings = [
        posting(clock.now - timedelta(minutes=10 + i), amount, customer_id=buyer.ozon_id)
        for i, amount in enumerate(("1000.00", "2345.67"))
    ]
    expected = {
        (participant_id, sold.posting_number): points_for(sold.amount, settings.rate_for_level(level))
        for sold in postings
        for participant_id, level in levels.items()
    }
    assert sum(expected.values()) > 0

    for sold in postings:
        record = partial(services.purchases.record_purchase, sold, buyer.id, Attribution.CUSTOMER_ID)
        outcomes = together(*[record] * THREADS)

        # One thread records the purchase; every other one loses on the order's condition, reads the order
        # attributed to the same buyer and answers "duplicate". (A Conflict would only come from DynamoDB
        # cancelling the same transaction for contention five times in a row: not a losing recorder's lot.)
        assert [o.error for o in outcomes if o.error is not None] == []
        assert sorted(o.value.duplicate for o in outcomes) == [False] + [True] * (THREADS - 1), outcomes
        assert all(o.value.accruals == () for o in outcomes if o.value.duplicate)

    for participant_id in levels:
        total = 0
        for sold in postings:
            points = expected[(participant_id, sold.posting_number)]
            accruals = ledger_points(services, participant_id, EntryKind.ACCRUAL, sold.posting_number)
            assert accruals == ([points] if points else []), (participant_id, sold.posting_number)
            total += points
        participant = services.participants.get(participant_id)
        assert (participant.balances.frozen, participant.balances.available) == (total, 0)
        assert participant.accrued_total == total
        assert sorted(a.posting_number for a in services.repos.orders.accruals_of(participant_id)) == sorted(
            number for (pid, number), points in expected.items() if pid == participant_id and points
        )
    assert services.participants.get(buyer.id).orders_count == len(postings)
    notices = [n for n in services.outbox.pending() if n.kind == NotificationKind.POINTS_ACCRUED]
    assert sorted((n.participant_id, n.payload["posting_number"]) for n in notices) == sorted(
        key for key, points in expected.items() if points
    )
    assert_reconciled(services)


# --- R10: many withdrawal requests against one balance --------------------------------------------------


def test_r10_parallel_withdrawals_never_overspend(services: Services) -> None:
    available = 1000
    ask = 130
    per_thread = 2
    participant = join(services, "50")
    assert services.ledger.correct_balance(
        "admin",
        participant.id,
        available_change=available,
        total_change=available,
        reason="test funds",
        idempotency_key="funds-50",
    )

    def requests(thread: int) -> list[Outcome]:
        results = []
        for n in range(per_thread):
            try:
                results.append(
                    Outcome(value=services.withdrawals.request(participant.id, ask, f"t{thread}-{n}"))
                )
            except Exception as error:
                results.append(Outcome(error=error))
        return results

    outcomes = [
        o for batch in together(*[lambda t=t: requests(t) for t in range(THREADS)]) for o in batch.value
    ]

    assert ask * THREADS * per_thread > available
    created = [o.value for o in outcomes if o.error is None]
    refused = [o.error for o in outcomes if o.error is not None]
    assert all(isinstance(error, InsufficientFunds) for error in refused), refused
    assert sum(w.points for w in created) <= available
    assert len(created) == available // ask  # nobody was refused while the points were there
    stored = services.repos.withdrawals.withdrawals_of(participant.id)
    assert sorted(w.withdrawal_id for w in stored) == sorted(w.withdrawal_id for w in created)
    assert all(w.status == WithdrawalStatus.NEW for w in stored)
    balances = services.participants.get(participant.id).balances
    assert balances.reserved == sum(w.points for w in stored)
    assert balances.available == available - balances.reserved
    reserves = [
        e for e in services.ledger.entries_of(participant.id) if e.kind == EntryKind.WITHDRAWAL_RESERVE
    ]
    assert len(reserves) == len(created)
    assert_reconciled(services)


def test_r10_the_same_request_retried_on_many_threads_reserves_once(services: Services) -> None:
    participant = join(services, "60")
    services.ledger.correct_balance(
        "admin",
        participant.id,
        available_change=500,
        total_change=500,
        reason="funds",
        idempotency_key="f-60",
    )

    outcomes = together(*[partial(services.withdrawals.request, participant.id, 400, "tap-1")] * THREADS)

    assert [o.error for o in outcomes if o.error is not None] == []
    assert len({o.value.withdrawal_id for o in outcomes}) == 1
    balances = services.participants.get(participant.id).balances
    assert (balances.available, balances.reserved) == (100, 400)
    assert len(services.repos.withdrawals.withdrawals_of(participant.id)) == 1
    assert_reconciled(services)


def test_r11_the_same_correction_retried_on_many_threads_applies_once(services: Services) -> None:
    participant = join(services, "61")
    correct = partial(
        services.ledger.correct_balance,
        "admin",
        participant.id,
        available_change=70,
        total_change=70,
        reason="goodwill",
        idempotency_key="c-61",
    )

    outcomes = together(*[correct] * THREADS)

    assert [o.error for o in outcomes if o.error is not None] == []
    assert sorted(o.value for o in outcomes) == [False] * (THREADS - 1) + [True]
    assert services.participants.get(participant.id).balances.available == 70
    assert len(services.ledger.entries_of(participant.id)) == 1
    assert_reconciled(services)


# --- R12: moves racing on the same tree -------------------------------------------------------------------


def test_r12_moves_that_would_close_a_cycle_together_never_both_commit(services: Services) -> None:
    for round_ in range(4):
        a, b = join(services, f"A{round_}"), join(services, f"B{round_}")

        outcomes = together(
            partial(services.tree.reparent, "op-1", a.id, b.id),
            partial(services.tree.reparent, "op-2", b.id, a.id),
        )

        errors = [o.error for o in outcomes if o.error is not None]
        assert len(errors) == 1 and isinstance(errors[0], ReferralCycle), outcomes
        moved = {services.participants.get(p).sponsor_id for p in (a.id, b.id)}
        assert None in moved and moved - {None} <= {a.id, b.id}
    assert_reconciled(services)  # no sponsor cycle, every chain as the sponsor links give it


# --- R7: release and returns racing on the same accruals -----------------------------------------------


def test_r7_release_racing_returns_ends_consistent(services: Services, clock: FakeClock) -> None:
    members = chain(services, "71", "72", "73", "74")
    buyer = members[-1]
    clock.advance(hours=1)
    sold = posting(clock.now - timedelta(minutes=5), "1000.00", customer_id=buyer.ozon_id)
    services.purchases.record_purchase(sold, buyer.id, Attribution.CUSTOMER_ID)
    services.purchases.apply_status(
        Posting(
            posting_number=sold.posting_number,
            scheme=sold.scheme,
            status=DELIVERED,
            created_at=sold.created_at,
            amount=sold.amount,
            customer_id=sold.customer_id,
            delivered_at=clock.now,
        )
    )
    settings = services.settings.current()
    clock.advance(days=settings.hold_days + 1)
    returns = {"ret-1": "400.00", "ret-2": "100.00"}
    kept = Decimal("500.00")

    tasks: list[Callable[[], Any]] = []
    for i in range(THREADS):
        if i % 2 == 0:
            tasks.append(services.release.release_matured)
        else:
            return_id = list(returns)[(i // 2) % len(returns)]
            tasks.append(
                partial(services.purchases.apply_return, sold.posting_number, return_id, returns[return_id])
            )
    outcomes = together(*tasks)
    unexpected = [o.error for o in outcomes if o.error is not None and not isinstance(o.error, Conflict)]
    assert not unexpected, unexpected
    assert_reconciled(services)  # consistent right after the race, whoever won

    # What a later sync and a later release run would do: retry whatever lost its race, then settle.
    for return_id, amount in returns.items():
        services.purchases.apply_return(sold.posting_number, return_id, amount)
    services.release.release_matured()

    order = services.repos.orders.get_order(sold.posting_number)
    assert order is not None and order.kept_amount == kept
    assert sorted(order.applied_returns) == sorted(returns)
    for level, participant_id in enumerate(buyer.ancestors, start=1):
        rate = settings.rate_for_level(level)
        original, target = points_for(Decimal("1000.00"), rate), points_for(kept, rate)
        number = sold.posting_number
        assert ledger_points(services, participant_id, EntryKind.ACCRUAL, number) == [original]
        assert len(ledger_points(services, participant_id, EntryKind.RELEASE, number)) == 1
        assert -sum(ledger_points(services, participant_id, EntryKind.REVERSAL, number)) == original - target
        (accrual,) = services.repos.orders.accruals_of(participant_id)
        assert accrual.reversed_points == original - target
        assert accrual.state == (AccrualState.RELEASED if target else AccrualState.VOIDED)
        balances = services.participants.get(participant_id).balances
        assert (balances.frozen, balances.available) == (0, target)
    assert_reconciled(services)
