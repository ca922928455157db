"""The cold-start benchmark runs (one function, one process start), so it cannot rot."""

from __future__ import annotations

import pytest

from bench import cold_start


def test_every_function_is_measured() -> None:
    assert cold_start.functions() == [
        "admin_api",
        "bot_webhook",
        "notify_digest",
        "notify_outbox",
        "ozon_sync",
        "reconcile",
        "release_frozen",
    ]


def test_one_function_is_measured_against_boto3_in_the_same_start(capsys: pytest.CaptureFixture[str]) -> None:
    assert cold_start.main(["--function", "release_frozen", "--runs", "1"]) == 0

    [row] = [line for line in capsys.readouterr().out.splitlines() if line.startswith("release_frozen")]
    cells = row.split()
    assert cells[1:3] == [cells[1], "ms"] and float(cells[1]) > 0
    assert float(cells[3]) > 0 and cells[4] == "ms"
    assert cells[5].endswith("×") and float(cells[5].rstrip("×")) == pytest.approx(
        float(cells[3]) / float(cells[1]), abs=0.02
    )
