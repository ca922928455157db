"""The ``ozon_sync`` function end to end: the fake Seller API over HTTP, the real domain on moto."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from referral.clock import from_iso, utcnow
from referral.domain.ledger import EntryKind
from referral.ozon.client import connect
from referral.ozon.config import ClientConfig
from referral.ozon.lookup import OzonPostingLookup
from referral.repository import keys
from referral.repository.models import OrderItem
from referral.services import Services

from devtools.fake_ozon import FakeOzon, FakeProduct
from tests.sync.world import chain_of_four, hours_ago, products, run_sync, snapshot

FBS_LIST = "/v4/posting/fbs/list"


def test_postings_of_a_three_level_chain_accrue_the_right_frozen_points(
    services: Services, ozon: FakeOzon, sync_env: None
) -> None:
    a, b, c, d = chain_of_four(services)
    # 2 × 1000.00 + 500.50, of which Ozon's own discount leaves the buyer paying 480.25 for the last one
    ozon.add_fbs(
        "1001-0001-1",
        hours_ago(30),
        [
            FakeProduct(1, "Kettle", Decimal("1000.00"), 2),
            FakeProduct(2, "Cup", Decimal("500.50"), 1, Decimal("480.25")),
        ],
        customer_id=int(d.ozon_id),
    )
    ozon.add_fbs(
        "1002-0001-1", hours_ago(20), products(("700.00", 1)), customer_id=777_000_111
    )  # not a participant
    ozon.add_fbo("1003-0001-1", hours_ago(10), products(("1500.00", 1)))  # FBO: no buyer id, kept for claims

    result = run_sync()

    assert result["status"] == "ok" and result["caught_up"]
    assert (result["new"], result["attributed"], result["accrued"], result["skipped"]) == (3, 1, 3 * 124, 0)
    # 2480.25 × 50 / 1000 = 124.0125 → 124 points at each of the three levels above D; D's own rate is 0
    for sponsor in (a, b, c):
        participant = services.participants.get(sponsor.id)
        assert (participant.balances.frozen, participant.balances.available) == (124, 0)
    accruals = [entry for entry in services.ledger.entries_of(c.id) if entry.kind == EntryKind.ACCRUAL]
    assert [(e.delta.frozen, e.level) for e in accruals] == [(124, 1)]
    buyer = services.participants.get(d.id)
    assert (buyer.orders_count, buyer.purchases_sum, buyer.balances.frozen) == (1, Decimal("2480.25"), 0)
    kept = services.repos.orders.get_order("1002-0001-1")
    fbo = services.repos.orders.get_order("1003-0001-1")
    assert kept is not None and kept.participant_id is None and kept.posting.customer_id == "777000111"
    assert fbo is not None and fbo.participant_id is None and fbo.posting.scheme == "FBO"
    assert services.settings.ozon_connection().last_success_at is not None


def test_the_same_postings_served_again_accrue_nothing(
    services: Services, ozon: FakeOzon, sync_env: None
) -> None:
    *_, d = chain_of_four(services)
    ozon.add_fbs("2001-0001-1", hours_ago(30), products(("3000.00", 1)), customer_id=int(d.ozon_id))
    ozon.add_fbs("2002-0001-1", hours_ago(29), products(("1000.00", 2)), customer_id=int(d.ozon_id))
    first = run_sync()
    after_first = snapshot()

    second = run_sync()
    third = run_sync()

    assert first["accrued"] == 3 * (150 + 100)
    assert (second["new"], second["attributed"], second["accrued"]) == (0, 0, 0)
    assert (third["new"], third["attributed"], third["accrued"]) == (0, 0, 0)
    assert snapshot() == after_first


def test_a_cancellation_reverses_every_level_exactly(
    services: Services, ozon: FakeOzon, sync_env: None
) -> None:
    a, b, c, d = chain_of_four(services)
    ozon.add_fbs("3001-0001-1", hours_ago(30), products(("1999.99", 1)), customer_id=int(d.ozon_id))
    run_sync()
    assert [services.participants.get(p.id).balances.frozen for p in (a, b, c)] == [99, 99, 99]

    ozon.set_status("3001-0001-1", "cancelled")
    result = run_sync()

    assert (result["reversed"], result["accrued"]) == (3 * 99, 0)
    for sponsor in (a, b, c):
        participant = services.participants.get(sponsor.id)
        assert (participant.balances.frozen, participant.balances.available, participant.accrued_total) == (
            0,
            0,
            0,
        )
        reversal = services.ledger.entries_of(sponsor.id)[0]
        assert (reversal.kind, reversal.delta.frozen) == (EntryKind.REVERSAL, -99)
    buyer = services.participants.get(d.id)
    assert (buyer.orders_count, buyer.purchases_sum) == (0, Decimal("0.00"))
    assert run_sync()["reversed"] == 0


def test_partial_returns_reverse_exactly_what_the_kept_amount_no_longer_earns(
    services: Services, ozon: FakeOzon, sync_env: None
) -> None:
    a, b, c, d = chain_of_four(services)
    ozon.add_fbs("4001-0001-1", hours_ago(40), products(("1010.10", 3)), customer_id=int(d.ozon_id))
    run_sync()  # 3030.30 → 151 points at each level
    ozon.set_status("4001-0001-1", "delivered")
    ozon.add_return("4001-0001-1", quantity=1)  # 1010.10 back: kept 2020.20 → 101, so 50 reversed
    ozon.add_return("4001-0001-1", quantity=1, status="Cancelled")  # cancelled: gives nothing back

    first = run_sync()
    served_again = run_sync()

    assert (first["returns_applied"], first["reversed"]) == (1, 3 * 50)
    assert (served_again["returns_applied"], served_again["reversed"]) == (0, 0)
    assert [services.participants.get(p.id).balances.frozen for p in (a, b, c)] == [101, 101, 101]

    ozon.add_return("4001-0001-1", quantity=1)  # kept 1010.10 → 50: another 51
    assert run_sync()["reversed"] == 3 * 51
    assert [services.participants.get(p.id).balances.frozen for p in (a, b, c)] == [50, 50, 50]
    order = services.repos.orders.get_order("4001-0001-1")
    assert order is not None and order.kept_amount == Decimal("1010.10") and len(order.applied_returns) == 2
    assert services.participants.get(d.id).purchases_sum == Decimal("1010.10")
    # the ledger says the same as the balances: 151 accrued, 50 and 51 taken back, for each sponsor
    entries = services.ledger.entries_of(b.id)
    assert sorted(e.delta.frozen for e in entries) == [-51, -50, 151]


def test_a_disputed_return_reverses_nothing_until_the_buyer_has_the_money_back(
    services: Services, ozon: FakeOzon, sync_env: None
) -> None:
    a, b, c, d = chain_of_four(services)
    ozon.add_fbs("4101-0001-1", hours_ago(40), products(("1000.00", 2)), customer_id=int(d.ozon_id))
    ozon.set_status("4101-0001-1", "delivered")
    run_sync()  # 2000.00 → 100 points at each level
    disputed = ozon.add_return("4101-0001-1", quantity=1, status="DisputeOpened")
    refused = ozon.add_return("4101-0001-1", quantity=1, status="DisputeOpened")

    while_disputed = run_sync()

    assert (while_disputed["returns_applied"], while_disputed["reversed"]) == (0, 0)
    assert [services.participants.get(p.id).balances.frozen for p in (a, b, c)] == [100, 100, 100]

    ozon.set_return_status(disputed.id, "MoneyReturned")  # decided for the buyer: 1000.00 back
    ozon.set_return_status(refused.id, "CancelledDisputeNotOpen")  # refused: the buyer keeps paying
    decided = run_sync()
    served_again = run_sync()

    assert (decided["returns_applied"], decided["reversed"]) == (1, 3 * 50)
    assert (served_again["returns_applied"], served_again["reversed"]) == (0, 0)
    assert [services.participants.get(p.id).balances.frozen for p in (a, b, c)] == [50, 50, 50]
    order = services.repos.orders.get_order("4101-0001-1")
    assert order is not None and order.applied_returns == (f"ozon-return-{disputed.id}",)


def test_injected_faults_are_survived_and_a_bad_record_is_skipped(
    services: Services, ozon: FakeOzon, sync_env: None
) -> None:
    a, b, c, d = chain_of_four(services)
    for n in range(5):
        ozon.add_fbs(
            f"5{n:03d}-0001-1", hours_ago(50 - n), products(("1000.00", 1)), customer_id=int(d.ozon_id)
        )
    ozon.add_fbo("5100-0001-1", hours_ago(20), products(("2000.00", 1)))
    ozon.corrupt("5001-0001-1", "products.0.price", {"amount": "n/a", "currency": "RUB"})
    ozon.corrupt("5003-0001-1", "in_process_at")
    ozon.inject("429", path=FBS_LIST, times=2)
    ozon.inject("500", path=FBS_LIST, after=1)
    ozon.inject("timeout", path=FBS_LIST, after=2)
    ozon.inject("circle_open", path="/v3/posting/fbo/list")
    ozon.inject("rate_limit", path="/v1/returns/list")
    ozon.inject("503")

    result = run_sync()

    assert result["status"] == "ok" and result["caught_up"]
    # each bad record is logged and skipped by both FBS streams that served it
    assert (result["attributed"], result["skipped"]) == (3, 4)
    assert [services.participants.get(p.id).balances.frozen for p in (a, b, c)] == [150, 150, 150]
    assert (
        services.repos.orders.get_order("5001-0001-1") is None
        and services.repos.orders.get_order("5003-0001-1") is None
    )
    assert services.repos.orders.get_order("5100-0001-1") is not None
    assert ozon.count(FBS_LIST, status=429) == 2 and ozon.count(FBS_LIST, status=500) == 1
    assert (
        ozon.count("/v3/posting/fbo/list", status=400) == 1
        and ozon.count("/v1/returns/list", status=400) == 1
    )

    # once Ozon serves the records correctly, the next run picks them up (they changed status)
    ozon.postings["5001-0001-1"].corruptions.clear()
    ozon.postings["5003-0001-1"].corruptions.clear()
    ozon.set_status("5001-0001-1", "delivering")
    ozon.set_status("5003-0001-1", "delivering")
    assert run_sync()["attributed"] == 2
    assert [services.participants.get(p.id).balances.frozen for p in (a, b, c)] == [250, 250, 250]


def test_a_rejected_key_is_reported_to_the_dashboard_and_nothing_changes(
    services: Services, ozon: FakeOzon, sync_env: None
) -> None:
    *_, d = chain_of_four(services)
    ozon.add_fbs("6001-0001-1", hours_ago(5), products(("1000.00", 1)), customer_id=int(d.ozon_id))
    ozon.reject_key()

    result = run_sync()

    assert result["status"] == "auth_error" and "API key" in result["error"]
    # not retried: a rejected key does not heal by hammering Ozon; /v1/roles confirms it is the key
    assert ozon.count(status=403) == 2 and ozon.count("/v1/roles", status=403) == 1
    connection = services.settings.ozon_connection()
    assert connection.last_error is not None and "API key" in connection.last_error
    assert ozon.api_key not in connection.last_error
    assert services.repos.orders.get_order("6001-0001-1") is None

    ozon.reject_key(False)
    assert run_sync()["attributed"] == 1
    assert services.settings.ozon_connection().last_error is None


def test_the_first_run_backfills_the_configured_period_within_the_api_window(
    services: Services, ozon: FakeOzon, sync_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from functions.ozon_sync import handler

    monkeypatch.setenv("OZON_BACKFILL_DAYS", "7")
    handler.configuration.cache_clear()
    ozon.add_fbo("7001-0001-1", hours_ago(24 * 8), products(("100.00", 1)))
    ozon.add_fbo("7002-0001-1", hours_ago(24 * 6), products(("100.00", 1)))

    run_sync()

    assert services.repos.orders.get_order("7001-0001-1") is None
    assert services.repos.orders.get_order("7002-0001-1") is not None
    for request in ozon.requests:
        window = request.body["filter"].get("since"), request.body["filter"].get("to")
        if all(window):
            since, to = (datetime.fromisoformat(t.replace("Z", "+00:00")) for t in window)
            assert to - since <= timedelta(days=365)


def test_a_list_without_customers_is_completed_from_the_posting_detail(
    services: Services, sync_env: None, ozon: FakeOzon
) -> None:
    a, *_, d = chain_of_four(services)
    ozon.include_customer = False
    ozon.add_fbs("8001-0001-1", hours_ago(3), products(("2000.00", 1)), customer_id=int(d.ozon_id))

    result = run_sync()

    assert result["attributed"] == 1
    assert ozon.count("/v3/posting/fbs/get") == 1  # only for the posting it did not know yet
    assert services.participants.get(a.id).balances.frozen == 100


def test_an_order_claim_finds_an_fbo_posting_through_the_api(
    services: Services, ozon: FakeOzon, sync_env: None
) -> None:
    a, b, c, d = chain_of_four(services)
    ozon.add_fbo("9001-0002-1", hours_ago(2), products(("4000.00", 1)))
    lookup = OzonPostingLookup(connect(ozon.client_id, ozon.api_key, ClientConfig(base_url=ozon.url)))

    by_order_number = lookup.find_posting("9001-0002")
    by_posting_number = lookup.find_posting("9001-0002-1")

    assert by_order_number == by_posting_number
    assert by_order_number is not None and by_order_number.amount == Decimal("4000.00")
    assert lookup.find_posting("9999-0001") is None
    services.purchases.claim_order(d.id, by_order_number)
    assert [services.participants.get(p.id).balances.frozen for p in (a, b, c)] == [200, 200, 200]


def stored_order(posting_number: str) -> OrderItem:
    return OrderItem.get(keys.order_pk(posting_number), "ORDER")


def test_an_order_keeps_its_lines_and_ozons_delivery_date(
    services: Services, ozon: FakeOzon, sync_env: None
) -> None:
    *_, d = chain_of_four(services)
    kettle_and_cup = [
        FakeProduct(11, "Kettle", Decimal("1000.00"), 2),
        FakeProduct(12, "Cup", Decimal("250.50"), 1),
    ]
    ozon.add_fbs("1101-0001-1", hours_ago(30), kettle_and_cup, customer_id=int(d.ozon_id))
    delivered_before_we_looked = ozon.add_fbs(
        "1102-0001-1", hours_ago(40), products(("300.00", 1)), customer_id=int(d.ozon_id), status="delivered"
    )
    ozon.add_fbo("1103-0001-1", hours_ago(20), products(("700.00", 1)), status="delivered")  # no date given
    before_first_run = utcnow()
    run_sync()
    after_first_run = utcnow()
    ozon.set_status("1101-0001-1", "delivered")
    run_sync()

    fbs = stored_order("1101-0001-1")
    assert [(p.sku, p.offer_id, p.name, p.price, p.quantity) for p in fbs.products or []] == [
        ("11", "ART-11", "Kettle", Decimal("1000.00"), 2),
        ("12", "ART-12", "Cup", Decimal("250.50"), 1),
    ]
    assert from_iso(fbs.delivered_at or "") == ozon.postings["1101-0001-1"].status_changed_at
    assert (
        from_iso(stored_order("1102-0001-1").delivered_at or "")
        == delivered_before_we_looked.status_changed_at
    )
    fbo = stored_order("1103-0001-1")
    assert before_first_run <= from_iso(fbo.delivered_at or "") <= after_first_run  # the sync's time
    assert [(p.sku, p.price, p.quantity) for p in fbo.products or []] == [("100", Decimal("700.00"), 1)]
