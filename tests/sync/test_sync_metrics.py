"""What the sync reports: its counts as metrics, the "sync behind" alarm's input, its status."""

from __future__ import annotations

import json
from typing import Any

import pytest
from referral.services import Services

from devtools.fake_ozon import FakeOzon
from tests.sync.world import chain_of_four, hours_ago, products, run_sync

COUNTS = {
    "seen": "PostingsSeen",
    "new": "PostingsNew",
    "unchanged": "PostingsUnchanged",
    "attributed": "PostingsAttributed",
    "accrued": "PointsAccrued",
    "reversed": "PointsReversed",
    "skipped": "RecordsSkipped",
    "returns_applied": "ReturnsApplied",
    "pages": "PagesApplied",
}


def emitted(output: str) -> dict[str, Any]:
    """The metrics of the last run in ``output`` (Powertools prints one EMF document per invocation)."""
    documents = [json.loads(line) for line in output.splitlines() if '"_aws"' in line]
    runs = [doc for doc in documents if "SyncRunsCompleted" in doc]
    assert runs, f"no sync metrics in {output!r}"
    last: dict[str, Any] = runs[-1]
    return last


def test_a_completed_run_counts_for_the_alarm(sync_env: None, capsys: pytest.CaptureFixture[str]) -> None:
    result = run_sync()

    assert result["status"] == "ok"
    metrics = emitted(capsys.readouterr().out)
    assert metrics["SyncRunsCompleted"] == [1.0]
    assert metrics["SyncAuthErrors"] == [0.0]


def test_a_rejected_key_does_not(sync_env: None, ozon: FakeOzon, capsys: pytest.CaptureFixture[str]) -> None:
    ozon.reject_key()

    result = run_sync()

    assert result["status"] == "auth_error"
    metrics = emitted(capsys.readouterr().out)
    assert metrics["SyncRunsCompleted"] == [0.0]
    assert metrics["SyncAuthErrors"] == [1.0]


def test_every_count_of_the_report_is_published_as_a_metric(
    services: Services, ozon: FakeOzon, sync_env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    *_, d = chain_of_four(services)
    buyer = int(d.ozon_id)
    ozon.add_fbs("7101-0001-1", hours_ago(30), products(("1000.00", 1)), customer_id=buyer)
    ozon.add_fbs("7102-0001-1", hours_ago(29), products(("2000.00", 1)), customer_id=buyer)
    run_sync()
    ozon.set_status("7101-0001-1", "cancelled")  # 3 × 50 reversed
    ozon.set_status("7102-0001-1", "delivered")
    ozon.add_return("7102-0001-1", status="MoneyReturned")  # 3 × 100 reversed
    ozon.add_fbs("7103-0001-1", hours_ago(1), products(("600.00", 1)), customer_id=buyer)  # 3 × 30
    ozon.add_fbs("7104-0001-1", hours_ago(1), products(("600.00", 1)), customer_id=buyer)
    ozon.corrupt("7104-0001-1", "status")
    capsys.readouterr()

    result = run_sync()

    metrics = emitted(capsys.readouterr().out)
    assert {key: metrics[name] for key, name in COUNTS.items()} == {
        key: [float(result[key])] for key in COUNTS
    }
    assert (result["new"], result["attributed"], result["accrued"]) == (1, 1, 90)
    assert (result["reversed"], result["returns_applied"], result["skipped"]) == (150 + 300, 1, 1)
    assert (result["seen"], result["unchanged"]) == (3 + 1, 0)  # 3 readable postings and a return


def test_without_credentials_the_run_reports_not_configured(
    services: Services,
    ozon: FakeOzon,
    sync_env: None,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.delenv("OZON_CLIENT_ID")
    monkeypatch.delenv("OZON_API_KEY")

    result = run_sync()

    assert (result["status"], result["pages"]) == ("not_configured", 0)
    assert ozon.count() == 0
    connection = services.settings.ozon_connection()
    assert connection.last_error is not None and "not configured" in connection.last_error
    assert emitted(capsys.readouterr().out)["SyncRunsCompleted"] == [0.0]
