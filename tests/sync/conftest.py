"""The sync against a local fake Seller API: fixtures that wire the handler to it and to moto."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from referral.clock import utcnow

from devtools.fake_ozon import FakeOzon
from tests.support.clock import FakeClock


@pytest.fixture
def clock() -> FakeClock:
    """Participants register three weeks before "now": the handler runs on the real clock."""
    return FakeClock(start=utcnow() - timedelta(days=21))


@pytest.fixture
def ozon() -> Iterator[FakeOzon]:
    with FakeOzon(timeout_delay=0.6, slow_delay=0.4, contract=True) as fake:
        yield fake


@pytest.fixture
def sync_env(monkeypatch: pytest.MonkeyPatch, ozon: FakeOzon, table_name: str) -> Iterator[None]:
    """Environment of the ``ozon_sync`` function, pointed at the fake; config re-read per test."""
    from functions.ozon_sync import handler

    monkeypatch.setenv("TABLE_NAME", table_name)
    monkeypatch.setenv("OZON_API_URL", ozon.url)
    monkeypatch.setenv("OZON_CLIENT_ID", ozon.client_id)
    monkeypatch.setenv("OZON_API_KEY", ozon.api_key)
    monkeypatch.setenv("OZON_MAX_RPS", "40")
    monkeypatch.setenv("OZON_TIMEOUT_SECONDS", "0.3")
    monkeypatch.setenv("OZON_BACKOFF_BASE_SECONDS", "0.01")
    monkeypatch.setenv("OZON_PAGE_SIZE", "2")
    monkeypatch.setenv("OZON_RETURNS_PAGE_SIZE", "2")
    monkeypatch.setenv("SETTINGS_CACHE_SECONDS", "0")
    handler.configuration.cache_clear()
    yield
    handler.configuration.cache_clear()
