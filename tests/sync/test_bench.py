"""The sync benchmark, at a small size: it runs, and the request goal holds."""

from __future__ import annotations

import pytest

from bench import ozon_sync


def test_the_benchmark_syncs_everything_within_the_request_goal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OZON_CLIENT_ID", "placeholder")
    monkeypatch.setenv("OZON_API_KEY", "placeholder")

    result = ozon_sync.run(postings=30, participants=6, page_size=10)

    assert result.report.new == 30 and result.report.attributed > 0 and result.report.skipped == 0
    assert result.requests_per_new_posting <= 3.0
    assert result.baseline_requests == 30
    assert "requests / posting" in ozon_sync.render(result)
