"""First and last order dates only widen: claiming an older order never moves "last order" back."""

from __future__ import annotations

from datetime import timedelta

from referral.domain.orders import Attribution
from referral.services import Services

from devtools.fake_ozon import FakeOzon
from tests.support.builders import join, posting
from tests.support.clock import FakeClock
from tests.sync.world import chain_of_four, hours_ago, products, run_sync


def test_claiming_an_older_order_keeps_the_last_order_date_and_moves_the_first_back(
    services: Services, clock: FakeClock
) -> None:
    a, b, c, d = chain_of_four(services)
    joined = clock.now
    newest = posting(joined + timedelta(days=10), customer_id=d.ozon_id)
    older = posting(joined + timedelta(days=3))
    oldest = posting(joined + timedelta(days=1), customer_id=d.ozon_id)

    services.purchases.record_purchase(newest, d.id, Attribution.CUSTOMER_ID)
    services.purchases.claim_order(d.id, older)
    services.purchases.record_purchase(oldest, d.id, Attribution.CUSTOMER_ID)

    buyer = services.participants.get(d.id)
    assert (buyer.first_order_at, buyer.last_order_at) == (oldest.created_at, newest.created_at)
    assert buyer.orders_count == 3
    for sponsor, level in ((c, 1), (b, 2), (a, 3)):
        network = services.participants.network(sponsor.id)[level]
        assert (network.orders, network.last_order_at) == (3, newest.created_at)
    assert services.participants.network(d.id)[0].last_order_at == newest.created_at


def test_a_sponsor_level_keeps_the_newest_order_of_any_of_its_buyers(
    services: Services, clock: FakeClock
) -> None:
    a, b, *_ = chain_of_four(services)
    b2 = join(services, "5", a, ozon_id="5005")  # B and B2 are both on A's first level
    joined = clock.now
    by_b2 = posting(joined + timedelta(days=9), customer_id=b2.ozon_id)
    by_b_earlier = posting(joined + timedelta(days=4), customer_id=b.ozon_id)

    services.purchases.record_purchase(by_b2, b2.id, Attribution.CUSTOMER_ID)
    services.purchases.record_purchase(by_b_earlier, b.id, Attribution.CUSTOMER_ID)

    first_level = services.participants.network(a.id)[1]
    assert (first_level.orders, first_level.last_order_at) == (2, by_b2.created_at)
    assert services.participants.get(b.id).last_order_at == by_b_earlier.created_at
    assert services.participants.get(a.id).balances.frozen == 2 * 50  # both orders accrued, once each


def test_the_sync_meeting_an_older_posting_late_keeps_the_newer_date(
    services: Services, ozon: FakeOzon, sync_env: None
) -> None:
    *_, c, d = chain_of_four(services)
    ozon.add_fbs("9301-0001-1", hours_ago(2), products(("1000.00", 1)), customer_id=int(d.ozon_id))
    run_sync()
    # an older posting Ozon indexed late, met through its status change
    ozon.add_fbs("9302-0001-1", hours_ago(30), products(("500.00", 1)), customer_id=int(d.ozon_id))

    assert run_sync()["attributed"] == 1

    newest = services.repos.orders.get_order("9301-0001-1")
    assert newest is not None
    assert services.participants.get(d.id).last_order_at == newest.posting.created_at
    assert services.participants.network(c.id)[1].last_order_at == newest.posting.created_at
