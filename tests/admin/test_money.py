"""Money at a glance: the dashboard's money strip, a participant's money and the orders view.

Every expected number is computed here from the table itself (a scan of the ledger entries, the withdrawal
requests, the orders), never by the code under test.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from referral.domain.orders import Attribution, PostingLine
from referral.repository.models import LedgerEntryItem, LinkItem, OrderItem, ParticipantItem, WithdrawalItem
from referral.services import Services

from tests.admin.conftest import Api, dynamodb_requests, items_of
from tests.support.builders import chain, join, posting
from tests.support.clock import FakeClock

MOSCOW = ZoneInfo("Europe/Moscow")
RATE = Decimal("2.5")


def rub(points: int) -> str:
    return str((Decimal(points) * RATE).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


@pytest.fixture
def world(owner: Api, domain: Services, clock: FakeClock) -> dict[str, Any]:
    """January (UTC): 71 -> 72 -> 73; 71's product link brings 74. Purchases by claim and by customer id, a
    partial return, a cancellation, a posting nobody's, a paid withdrawal and one waiting. The last
    purchase is on 31 January 22:00 UTC: February in Moscow."""
    domain.settings.update("1000", {"point_rate": "2.5"})
    a, b, c = chain(domain, "71", "72", "73")
    link = domain.links.create_product_link(a.id, "Kettle", "555001")
    d = join(domain, "74", replace(a, personal_code=link.code))
    kettle = (PostingLine("555001", "kettle-1", "Kettle", Decimal("1000.00"), 2),)
    cup = (PostingLine("555002", "cup-1", "Cup", Decimal("250.00"), 4),)
    clock.advance(days=1)
    domain.purchases.record_purchase(posting(clock.now, "1000.00", number="M-1"), b.id, Attribution.CLAIM)
    clock.advance(hours=1)
    c_ozon = next(p.ozon_id for p in items_of(ParticipantItem) if p.participant_id == c.id)
    domain.purchases.observe(
        replace(posting(clock.now, "3000.00", number="M-2", customer_id=c_ozon), lines=cup)
    )
    domain.purchases.apply_return("M-2", "r-1", "1000.00")
    domain.purchases.record_purchase(
        replace(posting(clock.now, "2000.00", number="M-3"), lines=kettle), d.id, Attribution.CLAIM
    )
    domain.purchases.record_purchase(posting(clock.now, "500.00", number="M-4"), b.id, Attribution.CLAIM)
    domain.purchases.apply_status(posting(clock.now, "500.00", number="M-4", status="cancelled"))
    domain.purchases.record_posting(posting(clock.now, "700.00", number="M-5"), new=True)
    domain.ledger.correct_balance(
        "1000", a.id, available_change=900, total_change=900, reason="r", idempotency_key="money-1"
    )
    paid = domain.withdrawals.request(a.id, 200, "money-w1")
    domain.withdrawals.change_status("1000", paid.withdrawal_id, "negotiation")
    domain.withdrawals.change_status("1000", paid.withdrawal_id, "paid")
    waiting = domain.withdrawals.request(a.id, 300, "money-w2")
    clock.now = datetime(2026, 1, 31, 22, 0, tzinfo=UTC)
    domain.purchases.record_purchase(posting(clock.now, "400.00", number="M-6"), c.id, Attribution.CLAIM)
    clock.advance(minutes=5)
    owner.login("1000", "owner")
    owner.login("2000", "operator")
    return {"a": a.id, "b": b.id, "c": c.id, "d": d.id, "link": link.code, "waiting": waiting.withdrawal_id}


def ledger_sums() -> dict[str, Any]:
    """From every ledger entry: balance parts, and accruals / reversals / payouts per Moscow month."""
    entries = items_of(LedgerEntryItem)
    months: dict[str, dict[str, int]] = defaultdict(lambda: {"accrued": 0, "reversed": 0, "paid": 0})
    for e in entries:
        moment = datetime.fromisoformat(e.created_at.replace("Z", "+00:00"))
        month = moment.astimezone(MOSCOW).strftime("%Y-%m")
        if e.kind == "accrual":
            months[month]["accrued"] += e.d_frozen + e.d_available
        elif e.kind == "reversal":
            months[month]["reversed"] -= e.d_frozen + e.d_available
        elif e.kind == "withdrawal_paid":
            months[month]["paid"] += e.d_withdrawn
    return {
        "frozen": sum(e.d_frozen for e in entries),
        "available": sum(e.d_available for e in entries),
        "reserved": sum(e.d_reserved for e in entries),
        "months": months,
    }


def expected_strip() -> dict[str, Any]:
    sums = ledger_sums()
    open_requests = [w for w in items_of(WithdrawalItem) if w.status in ("new", "negotiation")]

    def month(name: str) -> dict[str, Any]:
        values = sums["months"][name]
        return {"month": name, **{k: {"points": v, "rub": rub(v)} for k, v in values.items()}}

    owed = sums["frozen"] + sums["available"]
    return {
        "frozen": {"points": sums["frozen"], "rub": rub(sums["frozen"])},
        "available": {"points": sums["available"], "rub": rub(sums["available"])},
        "owed": {"points": owed, "rub": rub(owed)},
        "reserved": {"points": sums["reserved"], "rub": rub(sums["reserved"])},
        "this_month": month("2026-02"),
        "last_month": month("2026-01"),
        "waiting": {
            "count": len(open_requests),
            "points": sum(w.points for w in open_requests),
            "rub": str(sum((w.fiat_amount for w in open_requests), Decimal(0)).quantize(Decimal("0.01"))),
        },
    }


def strip_numbers(reply: dict[str, Any]) -> dict[str, Any]:
    names = ("frozen", "available", "owed", "reserved", "this_month", "last_month", "waiting")
    return {k: reply[k] for k in names}


def test_the_money_strip_equals_the_ledger_without_a_seal(owner: Api, world: dict[str, Any]) -> None:
    reply = owner.get("/admin/statistics/money", as_="operator")

    assert reply.status == 200, reply.text
    expected = expected_strip()
    assert strip_numbers(reply.json) == expected
    # the scenario exercises every number: nothing is trivially zero
    assert expected["this_month"]["accrued"]["points"] > 0
    assert expected["last_month"]["paid"]["points"] == 200
    assert expected["last_month"]["reversed"]["points"] > 0
    assert expected["waiting"]["count"] == 1
    assert expected["available"]["points"] == 900 - 200 - 300
    assert reply.json["point_rate"] == "2.5"
    assert {s["state"] for s in reply.json["sync"]} == {"not_run_yet"} and len(reply.json["sync"]) == 4


def test_the_sealed_sums_plus_the_tail_equal_the_ledger(
    owner: Api, world: dict[str, Any], domain: Services, clock: FakeClock
) -> None:
    assert owner.post("/admin/statistics/rollup").status == 200  # seals up to 15 minutes ago
    clock.advance(hours=2)
    domain.purchases.record_purchase(
        posting(clock.now, "800.00", number="M-7"), world["b"], Attribution.CLAIM
    )
    domain.withdrawals.request(world["a"], 100, "money-w3")
    owner.login("1000", "owner")  # the morning's session has expired

    with dynamodb_requests() as requests:
        reply = owner.get("/admin/statistics/money")

    assert strip_numbers(reply.json) == expected_strip()
    assert reply.json["waiting"]["count"] == 2
    # the session's admin, the settings, the seal, the feed's months after it (here two), the two open
    # statuses, their amounts in one batch, the sync streams' health in one batch
    assert requests.total <= 9, str(requests)
    assert requests["Scan"] == 0

    assert owner.post("/admin/statistics/rollup").status == 200
    clock.advance(hours=1)
    owner.login("1000", "owner")
    assert strip_numbers(owner.get("/admin/statistics/money").json) == expected_strip()


def test_a_participants_money_in_points_and_rubles(owner: Api, world: dict[str, Any]) -> None:
    reply = owner.get(f"/admin/participants/{world['a']}/money", as_="operator")

    assert reply.status == 200, reply.text
    body = reply.json
    mine = [e for e in items_of(LedgerEntryItem) if e.participant_id == world["a"]]
    available = sum(e.d_available for e in mine)
    frozen = sum(e.d_frozen for e in mine)
    assert body["available"] == {"points": available, "rub": rub(available)}
    assert body["frozen"] == {"points": frozen, "rub": rub(frozen)}
    assert body["balance"] == {"points": frozen + available, "rub": rub(frozen + available)}
    assert body["reserved"] == {"points": sum(e.d_reserved for e in mine), "rub": rub(300)}
    assert body["withdrawn"] == {"points": sum(e.d_withdrawn for e in mine), "rub": rub(200)}
    last = body["last_withdrawal"]
    assert (last["id"], last["status"], last["points"], last["rub"]) == (
        world["waiting"],
        "new",
        300,
        rub(300),
    )
    links = {link["code"]: link for link in body["links"]}
    stored = {i.code for i in items_of(LinkItem) if i.owner_id == world["a"]}
    assert set(links) == stored and len(links) == 2
    product = links[world["link"]]
    assert (product["kind"], product["product_name"]) == ("product", "Kettle")
    assert (product["clicks"], product["registrations"], product["purchases"]) == (1, 1, 1)
    personal = next(link for link in body["links"] if link["kind"] == "personal")
    joined = {p.participant_id for p in items_of(ParticipantItem) if p.joined_via == personal["code"]}
    bought = [o for o in items_of(OrderItem) if o.participant_id in joined]
    assert (personal["registrations"], personal["purchases"]) == (len(joined), len(bought)) == (1, 2)


def test_an_unknown_participants_money_is_404(owner: Api) -> None:
    reply = owner.get("/admin/participants/999999/money")
    assert reply.status == 404 and "participant" in reply.text.lower()


def orders_of(owner: Api, **query: Any) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    cursor = None
    while True:
        page = owner.get("/admin/orders", query={**query, "limit": 2, "cursor": cursor})
        assert page.status == 200, page.text
        rows += page.json["items"]
        cursor = page.json["next_cursor"]
        if cursor is None:
            return rows


def test_orders_show_attribution_status_returns_and_accruals(owner: Api, world: dict[str, Any]) -> None:
    rows = orders_of(owner)

    stored = {o.posting_number: o for o in items_of(OrderItem)}
    newest_first = sorted(stored, key=lambda n: stored[n].created_at, reverse=True)
    assert [r["posting_number"] for r in rows] == newest_first
    by_number = {r["posting_number"]: r for r in rows}
    assert by_number["M-2"]["attribution"] == "customer_id"
    assert by_number["M-1"]["attribution"] == "claim"
    assert by_number["M-5"]["attribution"] == "none" and by_number["M-5"]["points"] == 0
    assert by_number["M-2"]["returned_amount"] == "1000.00" and by_number["M-2"]["returns"] == 1
    assert by_number["M-4"]["status"] == "cancelled"
    accrued = {
        (e.posting_number, e.participant_id, e.level): e.d_frozen + e.d_available
        for e in items_of(LedgerEntryItem)
        if e.kind == "accrual"
    }
    shown = {
        (r["posting_number"], a["beneficiary_id"], a["level"]): a["points"]
        for r in rows
        for a in r["accruals"]
    }
    assert shown == accrued and accrued


def test_orders_filter_by_participant_status_attribution_and_period(
    owner: Api, world: dict[str, Any]
) -> None:
    stored = items_of(OrderItem)

    def numbers(rows: list[dict[str, Any]]) -> set[str]:
        return {r["posting_number"] for r in rows}

    assert (
        numbers(orders_of(owner, participant_id=world["b"]))
        == {o.posting_number for o in stored if o.participant_id == world["b"]}
        == {"M-1", "M-4"}
    )
    assert numbers(orders_of(owner, status="cancelled")) == {"M-4"}
    assert numbers(orders_of(owner, attribution="none")) == {"M-5"}
    assert numbers(orders_of(owner, attribution="customer_id")) == {"M-2"}
    assert numbers(orders_of(owner, **{"from": "2026-01-31", "to": "2026-01-31"})) == {"M-6"}
    period = {"from": "2026-01-01", "to": "2026-01-30"}
    assert numbers(orders_of(owner, participant_id=world["c"], **period)) == {"M-2"}
    assert numbers(orders_of(owner, participant_id=world["c"], status="delivered")) == set()


def test_orders_refuse_bad_filters_with_a_4xx(owner: Api) -> None:
    assert owner.get("/admin/orders", query={"attribution": "maybe"}).status == 422
    assert owner.get("/admin/orders", query={"participant_id": "x1"}).status == 422
    assert owner.get("/admin/orders", query={"from": "0"}).status == 422  # a day is YYYY-MM-DD, not seconds
    assert owner.get("/admin/orders", query={"cursor": "nonsense"}).status == 404


def test_top_products_and_product_links_by_sales(owner: Api, world: dict[str, Any]) -> None:
    reply = owner.get("/admin/orders/top", query={"from": "2026-01-01", "to": "2026-01-31"})

    assert reply.status == 200, reply.text
    top = reply.json
    sold = [o for o in items_of(OrderItem) if o.participant_id and o.status != "cancelled"]
    products: dict[str, Decimal] = defaultdict(Decimal)
    for order in sold:
        for line in order.products or []:
            products[line.sku] += line.price * line.quantity
    assert {p["key"]: p["amount"] for p in top["products"]} == {k: str(v) for k, v in products.items()}
    assert [p["key"] for p in top["products"]] == ["555001", "555002"]  # 2000.00 before 1000.00
    assert top["products"][0]["quantity"] == 2
    via_link = [o for o in sold if o.participant_id == world["d"]]
    assert top["links"] == [
        {
            "key": world["link"],
            "name": "Kettle",
            "orders": len(via_link),
            "quantity": 0,
            "amount": str(sum((o.kept_amount for o in via_link), Decimal(0))),
            "owner_id": world["a"],
        }
    ]
    assert top["complete"] is True and top["orders_read"] == len(sold)
