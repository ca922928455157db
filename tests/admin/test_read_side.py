"""The read side hands out read models only, and the calendar it walks months with."""

from __future__ import annotations

import dataclasses
from datetime import date
from decimal import Decimal
from typing import Any

from pynamodb.models import Model
from referral.clock import day_bounds, month_within, months_back, months_between
from referral.domain.orders import Attribution
from referral.read.feeds import LedgerFilter
from referral.read.participants import ParticipantFilter
from referral.read.views import LedgerEntryView, ParticipantView, WithdrawalView
from referral.read.withdrawals import WithdrawalFilter
from referral.services import Services
from referral.services.listings import ListingService
from referral.services.statistics import StatisticsService

from tests.admin.conftest import Api
from tests.support.builders import chain, posting
from tests.support.clock import FakeClock


def table_items_in(value: Any) -> list[Any]:
    """Every PynamoDB item reachable from a result (dataclasses, lists, tuples, dicts)."""
    if isinstance(value, Model):
        return [value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return [i for f in dataclasses.fields(value) for i in table_items_in(getattr(value, f.name))]
    if isinstance(value, list | tuple):
        return [i for v in value for i in table_items_in(v)]
    if isinstance(value, dict):
        return [i for v in value.values() for i in table_items_in(v)]
    return []


def test_month_calendar() -> None:
    assert months_back("2026-02", 3) == "2025-11"
    assert months_back("2026-02", 0) == "2026-02"
    assert months_between("2025-11", "2026-02") == ["2025-11", "2025-12", "2026-01", "2026-02"]
    assert month_within("10000-01", "9999-12", "10000-02")
    assert not month_within("2026-03", "2025-12", "2026-02")
    assert day_bounds(date(2026, 1, 1), date(2026, 1, 31)) == ("2026-01-01", "2026-01-31~")
    assert day_bounds(None, None) == (None, None)


def test_listings_and_statistics_return_read_models(owner: Api, domain: Services, clock: FakeClock) -> None:
    a, b = chain(domain, "71", "72")
    clock.advance(days=1)
    domain.purchases.record_purchase(posting(clock.now, "2000.00", number="R-1"), b.id, Attribution.CLAIM)
    domain.ledger.correct_balance(
        "x", a.id, available_change=300, total_change=300, reason="r", idempotency_key="k1"
    )
    domain.withdrawals.request(a.id, 200, "w-read")
    listings, statistics = ListingService(clock=lambda: clock.now), StatisticsService(clock=lambda: clock.now)
    statistics.rollup()

    people, _ = listings.participants("registered_at", False, 10, ParticipantFilter(), None)
    assert [p.participant_id for p in people] == ["71", "72"]
    assert all(isinstance(p, ParticipantView) for p in people)
    assert people[0].balance == people[0].frozen + people[0].available
    card = listings.card("71")
    assert card.profile.direct_referrals == 1
    assert [(lv.level, lv.orders, lv.amount) for lv in card.levels] == [(1, 1, Decimal("2000.00"))]
    ledger, _ = listings.participant_ledger("71", LedgerFilter(), 10, None)
    assert ledger and all(isinstance(e, LedgerEntryView) for e in ledger)
    requests, _ = listings.withdrawals(WithdrawalFilter(), "created_at", True, 10, None)
    assert [(w.points, type(w)) for w in requests] == [(200, WithdrawalView)]
    detail = listings.withdrawal(requests[0].withdrawal_id)
    assert detail.participant_name is not None and detail.history
    top = statistics.rating("referrals")
    assert [(r.participant.participant_id, r.value) for r in top][:1] == [("71", 1)]
    tree = statistics.referral_tree(None, 10)
    assert [row[0] for row in tree.rows] == ["71", "72"] and tree.rows[1][5] == tree.rows[0][1]
    results = [people, card, ledger, requests, detail, top, tree, statistics.dashboard()]
    assert table_items_in(results) == []
    assert statistics.dashboard().series["sales_sum"][-1] == str(Decimal("2000.00"))
