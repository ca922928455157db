"""One posting Ozon cannot describe costs only itself: the run goes on and checkpoints its pages."""

from __future__ import annotations

import pytest
from referral.services import Services

from devtools.fake_ozon import FakeOzon
from tests.sync.world import chain_of_four, hours_ago, products, run_sync

FBS_GET = "/v3/posting/fbs/get"


def test_a_posting_whose_detail_is_malformed_is_skipped_and_the_rest_goes_on(
    services: Services, ozon: FakeOzon, sync_env: None
) -> None:
    a, *_, d = chain_of_four(services)
    ozon.include_customer = False  # every new posting's buyer comes from its detail
    ozon.add_fbs("8101-0001-1", hours_ago(3), products(("2000.00", 1)), customer_id=int(d.ozon_id))
    ozon.add_fbs("8102-0001-1", hours_ago(2), products(("1000.00", 1)), customer_id=int(d.ozon_id))
    ozon.corrupt_detail("8101-0001-1", "products")

    first = run_sync()

    assert first["status"] == "ok" and first["caught_up"]
    assert all(first["streams"].values())  # every stream walked up to now and saved its checkpoint
    assert (first["attributed"], first["skipped"]) == (1, 2)  # skipped by both FBS streams that served it
    assert services.repos.orders.get_order("8101-0001-1") is None
    assert services.participants.get(a.id).balances.frozen == 50

    # Ozon answers correctly again; the posting comes back with its next status change
    ozon.postings["8101-0001-1"].detail_corruptions.clear()
    ozon.set_status("8101-0001-1", "delivering")
    assert run_sync()["attributed"] == 1
    assert services.participants.get(a.id).balances.frozen == 150


def test_a_posting_whose_detail_ozon_refuses_is_skipped_and_the_rest_goes_on(
    services: Services, ozon: FakeOzon, sync_env: None
) -> None:
    a, *_, d = chain_of_four(services)
    ozon.include_customer = False
    ozon.add_fbs("8201-0001-1", hours_ago(3), products(("2000.00", 1)), customer_id=int(d.ozon_id))
    ozon.add_fbo("8202-0001-1", hours_ago(2), products(("1000.00", 1)))
    ozon.inject("fatal", path=FBS_GET, times=1000)  # a persistent 400 for this one detail

    runs = [run_sync(), run_sync()]

    assert all(run["status"] == "ok" and run["caught_up"] for run in runs)
    assert runs[0]["skipped"] == 2
    assert services.repos.orders.get_order("8202-0001-1") is not None  # the FBO stream ran after it
    assert services.repos.orders.get_order("8201-0001-1") is None

    ozon.clear_faults()
    ozon.set_status("8201-0001-1", "delivering")
    assert run_sync()["attributed"] == 1
    assert services.participants.get(a.id).balances.frozen == 100


def test_a_return_of_a_posting_ozon_cannot_describe_is_skipped(
    services: Services, ozon: FakeOzon, sync_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from functions.ozon_sync import handler

    monkeypatch.setenv("OZON_BACKFILL_DAYS", "1")
    handler.configuration.cache_clear()
    *_, d = chain_of_four(services)
    # bought before the backfill period: the sync meets it first through its return
    ozon.add_fbs("8301-0001-1", hours_ago(72), products(("1000.00", 2)), customer_id=int(d.ozon_id))
    ozon.add_fbs("8302-0001-1", hours_ago(73), products(("500.00", 1)), customer_id=int(d.ozon_id))
    for number in ("8301-0001-1", "8302-0001-1"):
        ozon.set_status(number, "delivered", at=hours_ago(48))
    ozon.add_return("8301-0001-1", quantity=1)
    ozon.add_return("8302-0001-1", quantity=1)
    ozon.inject("fatal", path=FBS_GET, times=1)  # the first posting's detail is refused
    ozon.corrupt_detail("8302-0001-1", "status")  # the second one's is unreadable

    result = run_sync()

    assert result["status"] == "ok" and result["caught_up"]
    assert result["skipped"] == 2 and result["returns_applied"] == 0
