"""The domain operations whose DynamoDB requests are budgeted, run once each on moto and counted.

Everything runs on moto's in-process ``mock_aws``. Each operation is measured after a warm-up: clients
exist and the settings are in the Powertools cache, as in a warm Lambda. The budgets are for that warm
container. ``measure_cold`` runs the budgeted operations as the first request of a cold container (fresh
services, settings not cached yet): one more request, the Query of the settings document, which is then
cached for ``SETTINGS_CACHE_SECONDS`` (60 s by default). Printed by ``python -m bench.dynamodb_requests``
and held by the integration tests.
"""

from __future__ import annotations

import contextlib
import copy
import itertools
import os
import time
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

from referral.domain.orders import DELIVERED, Attribution, Posting
from referral.domain.participants import Participant, TelegramProfile
from referral.domain.withdrawals import WithdrawalStatus
from referral.repository.table import bind_table, create_table
from referral.services import Services

from devtools.request_meter import Requests, counting, install

OPEN_LINK = "opening a referral link"
REGISTRATION = "registration with a referral code"
PURCHASE = "recording a purchase (3-level chain)"
DELIVERY = "posting delivered (status change)"
PARTIAL_RETURN = "partial return"
RELEASE = "releasing {k} matured accruals"
CORRECTION = "balance correction"
WITHDRAWAL_REQUEST = "withdrawal request"
WITHDRAWAL_STATUS = "withdrawal status change"
REPARENT = "re-parenting (subtree of 2)"

MATURED = 12
"""K: accruals matured and released in one run of the release job."""


@dataclass(frozen=True)
class Row:
    operation: str
    requests: Requests
    budget: int | None = None
    """Most requests allowed in all; None: reported only."""
    api_budgets: Mapping[str, int] = field(default_factory=dict)
    """Most requests allowed per API, where the budget says so (e.g. at most one Query page)."""

    @property
    def total(self) -> int:
        return self.requests.total

    @property
    def over(self) -> list[str]:
        """What exceeds the budget, in words; empty when within it."""
        problems = []
        if self.budget is not None and self.total > self.budget:
            problems.append(f"{self.total} requests > {self.budget}")
        problems += [
            f"{api} {self.requests[api]} > {limit}"
            for api, limit in self.api_budgets.items()
            if self.requests[api] > limit
        ]
        return problems

    @property
    def verdict(self) -> str:
        if self.budget is None and not self.api_budgets:
            return "-"
        return "OVER" if self.over else "OK"

    @property
    def budget_text(self) -> str:
        parts = [f"≤ {self.budget}"] if self.budget is not None else []
        parts += [f"{api} ≤ {limit}" for api, limit in self.api_budgets.items()]
        return "; ".join(parts) or "-"


class BenchClock:
    """The services' clock: real time at start, moved forward by hand (hold periods)."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC).replace(microsecond=0)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


_sequence = itertools.count(int(time.time()) % 1_000_000 * 1000)


def _next_id() -> int:
    return next(_sequence)


def _register(services: Services, sponsor: Participant | None = None) -> Participant:
    n = _next_id()
    profile = TelegramProfile(user_id=str(5_000_000_000 + n), username=f"bench{n}", first_name="Bench")
    code = sponsor.personal_code if sponsor else None
    return services.participants.register(profile, str(7_000_000_000 + n), code).participant


def _posting(buyer: Participant, created_at: datetime, amount: str = "1500.00") -> Posting:
    return Posting(
        posting_number=f"B{_next_id():010d}-0001-1",
        scheme="FBS",
        status="awaiting_deliver",
        created_at=created_at,
        amount=Decimal(amount),
        customer_id=buyer.ozon_id,
    )


def _delivered(posting: Posting, at: datetime) -> Posting:
    return Posting(
        posting_number=posting.posting_number,
        scheme=posting.scheme,
        status=DELIVERED,
        created_at=posting.created_at,
        amount=posting.amount,
        order_number=posting.order_number,
        customer_id=posting.customer_id,
        delivered_at=at,
    )


def warm_services(clock: BenchClock | None = None) -> Services:
    """Services over the bound table, warmed up like a Lambda after its first request.

    Checks on the way that the counter sees both clients (PynamoDB's and Powertools'), so a budget can
    never pass only because requests went uncounted.
    """
    install()
    services = Services.build(clock=clock or BenchClock(), settings_max_age=3600)
    with counting() as probe:
        services.settings.current(force_fetch=True)
    if probe["Query"] < 1:
        raise RuntimeError(f"the request counter does not see Powertools' client (saw: {probe})")
    with counting() as probe:
        services.repos.participants.get_participant("0")
    if probe["GetItem"] != 1:
        raise RuntimeError(f"the request counter does not see PynamoDB's client (saw: {probe})")
    services.settings.current()
    return services


def measure(*, matured: int = MATURED) -> list[Row]:
    """Run each operation once on the bound (moto) table, counting its DynamoDB requests.

    The buyer has a 3-level chain above them (default rates: levels 1–3 earn, own purchases don't), so
    each purchase makes 3 accruals; ``matured`` must be a multiple of 3.
    """
    if matured <= 0 or matured % 3:
        raise ValueError("matured must be a positive multiple of 3")
    with _one_snapshot_per_transaction():
        return _measure(matured)


def _measure(matured: int) -> list[Row]:
    clock = BenchClock()
    services = warm_services(clock)
    settings = services.settings.current()
    rows: list[Row] = []

    @contextlib.contextmanager
    def measured(operation: str, budget: int | None = None, **api_budgets: int) -> Iterator[None]:
        with counting() as requests:
            yield
        rows.append(Row(operation, requests, budget, api_budgets))

    level3 = _register(services)
    level2 = _register(services, level3)
    level1 = _register(services, level2)
    assert level1.personal_code is not None
    n = _next_id()
    newcomer = TelegramProfile(user_id=str(5_000_000_000 + n), username=f"bench{n}", first_name="Bench")
    with measured(OPEN_LINK):
        services.participants.open_link(level1.personal_code, newcomer.user_id)
    with measured(REGISTRATION, budget=5):
        buyer = services.participants.register(
            newcomer, str(7_000_000_000 + n), level1.personal_code
        ).participant
    if len(buyer.ancestors) != 3:
        raise RuntimeError(f"the buyer should have 3 levels above them, has {buyer.ancestors}")

    clock.advance(timedelta(hours=1))
    purchases = [_posting(buyer, clock.now - timedelta(minutes=30 - i)) for i in range(matured // 3)]
    with measured(PURCHASE, budget=2):
        result = services.purchases.record_purchase(purchases[0], buyer.id, Attribution.CUSTOMER_ID)
    if len(result.accruals) != 3:
        raise RuntimeError(f"expected 3 accruals per purchase, got {len(result.accruals)}")
    for posting in purchases[1:]:
        services.purchases.record_purchase(posting, buyer.id, Attribution.CUSTOMER_ID)

    with measured(DELIVERY):
        services.purchases.apply_status(_delivered(purchases[0], clock.now))
    for posting in purchases[1:]:
        services.purchases.apply_status(_delivered(posting, clock.now))

    returned = _posting(buyer, clock.now - timedelta(minutes=1), "2000.00")
    services.purchases.record_purchase(returned, buyer.id, Attribution.CUSTOMER_ID)
    with measured(PARTIAL_RETURN):
        services.purchases.apply_return(returned.posting_number, "bench-return-1", "500.00")

    clock.advance(timedelta(days=settings.hold_days, hours=1))
    with measured(RELEASE.format(k=matured), budget=matured + 1, Query=1, TransactWriteItems=matured):
        report = services.release.release_matured()
    if report.released != matured:
        raise RuntimeError(f"expected {matured} matured accruals to be released, released {report.released}")

    with measured(CORRECTION):
        services.ledger.correct_balance(
            "bench-admin",
            level3.id,
            available_change=100,
            total_change=100,
            reason="benchmark",
            idempotency_key=uuid.uuid4().hex,
        )
    # 3: the balance and request read together, the request number's counter, the one transaction
    with measured(WITHDRAWAL_REQUEST, budget=3):
        withdrawal = services.withdrawals.request(level3.id, settings.min_withdrawal, uuid.uuid4().hex)
    with measured(WITHDRAWAL_STATUS):
        services.withdrawals.change_status(
            "bench-admin", withdrawal.withdrawal_id, WithdrawalStatus.NEGOTIATION
        )

    new_sponsor = _register(services)
    with measured(REPARENT):
        moved = services.tree.reparent("bench-admin", level2.id, new_sponsor.id, "benchmark")
    if moved.rechained != 2:
        raise RuntimeError(f"expected 2 descendants re-chained, got {moved.rechained}")
    return rows


def measure_cold() -> list[Row]:
    """The budgeted operations, each as the first request of a fresh container (settings not cached).

    Reported only: the budgets hold for a warm container; a cold one adds the settings read.
    """
    with _one_snapshot_per_transaction():
        clock = BenchClock()
        setup = warm_services(clock)
        settings = setup.settings.current()
        level3 = _register(setup)
        level1 = _register(setup, _register(setup, level3))
        assert level1.personal_code is not None
        rows: list[Row] = []

        @contextlib.contextmanager
        def cold(operation: str) -> Iterator[Services]:
            services = Services.build(clock=clock, settings_max_age=3600)
            with counting() as requests:
                yield services
            rows.append(Row(operation, requests))

        n = _next_id()
        newcomer = TelegramProfile(user_id=str(5_000_000_000 + n), username=f"bench{n}", first_name="Bench")
        with cold(REGISTRATION) as services:
            buyer = services.participants.register(
                newcomer, str(7_000_000_000 + n), level1.personal_code
            ).participant
        clock.advance(timedelta(hours=1))
        with cold(PURCHASE) as services:
            services.purchases.record_purchase(
                _posting(buyer, clock.now - timedelta(minutes=1)), buyer.id, Attribution.CUSTOMER_ID
            )
        setup.ledger.correct_balance(
            "bench-admin",
            level3.id,
            available_change=settings.min_withdrawal,
            total_change=settings.min_withdrawal,
            reason="benchmark",
            idempotency_key=uuid.uuid4().hex,
        )
        with cold(WITHDRAWAL_REQUEST) as services:
            services.withdrawals.request(level3.id, settings.min_withdrawal, uuid.uuid4().hex)
        return rows


def _forget_moto_instances() -> None:
    """Drop moto's list of every model instance it created (kept for its dashboard, and by reset)."""
    try:
        from moto.core.model_instances import reset_model_data
    except ImportError:  # pragma: no cover - moto reorganised
        return
    reset_model_data()


@contextlib.contextmanager
def _one_snapshot_per_transaction() -> Iterator[None]:
    """Let moto snapshot a table once per transaction instead of once per item of it.

    moto's ``transact_write_items`` deep-copies the whole table for each item of a transaction, all
    before applying any of them: the copies are identical, so keeping the first changes nothing but
    the cost (a purchase is a transaction of ~20 items). Left alone if moto's code has changed shape.
    """
    try:
        from moto.dynamodb import models
        from moto.dynamodb.models.table import Table
    except ImportError:  # pragma: no cover - moto reorganised
        yield
        return
    original = getattr(models.DynamoDBBackend, "transact_write_items", None)
    if original is None or getattr(models, "copy", None) is not copy:
        yield
        return

    def transact_write_items(self: Any, transact_items: Any) -> Any:
        snapshots: dict[int, Any] = {}

        def deepcopy(value: Any, memo: Any = None) -> Any:
            if not isinstance(value, Table):
                return copy.deepcopy(value, memo)
            if id(value) not in snapshots:
                snapshots[id(value)] = copy.deepcopy(value, memo)
            return snapshots[id(value)]

        namespace = vars(models)
        namespace["copy"] = SimpleNamespace(deepcopy=deepcopy)
        try:
            return original(self, transact_items)
        finally:
            namespace["copy"] = copy

    models.DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]
    try:
        yield
    finally:
        models.DynamoDBBackend.transact_write_items = original  # type: ignore[method-assign]


@contextlib.contextmanager
def moto_mock() -> Iterator[None]:
    """moto's in-process mock of AWS for the block."""
    from moto import mock_aws

    for variable in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB"):
        if os.environ.get(variable):
            raise RuntimeError(f"{variable} is set: the benchmark runs on moto's in-process mock only")
    with mock_aws():
        yield


@contextlib.contextmanager
def moto_table() -> Iterator[str]:
    """A fresh table in moto's in-process mock, bound for the block."""
    name = f"referral-bench-{uuid.uuid4().hex[:8]}"
    with moto_mock():
        bind_table(name)
        create_table()
        yield name
