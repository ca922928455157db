"""A run stops in time and resumes where it stopped; FBO windows are paged by Ozon's cursor."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from referral.repository.sync_state import SyncState
from referral.services import Services

from devtools.fake_ozon import FakeOzon
from tests.support.lambda_context import FakeLambdaContext
from tests.sync.world import chain_of_four, hours_ago, products, run_sync

FBO_LIST = "/v3/posting/fbo/list"


@dataclass
class RunningOutOfTime(FakeLambdaContext):
    """The Lambda's clock: plenty of time for the first page, then less than the safety margin."""

    remaining_ms: Iterator[int] = field(default_factory=lambda: iter([60_000]))

    def get_remaining_time_in_millis(self) -> int:  # type: ignore[override]
        return next(self.remaining_ms, 10_000)


def test_a_run_short_of_time_stops_after_a_page_and_the_next_resumes_there(
    services: Services, ozon: FakeOzon, sync_env: None
) -> None:
    from functions.ozon_sync import handler

    a, *_, d = chain_of_four(services)
    for n in range(3):
        ozon.add_fbs(
            f"7201-000{n}-1", hours_ago(10 - n), products(("1000.00", 1)), customer_id=int(d.ozon_id)
        )

    short: dict[str, Any] = handler.handler({"source": "aws.events"}, RunningOutOfTime())

    assert (short["status"], short["pages"], short["caught_up"]) == ("ok", 1, False)
    assert (short["new"], short["attributed"]) == (2, 2)  # one page of 2
    checkpoint = SyncState().get_checkpoint("fbs-created")
    assert checkpoint is not None and not checkpoint["done"] and checkpoint["position"]
    assert SyncState().lease_holder("ozon-sync") is None  # stopped cleanly: the lease is free

    resumed = run_sync()

    assert resumed["status"] == "ok" and resumed["caught_up"]
    assert (resumed["new"], resumed["attributed"]) == (1, 1)
    assert services.participants.get(a.id).balances.frozen == 3 * 50


def test_fbo_postings_are_walked_page_by_page_with_ozons_cursor(
    services: Services, ozon: FakeOzon, sync_env: None
) -> None:
    for n in range(5):
        ozon.add_fbo(f"7301-000{n}-1", hours_ago(50 - n), products(("100.00", 1)))

    result = run_sync()

    assert result["status"] == "ok" and result["caught_up"]
    assert all(services.repos.orders.get_order(f"7301-000{n}-1") is not None for n in range(5))
    fbo = [r for r in ozon.requests if r.path == FBO_LIST]
    assert [r.status for r in fbo] == [200, 200, 200]  # 5 postings, 2 a page
    assert [bool(r.body["cursor"]) for r in fbo] == [False, True, True]
    assert "offset" not in fbo[0].body


def test_an_fbo_window_begun_with_offsets_starts_over_with_a_cursor(
    services: Services, ozon: FakeOzon, sync_env: None
) -> None:
    for n in range(3):
        ozon.add_fbo(f"7302-000{n}-1", hours_ago(20 - n), products(("100.00", 1)))
    run_sync()
    state = SyncState()
    checkpoint = state.get_checkpoint("fbo")
    assert checkpoint is not None
    state.save_checkpoint("fbo", {**checkpoint, "done": False, "position": 2}, hours_ago(0))
    ozon.requests.clear()

    result = run_sync()

    assert result["status"] == "ok" and result["streams"]["fbo"]
    fbo = [r for r in ozon.requests if r.path == FBO_LIST]
    assert fbo and fbo[0].status == 200 and fbo[0].body["cursor"] == ""
