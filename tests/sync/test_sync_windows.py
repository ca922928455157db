"""Windows of the status-change stream: a change made in the very second a run read its page is not lost."""

from __future__ import annotations

from datetime import timedelta

import pytest
from referral.clock import utcnow
from referral.ozon.config import ClientConfig, SyncConfig
from referral.services import Services
from referral.services.ozon_sync import OzonSyncService

from devtools.fake_ozon import FakeOzon
from functions.ozon_sync.handler import client_factory
from tests.support.clock import FakeClock
from tests.sync.world import chain_of_four, hours_ago, products


def test_a_cancellation_later_in_the_second_of_a_run_is_read_by_the_next_run(
    services: Services, ozon: FakeOzon, sync_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OZON_SYNC_OVERLAP_SECONDS", "0")  # only the windows themselves may cover it
    *_, c, d = chain_of_four(services)
    ozon.add_fbs("9401-0001-1", hours_ago(3), products(("1000.00", 1)), customer_id=int(d.ozon_id))
    second = utcnow().replace(microsecond=0) - timedelta(seconds=30)
    clock = FakeClock(start=second + timedelta(milliseconds=300))
    sync = OzonSyncService(
        services.purchases, client_factory(ClientConfig.from_env()), SyncConfig.from_env(), clock=clock
    )

    first = sync.run()
    assert first.attributed == 1 and first.accrued > 0
    # Ozon records the cancellation 400 ms after the run read its pages, within the same whole second.
    ozon.set_status("9401-0001-1", "cancelled", at=second + timedelta(milliseconds=700))
    clock.advance(seconds=5)
    second_run = sync.run()

    assert second_run.reversed == first.accrued
    assert services.participants.get(c.id).balances.frozen == 0
