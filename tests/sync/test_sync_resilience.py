"""Nothing lost, nothing doubled: runs stopped after any page, killed at any write, or overlapping."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from referral.repository.sync_state import SyncState
from referral.services import Services
from referral.services.ozon_sync import LEASE_NAME

from devtools.fake_ozon import FakeOzon
from tests.sync.world import (
    CrashAt,
    DynamoCrash,
    TableImage,
    chain_of_four,
    expire_lease,
    hours_ago,
    products,
    reset,
    run_sync,
    run_until_caught_up,
    snapshot,
)


def first_day(services: Services, ozon: FakeOzon) -> None:
    """Members, their purchases and some strangers' and FBO ones, a posting bought before joining."""
    _, b, c, d = chain_of_four(services)
    ozon.add_fbs("10-0001-1", hours_ago(60), products(("1200.00", 2)), customer_id=int(d.ozon_id))
    ozon.add_fbs(
        "11-0001-1", hours_ago(50), products(("999.99", 1), ("10.01", 3)), customer_id=int(c.ozon_id)
    )
    ozon.add_fbs("12-0001-1", hours_ago(40), products(("5000.00", 1)), customer_id=424_242)
    ozon.add_fbs("13-0001-1", hours_ago(24 * 25), products(("800.00", 1)), customer_id=int(b.ozon_id))
    ozon.add_fbo("14-0001-1", hours_ago(30), products(("3000.00", 1)))
    ozon.add_fbs("15-0001-1", hours_ago(20), products(("2500.00", 2)), customer_id=int(d.ozon_id))


def next_day(ozon: FakeOzon) -> None:
    """Deliveries, a cancellation, a partial return, and new purchases."""
    ozon.set_status("10-0001-1", "delivered")
    ozon.add_return("10-0001-1", quantity=1)
    ozon.set_status("11-0001-1", "cancelled")
    ozon.set_status("14-0001-1", "delivered")
    ozon.add_fbs(
        "16-0001-1",
        hours_ago(2),
        products(("1500.00", 1)),
        customer_id=int(ozon.postings["10-0001-1"].customer_id or 0),
    )
    ozon.add_fbo("17-0001-1", hours_ago(1), products(("700.00", 1)))


def uninterrupted(services: Services, ozon: FakeOzon) -> dict[str, Any]:
    first_day(services, ozon)
    run_until_caught_up()
    next_day(ozon)
    run_until_caught_up()
    return snapshot()


def test_stopped_after_every_page_and_resumed_ends_in_the_same_ledger(
    services: Services, ozon: FakeOzon, sync_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from functions.ozon_sync import handler

    expected = uninterrupted(services, ozon)
    reset(ozon)
    monkeypatch.setenv("OZON_SYNC_MAX_PAGES", "1")
    handler.configuration.cache_clear()

    first_day(services, ozon)
    runs = run_until_caught_up()
    next_day(ozon)
    runs += run_until_caught_up()

    assert all(run["pages"] <= 1 for run in runs) and len(runs) > 10
    assert snapshot() == expected
    assert sum(run["accrued"] for run in runs) == sum(
        points
        for (_, kind, points, _, _, _), n in expected["ledger"].items()
        if kind == "accrual"
        for _ in range(n)
    )


CRASH_STRIDE = int(os.environ.get("SYNC_CRASH_STRIDE", "4"))
"""Kill the run at every n-th write (and the last one); ``SYNC_CRASH_STRIDE=1`` sweeps every single write."""


def crash_points(run: CrashAt) -> list[int]:
    """Every n-th write, the last one, and the write right after each checkpoint: a checkpoint saved
    before its page was fully applied would lose the rest of that page there."""
    after_checkpoints = {n + 1 for n in run.checkpoint_writes if n < run.writes}
    return sorted({*range(1, run.writes + 1, CRASH_STRIDE), run.writes, *after_checkpoints})


def small_world(services: Services) -> None:
    chain_of_four(services)


def small_first_day(ozon: FakeOzon) -> None:
    ozon.add_fbs("20-0001-1", hours_ago(30), products(("1000.00", 2)), customer_id=5004)
    ozon.add_fbs("21-0001-1", hours_ago(20), products(("640.00", 1)), customer_id=5003)
    ozon.add_fbs("22-0001-1", hours_ago(10), products(("300.00", 1)), customer_id=999_001)
    ozon.add_fbo("23-0001-1", hours_ago(5), products(("1500.00", 1)))


def small_next_day(ozon: FakeOzon) -> None:
    ozon.set_status("20-0001-1", "delivered")
    ozon.add_return("20-0001-1", quantity=1)
    ozon.set_status("21-0001-1", "cancelled")
    ozon.add_fbs("24-0001-1", hours_ago(1), products(("2000.00", 1)), customer_id=5004)


@pytest.mark.filterwarnings("ignore:No application metrics to publish")
def test_killed_at_every_write_and_rerun_ends_in_the_same_ledger(
    services: Services, ozon: FakeOzon, sync_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from functions.ozon_sync import handler

    monkeypatch.setenv("OZON_PAGE_SIZE", "3")
    # No overlap between windows: a page lost by a crash must not be hidden by the next window re-reading it.
    monkeypatch.setenv("OZON_SYNC_OVERLAP_SECONDS", "0")
    handler.configuration.cache_clear()
    small_world(services)
    days = [(TableImage(), small_first_day)]
    small_first_day(ozon)
    with CrashAt() as first_day:
        run_until_caught_up()
    expected = [snapshot()]
    days.append((TableImage(), small_next_day))
    small_next_day(ozon)
    with CrashAt() as next_day:
        run_until_caught_up()
    expected.append(snapshot())

    for day, ((start, _), uninterrupted_run) in enumerate(zip(days, (first_day, next_day), strict=True)):
        writes = uninterrupted_run.writes
        for at in crash_points(uninterrupted_run):
            start.restore()
            ozon.clear()
            for _, changes in days[: day + 1]:
                changes(ozon)
            with CrashAt(at), pytest.raises(DynamoCrash):
                run_sync()
            expire_lease()  # the killed run never released its lease; it expires
            run_until_caught_up()
            assert snapshot() == expected[day], f"day {day + 1}, killed at write {at} of {writes}"


def in_background(target: Callable[[], dict[str, Any]]) -> tuple[threading.Thread, list[dict[str, Any]]]:
    results: list[dict[str, Any]] = []
    thread = threading.Thread(target=lambda: results.append(target()))
    thread.start()
    return thread, results


def wait_for(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached")
        time.sleep(0.01)


@pytest.fixture
def patient_client(sync_env: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """A stalled request must stay stalled (not time out and retry) until the test lets it go."""
    from functions.ozon_sync import handler

    monkeypatch.setenv("OZON_TIMEOUT_SECONDS", "60")
    handler.configuration.cache_clear()


def test_an_overlapping_run_finds_the_lease_taken_and_does_nothing(
    services: Services, ozon: FakeOzon, patient_client: None
) -> None:
    first_day(services, ozon)
    next_day(ozon)
    run_until_caught_up()
    expected = snapshot()
    reset(ozon)
    first_day(services, ozon)
    next_day(ozon)
    ozon.inject("hold", path="/v4/posting/fbs/list")  # the first run stalls on its first page
    first, first_result = in_background(run_sync)
    wait_for(ozon.held.is_set)

    second = run_sync()
    ozon.release()
    first.join()

    assert second["status"] == "busy" and second["pages"] == 0
    assert first_result[0]["status"] == "ok" and first_result[0]["caught_up"]
    assert SyncState().lease_holder(LEASE_NAME) is None  # released for the next scheduled run
    assert run_sync()["accrued"] == 0
    assert snapshot() == expected


def test_a_run_that_lost_its_lease_stops_and_the_two_runs_double_nothing(
    services: Services, ozon: FakeOzon, patient_client: None
) -> None:
    first_day(services, ozon)
    run_until_caught_up()
    after_first_day = snapshot()
    reset(ozon)
    first_day(services, ozon)
    # the first run stalls on its second page longer than its lease lasts; another run takes over
    ozon.inject("hold", path="/v4/posting/fbs/list", after=1)
    stalled, stalled_result = in_background(run_sync)
    wait_for(ozon.held.is_set)
    expire_lease()

    takeover = run_until_caught_up()
    ozon.release()  # the stalled run wakes up, applies its page, and finds its lease gone
    stalled.join()

    assert takeover[-1]["status"] == "ok"
    assert stalled_result[0]["status"] == "lease_lost"
    assert snapshot() == after_first_day
