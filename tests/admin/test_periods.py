"""Every well-formed filter is answered: a reversed range holds nothing, a period names the days it covers."""

from __future__ import annotations

import pytest
from referral.domain.orders import Attribution
from referral.services import Services

from tests.admin.conftest import Api
from tests.support.builders import join, posting
from tests.support.clock import FakeClock


@pytest.fixture
def bought(owner: Api, domain: Services, clock: FakeClock) -> str:
    sponsor = join(domain, "71")
    join(domain, "72", sponsor)
    clock.advance(minutes=5)
    domain.purchases.record_purchase(posting(clock.now, "1500.00"), "72", Attribution.CLAIM)
    return clock.now.date().isoformat()


@pytest.mark.parametrize(
    ("path", "reversed_range"),
    [
        ("/admin/participants", {"balance_min": 5, "balance_max": 1}),
        ("/admin/participants", {"registered_from": "2026-02-01", "registered_to": "2026-01-01"}),
        ("/admin/withdrawals", {"points_min": 500, "points_max": 100}),
        ("/admin/orders", {"from": "2026-02-01", "to": "2026-01-01"}),
        ("/admin/journal/ledger", {"from": "2026-02-01", "to": "2026-01-01"}),
        ("/admin/risks", {"from": "2026-02-01", "to": "2026-01-01"}),
    ],
)
def test_a_reversed_range_is_an_empty_page(
    owner: Api, bought: str, path: str, reversed_range: dict[str, object]
) -> None:
    everything = owner.get(path)
    reply = owner.get(path, query=reversed_range)

    assert reply.status == 200, reply.text
    assert reply.json == {"items": [], "next_cursor": None}
    assert everything.status == 200 and (
        path in ("/admin/withdrawals", "/admin/risks") or everything.json["items"]
    )


def test_top_products_of_a_reversed_period_are_none(owner: Api, bought: str) -> None:
    reply = owner.get("/admin/orders/top", query={"from": "2026-02-01", "to": "2026-01-01"})
    assert (reply.status, reply.json) == (
        200,
        {"products": [], "links": [], "orders_read": 0, "complete": True},
    )


@pytest.mark.parametrize(
    ("period", "covered"),
    [
        (("2020-01-01", "2030-01-01"), ("2025-01-10", "2026-01-10")),  # a year at most, cut at today
        (("1999-12-30", "2000-01-02"), ("2000-01-01", "2000-01-02")),  # nothing is older than 2000
        (("2026-01-01", "2026-01-10"), ("2026-01-01", "2026-01-10")),
    ],
)
def test_an_export_names_the_days_it_covers(
    owner: Api, bought: str, period: tuple[str, str], covered: tuple[str, str]
) -> None:
    for path in (
        "/admin/exports/purchases.csv",
        "/admin/exports/referral-stats.csv",
        "/admin/exports/payouts.csv",
    ):
        reply = owner.get(path, query={"from": period[0], "to": period[1]})
        assert reply.status == 200, (path, reply.text)
        assert reply.headers["X-Period"] == "/".join(covered), path
    purchases = owner.get("/admin/exports/purchases.csv", query={"from": period[0], "to": period[1]})
    assert ("1500" in purchases.text) == (covered[1] == bought), purchases.text


@pytest.mark.parametrize("period", [("2026-01-05", "2026-01-01"), ("2027-01-01", "2027-01-02")])
def test_an_export_of_no_day_has_its_header_only(owner: Api, bought: str, period: tuple[str, str]) -> None:
    for path in (
        "/admin/exports/purchases.csv",
        "/admin/exports/referral-stats.csv",
        "/admin/exports/payouts.csv",
    ):
        reply = owner.get(path, query={"from": period[0], "to": period[1]})
        assert reply.status == 200, (path, reply.text)
        assert "X-Period" not in reply.headers and "X-Next-Cursor" not in reply.headers
        assert len(reply.text.strip().splitlines()) == 1, reply.text


def test_an_unknown_query_parameter_is_refused_not_ignored(owner: Api, bought: str) -> None:
    """A misspelt filter would otherwise answer with everything."""
    reply = owner.get("/admin/participants", query={"blocked": "true", "balanse_min": 10})
    assert (reply.status, reply.error["details"]["reason"]) == (422, "unknown_parameter")
    assert reply.error["details"]["unknown"] == ["balanse_min"]
    assert owner.get("/admin/participants", query={"blocked": "true"}).status == 200
