"""Order claims look postings up through the Seller API from inside the bot's webhook: quick and bounded."""

from __future__ import annotations

import time
from decimal import Decimal

import pytest
from referral.ozon.errors import OzonError, OzonUnavailable
from referral.ozon.lookup import ConfiguredPostingLookup
from referral.services import Services

from devtools.fake_ozon import FakeOzon
from tests.sync.world import hours_ago, products

FBS_GET = "/v3/posting/fbs/get"
FBO_GET = "/v2/posting/fbo/get"


@pytest.fixture
def bot_env(monkeypatch: pytest.MonkeyPatch, ozon: FakeOzon, services: Services) -> None:
    """The bot's environment: the Seller API address, no deployment credentials, short claim timeouts."""
    monkeypatch.setenv("OZON_API_URL", ozon.url)
    monkeypatch.delenv("OZON_CLIENT_ID", raising=False)
    monkeypatch.delenv("OZON_API_KEY", raising=False)
    monkeypatch.setenv("OZON_LOOKUP_TIMEOUT_SECONDS", "0.3")


def lookup(services: Services) -> ConfiguredPostingLookup:
    return ConfiguredPostingLookup(services.settings.ozon_credentials)


def test_a_claim_finds_postings_with_the_credentials_operators_set(
    services: Services, ozon: FakeOzon, bot_env: None
) -> None:
    ozon.add_fbs("9101-0001-1", hours_ago(3), products(("1200.00", 1)), customer_id=5004)
    ozon.add_fbo("9102-0001-1", hours_ago(2), products(("800.00", 2)))
    services.settings.update_ozon_connection("1", ozon.client_id, ozon.api_key)
    claims = lookup(services)

    fbs = claims.find_posting("9101-0001")
    fbo = claims.find_posting("9102-0001-1")

    assert fbs is not None and (fbs.scheme, fbs.amount, fbs.customer_id) == (
        "FBS",
        Decimal("1200.00"),
        "5004",
    )
    assert fbo is not None and (fbo.scheme, fbo.amount) == ("FBO", Decimal("1600.00"))
    assert ozon.count(FBS_GET, status=404) == 1  # the FBO posting is not an FBS one: then FBO is asked
    assert claims.find_posting("9999-0001") is None
    assert claims.find_posting("not a number") is None


@pytest.mark.parametrize("status", [404, 400])
def test_an_unknown_posting_is_not_found_however_ozon_says_it(
    services: Services, ozon: FakeOzon, bot_env: None, status: int
) -> None:
    ozon.add_fbo("9201-0001-1", hours_ago(2), products(("800.00", 1)))
    ozon.not_found_status = status
    services.settings.update_ozon_connection("1", ozon.client_id, ozon.api_key)
    claims = lookup(services)

    assert claims.find_posting("9201-0001-1") is not None
    assert claims.find_posting("9299-0001-1") is None
    assert ozon.count(FBS_GET, status=status) == 2 and ozon.count(FBO_GET, status=status) == 1


def test_a_claim_without_a_configured_connection_is_reported_as_unavailable(
    services: Services, ozon: FakeOzon, bot_env: None
) -> None:
    with pytest.raises(OzonError, match="not configured"):
        lookup(services).find_posting("9101-0001")
    assert ozon.count() == 0


def test_a_claim_gives_up_quickly_when_ozon_is_failing_or_slow(
    services: Services, ozon: FakeOzon, bot_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    services.settings.update_ozon_connection("1", ozon.client_id, ozon.api_key)
    monkeypatch.setenv("OZON_LOOKUP_TIMEOUT_SECONDS", "5")  # time enough for the retry on a loaded machine

    ozon.inject("500", path=FBS_GET, times=100)
    with pytest.raises(OzonUnavailable):
        lookup(services).find_posting("9101-0001-1")
    assert ozon.count(FBS_GET) == 2  # one retry, not the sync's six attempts

    ozon.clear_faults()
    monkeypatch.setenv("OZON_LOOKUP_TIMEOUT_SECONDS", "0.3")
    ozon.inject("timeout", path=FBS_GET, times=100)  # the fake answers after 0.6 s
    started = time.monotonic()
    with pytest.raises(OzonUnavailable):
        lookup(services).find_posting("9101-0001-1")
    assert time.monotonic() - started < 0.6  # the claim's whole budget (0.3 s here), not 6 × 30 s
    assert ozon.count(FBS_GET) == 3


FBS_LIST = "/v4/posting/fbs/list"
FBO_LIST = "/v3/posting/fbo/list"


@pytest.mark.parametrize("scheme", ["FBS", "FBO"])
def test_an_order_split_into_shipments_is_found_whole_through_its_order_number(
    services: Services, ozon: FakeOzon, bot_env: None, scheme: str
) -> None:
    add = ozon.add_fbs if scheme == "FBS" else ozon.add_fbo
    add("9701-0001-1", hours_ago(5), products(("1000.00", 1)))
    add("9701-0001-2", hours_ago(5), products(("300.00", 2)))
    add("9701-0002-1", hours_ago(5), products(("50.00", 1)))  # another order of the same buyer
    services.settings.update_ozon_connection("1", ozon.client_id, ozon.api_key)
    claims = lookup(services)

    shipments = claims.find_postings("9701-0001")

    assert [(p.posting_number, p.scheme, p.amount) for p in shipments] == [
        ("9701-0001-1", scheme, Decimal("1000.00")),
        ("9701-0001-2", scheme, Decimal("600.00")),
    ]
    lists = [r for r in ozon.requests if r.path in (FBS_LIST, FBO_LIST)]
    assert {r.path for r in lists} == {FBS_LIST, FBO_LIST}  # both schemes asked, by order number
    assert all(r.body["filter"]["order_numbers"] == ["9701-0001"] for r in lists)
    assert ozon.count(FBS_GET) == ozon.count(FBO_GET) == 0  # no posting number guessed


def test_an_order_whose_first_shipment_is_not_1_or_is_cancelled_is_still_found(
    services: Services, ozon: FakeOzon, bot_env: None
) -> None:
    ozon.add_fbo("9702-0001-2", hours_ago(5), products(("800.00", 1)))  # no "-1" at all
    ozon.add_fbs("9703-0001-1", hours_ago(5), products(("100.00", 1)), status="cancelled")
    ozon.add_fbs("9703-0001-2", hours_ago(5), products(("200.00", 1)))
    services.settings.update_ozon_connection("1", ozon.client_id, ozon.api_key)
    claims = lookup(services)

    only_second = claims.find_posting("9702-0001")
    cancelled_first = claims.find_posting("9703-0001")

    assert only_second is not None and only_second.posting_number == "9702-0001-2"
    assert cancelled_first is not None and cancelled_first.posting_number == "9703-0001-2"
    assert claims.find_postings("9703-0001-1")[0].status == "cancelled"  # a posting number: that posting
