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
    assert result.sync_operations["GetItem"] < result.report.attributed  # buyers are read per page, not each
    # the goal's baseline ends with exactly the items the sync wrote, 25 to a request
    assert result.same_items.items == result.sync.items > 30
    assert result.same_items.requests == -(-result.sync.items // 25)
    assert result.minimal.requests == 30
    # the floor: one transaction per posting that ends with the sync's balances and buyer statistics
    assert result.required.requests == 30
    assert result.required.items > result.minimal.items
    assert result.required_balances_agree
    assert "same-items cost" in ozon_sync.render(result)
    assert "required-writes cost / same-items cost" in ozon_sync.render(result)
