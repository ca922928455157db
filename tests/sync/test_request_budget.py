"""One Seller API budget for every caller: a second's requests are counted in the table, callers wait."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from referral.ozon.client import REQUEST_WINDOWS, OzonClient
from referral.ozon.config import ClientConfig
from referral.ozon.errors import OzonUnavailable
from referral.ozon.http import OzonHttp, SharedRequestBudget
from referral.repository.models import RequestWindowItem
from referral.repository.sync_state import RequestWindowCounter

from devtools.fake_ozon import FakeOzon, FakeProduct
from tests.sync.world import run_sync

NOW = datetime.now(UTC)


class FakeTime:
    """The clock and the sleeper of every caller in a test: sleeping moves the clock, no wall time passes."""

    def __init__(self, start: float) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def fake() -> Iterator[FakeOzon]:
    with FakeOzon() as ozon:
        ozon.add_fbs("1-1-1", NOW - timedelta(hours=1), [FakeProduct(1, "Tea", Decimal("100.00"))])
        yield ozon


def client(fake: FakeOzon, time: FakeTime, per_second: int, max_wait: float = 5.0) -> OzonClient:
    """A caller in its own container: its own budget object, the shared windows in the table."""
    budget = SharedRequestBudget(
        RequestWindowCounter(REQUEST_WINDOWS),
        per_second,
        max_wait_seconds=max_wait,
        clock=time.clock,
        sleep=time.sleep,
    )
    return OzonClient(OzonHttp(fake.client_id, fake.api_key, ClientConfig(base_url=fake.url), budget=budget))


def counted() -> dict[str, int]:
    return {item.sk: item.requests for item in RequestWindowItem.scan()}


def test_a_full_second_makes_the_client_wait_for_the_next(table_name: str, fake: FakeOzon) -> None:
    time = FakeTime(start=1_000.25)
    ozon = client(fake, time, per_second=2)

    for _ in range(5):
        ozon.fbs_posting("1-1-1")

    assert time.sleeps == [0.75, 1.0]  # the rest of second 1000, then all of second 1001
    assert fake.count("/v3/posting/fbs/get") == 5
    assert counted() == {"W#1000": 2, "W#1001": 2, "W#1002": 1}


def test_two_callers_share_one_budget(table_name: str, fake: FakeOzon) -> None:
    time = FakeTime(start=2_000.5)
    sync, bot = client(fake, time, per_second=3), client(fake, time, per_second=3)

    for _ in range(3):
        sync.fbs_posting("1-1-1")
    bot.fbs_posting("1-1-1")  # the sync used up this second: the bot waits for the next one

    assert time.sleeps == [0.5]
    assert counted() == {"W#2000": 3, "W#2001": 1}


def test_a_caller_that_cannot_get_a_slot_in_time_gives_up(table_name: str, fake: FakeOzon) -> None:
    time = FakeTime(start=3_000.0)
    sync, bot = client(fake, time, per_second=1), client(fake, time, per_second=1, max_wait=0.5)
    sync.fbs_posting("1-1-1")

    with pytest.raises(OzonUnavailable, match="budget"):
        bot.fbs_posting("1-1-1")

    assert fake.count() == 1 and time.sleeps == []


def test_the_sync_takes_every_request_from_the_shared_budget(ozon: FakeOzon, sync_env: None) -> None:
    ozon.add_fbs("2-2-2", NOW - timedelta(hours=2), [FakeProduct(1, "Tea", Decimal("100.00"))], customer_id=7)
    ozon.inject("500", path="/v4/posting/fbs/list")  # a retry is a request too

    result = run_sync()

    assert result["status"] == "ok"
    assert sum(counted().values()) == ozon.count() == 5  # 4 streams, one retried
