"""FBO lists cannot filter by status change: recent FBO postings are re-read now and then, not every run."""

from __future__ import annotations

from datetime import timedelta

import pytest
from referral.clock import to_iso, utcnow
from referral.repository.sync_state import SyncState
from referral.services import Services

from devtools.fake_ozon import FakeOzon
from tests.sync.world import hours_ago, products, run_sync

FBO_LIST = "/v3/posting/fbo/list"


def an_hour_passes_for_the_fbo_stream() -> None:
    """What the clock does between runs, told to the stream's checkpoint: its last refresh grows old."""
    state = SyncState()
    checkpoint = state.get_checkpoint("fbo")
    assert checkpoint is not None and checkpoint["done"]
    checkpoint["refreshed_at"] = to_iso(utcnow() - timedelta(minutes=61))
    state.save_checkpoint("fbo", checkpoint, utcnow())


def test_recent_fbo_postings_are_re_read_once_an_hour_not_every_run(
    services: Services, ozon: FakeOzon, sync_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from functions.ozon_sync import handler

    monkeypatch.setenv("OZON_PAGE_SIZE", "10")
    handler.configuration.cache_clear()
    for n in range(30):
        ozon.add_fbo(f"{900 + n}-0001-1", hours_ago(24 * 40 - n), products(("100.00", 1)))
    first = run_sync()
    ozon.requests.clear()

    ozon.add_fbo("999-0001-1", hours_ago(0.1), products(("100.00", 1)))
    ozon.set_status("900-0001-1", "cancelled")
    soon_after = run_sync()

    assert (first["seen"], first["new"], first["unchanged"]) == (30, 30, 0)
    # only the new posting: the 30 known ones are not listed again, so the cancellation waits
    assert (soon_after["seen"], soon_after["new"], soon_after["unchanged"]) == (1, 1, 0)
    assert ozon.count(FBO_LIST) == 1
    order = services.repos.orders.get_order("900-0001-1")
    assert order is not None and order.posting.status == "awaiting_deliver"

    an_hour_passes_for_the_fbo_stream()
    ozon.requests.clear()
    refreshed = run_sync()

    assert (refreshed["seen"], refreshed["new"], refreshed["unchanged"]) == (31, 0, 30)
    assert ozon.count(FBO_LIST) == 4  # 31 postings, 10 a page
    order = services.repos.orders.get_order("900-0001-1")
    assert order is not None and order.posting.status == "cancelled"
