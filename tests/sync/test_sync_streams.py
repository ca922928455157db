"""Each stream of the sync progresses on its own: a stream Ozon keeps refusing is recorded as failing,
with why and since when, and retried every run, while the other streams go on."""

from __future__ import annotations

import pytest
from referral.ozon.client import FBO_LIST, FBS_LIST, RETURNS_LIST, ROLES
from referral.repository.sync_state import SyncState
from referral.services import Services

from devtools.fake_ozon import FakeOzon
from tests.sync.test_sync_metrics import emitted
from tests.sync.world import chain_of_four, hours_ago, products, run_sync


def test_a_method_ozon_no_longer_serves_stops_only_its_own_stream(
    services: Services, ozon: FakeOzon, sync_env: None
) -> None:
    a, *_, d = chain_of_four(services)
    ozon.add_fbs("9401-0001-1", hours_ago(5), products(("1000.00", 1)), customer_id=int(d.ozon_id))
    ozon.add_fbo("9402-0001-1", hours_ago(4), products(("700.00", 1)))
    purchase = ozon.add_fbs("9403-0001-1", hours_ago(3), products(("500.00", 1)), customer_id=int(d.ozon_id))
    ozon.add_return(purchase.posting_number)
    ozon.fail(FBO_LIST, 404, message="Not Found")

    first = run_sync()

    assert first["status"] == "ok"
    assert first["stream_states"] == {
        "fbs-created": "ok",
        "fbs-changed": "ok",
        "fbo": "failed",
        "returns": "ok",
    }
    assert "HTTP 404" in (first["error"] or "") and "fbo" in (first["error"] or "")
    assert services.repos.orders.get_order("9401-0001-1") is not None  # FBS went on
    assert services.repos.orders.get_order("9402-0001-1") is None
    assert first["returns_applied"] == 1  # so did returns
    assert services.participants.get(a.id).balances.frozen == 50
    fbo = SyncState().stream_health(["fbo"])["fbo"]
    assert (fbo.state, fbo.failures, fbo.last_success_at) == ("failing", 1, None)
    assert fbo.reason is not None and "HTTP 404" in fbo.reason
    connection = services.settings.ozon_connection()
    assert connection.last_success_at is not None and "fbo" in (connection.last_error or "")

    second = run_sync()

    assert second["stream_states"]["fbo"] == "failed"
    again = SyncState().stream_health(["fbo"])["fbo"]
    assert (again.failing_since, again.failures) == (fbo.failing_since, 2)  # since the first failure
    assert ozon.count(FBO_LIST, status=404) == 2  # retried on every run

    ozon.clear_faults()
    healed = run_sync()

    assert healed["stream_states"]["fbo"] == "ok"
    assert services.repos.orders.get_order("9402-0001-1") is not None
    recovered = SyncState().stream_health(["fbo"])["fbo"]
    assert (recovered.state, recovered.failing_since, recovered.reason) == ("ok", None, None)
    assert recovered.last_success_at is not None


def test_a_key_without_a_role_fails_that_stream_and_says_so(
    services: Services, ozon: FakeOzon, sync_env: None
) -> None:
    *_, d = chain_of_four(services)
    ozon.add_fbs("9501-0001-1", hours_ago(5), products(("1000.00", 1)), customer_id=int(d.ozon_id))
    ozon.without_role("Returns")

    result = run_sync()

    assert result["status"] == "ok"
    assert result["stream_states"]["returns"] == "failed"
    assert [state for stream, state in result["stream_states"].items() if stream != "returns"] == ["ok"] * 3
    reason = result["stream_health"]["returns"]["reason"]
    assert "no role" in reason and "Posting FBS" in reason  # the key's roles, asked once
    assert ozon.count(ROLES) == 1 and ozon.count(RETURNS_LIST, status=403) == 1
    assert services.repos.orders.get_order("9501-0001-1") is not None


def test_a_stream_whose_requests_ozon_refuses_is_retried_while_the_rest_go_on(
    services: Services, ozon: FakeOzon, sync_env: None
) -> None:
    ozon.add_fbo("9601-0001-1", hours_ago(4), products(("700.00", 1)))
    ozon.fail(RETURNS_LIST, 400, message="invalid filter")

    result = run_sync()

    assert result["status"] == "ok" and result["stream_states"]["returns"] == "failed"
    assert services.repos.orders.get_order("9601-0001-1") is not None
    assert "invalid filter" in result["stream_health"]["returns"]["reason"]


def test_when_every_stream_fails_the_run_failed(ozon: FakeOzon, sync_env: None, services: Services) -> None:
    for path in (FBS_LIST, FBO_LIST, RETURNS_LIST):
        ozon.fail(path, 404)

    result = run_sync()

    assert result["status"] == "failed"
    assert set(result["stream_states"].values()) == {"failed"}
    assert services.settings.ozon_connection().last_success_at is None


def test_each_stream_publishes_whether_it_progressed(
    ozon: FakeOzon, sync_env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    ozon.fail(FBO_LIST, 404)

    run_sync()

    metrics = emitted(capsys.readouterr().out)
    assert metrics["SyncStreamSucceeded-fbo"] == [0.0]
    for stream in ("fbs-created", "fbs-changed", "returns"):
        assert metrics[f"SyncStreamSucceeded-{stream}"] == [1.0]
    assert metrics["SyncRunsCompleted"] == [1.0]


def test_a_page_ozon_keeps_answering_unreadably_fails_only_its_stream(
    services: Services, ozon: FakeOzon, sync_env: None
) -> None:
    a, *_, d = chain_of_four(services)
    ozon.add_fbs("9701-0001-1", hours_ago(5), products(("1000.00", 1)), customer_id=int(d.ozon_id))
    ozon.add_fbo("9702-0001-1", hours_ago(4), products(("700.00", 1)))
    bought = ozon.add_fbs("9703-0001-1", hours_ago(3), products(("500.00", 1)), customer_id=int(d.ozon_id))
    ozon.add_return(bought.posting_number)
    ozon.inject("truncated", path=FBO_LIST, times=1000)  # a poison page: every answer is cut off

    first = run_sync()
    second = run_sync()

    assert first["status"] == second["status"] == "ok"
    assert second["stream_states"]["fbo"] == "failed"
    assert [s for name, s in second["stream_states"].items() if name != "fbo"] == ["ok"] * 3
    assert services.repos.orders.get_order("9702-0001-1") is None
    assert services.repos.orders.get_order("9701-0001-1") is not None
    assert first["returns_applied"] == 1 and second["returns_applied"] == 0  # reversed exactly once
    assert services.participants.get(a.id).balances.frozen == 50
    fbo = SyncState().stream_health(["fbo"])["fbo"]
    assert (fbo.state, fbo.failures) == ("failing", 2) and fbo.reason
