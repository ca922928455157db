"""The sync's metrics feed the "sync behind" alarm: a completed run counts, a rejected key does not."""

from __future__ import annotations

import json
from typing import Any

import pytest

from devtools.fake_ozon import FakeOzon
from tests.sync.world import run_sync


def emitted(output: str) -> dict[str, Any]:
    for line in output.splitlines():
        if '"_aws"' in line and "SyncRunsCompleted" in line:
            metrics: dict[str, Any] = json.loads(line)
            return metrics
    raise AssertionError(f"no sync metrics in {output!r}")


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
