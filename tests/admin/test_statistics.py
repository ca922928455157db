"""Dashboard rollups, ratings and CSV exports."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from referral.admin.csv_export import BOM, HEADER_WORDS
from referral.clock import months_between
from referral.domain.orders import Attribution
from referral.read import exports as statistics_service
from referral.repository.models import RollupItem
from referral.services import Services

from functions.admin_api.handler import rollup
from tests.admin.conftest import OPERATOR_ID, OWNER_ID, Api, deadline
from tests.support.builders import chain, join, posting
from tests.support.clock import FakeClock
from tests.support.lambda_context import lambda_context


@pytest.fixture
def activity(owner: Api, domain: Services, clock: FakeClock) -> None:
    """January: 61 → 62 → 63, 64 under 61; 62 buys twice, 63 once (then cancelled); a payout to 61.
    February: 65 registers under 62 and buys."""
    a, b, c = chain(domain, "61", "62", "63")
    join(domain, "64", a)
    domain.links.create_product_link(a.id, "Kettle", "123456")
    clock.advance(days=1)
    domain.purchases.record_purchase(posting(clock.now, "1000.00", number="P-1"), b.id, Attribution.CLAIM)
    clock.advance(days=2)
    domain.purchases.record_purchase(posting(clock.now, "3000.00", number="P-2"), b.id, Attribution.CLAIM)
    domain.purchases.record_purchase(posting(clock.now, "500.00", number="P-3"), c.id, Attribution.CLAIM)
    domain.purchases.apply_status(posting(clock.now, "500.00", number="P-3", status="cancelled"))
    domain.ledger.correct_balance(
        "x", a.id, available_change=500, total_change=500, reason="r", idempotency_key="s1"
    )
    request = domain.withdrawals.request(a.id, 200, "w1")
    domain.withdrawals.change_status("x", request.withdrawal_id, "negotiation")
    domain.withdrawals.change_status("x", request.withdrawal_id, "paid")
    clock.advance(days=30)
    e = join(domain, "65", b)
    clock.advance(hours=1)
    domain.purchases.record_purchase(posting(clock.now, "2000.00", number="P-4"), e.id, Attribution.CLAIM)
    owner.login(OWNER_ID, "owner")  # a month later: the morning's sessions have expired
    owner.login(OPERATOR_ID, "operator")


def test_the_dashboard_reads_monthly_rollups(owner: Api, activity: None, clock: FakeClock) -> None:
    assert rollup({}, lambda_context()) == {"months": ["2026-01", "2026-02"]}
    assert [i.month for i in RollupItem.query("STATS", RollupItem.sk.startswith("M#"))] == [
        "2026-01",
        "2026-02",
    ]

    reply = owner.get("/admin/statistics/dashboard", as_="operator")

    assert reply.status == 200
    board = reply.json
    assert len(board["months"]) == 12 and board["months"][-2:] == ["2026-01", "2026-02"]
    series = {name: points[-2:] for name, points in board["series"].items()}
    assert series["participants_new"] == [4, 1]
    assert series["participants_total"] == [4, 5]
    assert series["sales_orders"] == [2, 1]
    assert series["sales_sum"] == ["4000.00", "2000.00"]  # money: decimal strings, never floats
    assert series["return_share"] == [pytest.approx(1 / 3, abs=1e-3), 0]
    assert series["repeat_purchase_share"] == [0.5, 0]
    assert series["average_order"] == ["2000.00", "2000.00"]
    assert series["fiat_withdrawn"] == ["200.00", "0.00"]
    assert board["units"]["sales_sum"] == "rub" and board["units"]["points_withdrawn"] == "points"
    assert series["referrals_first_purchase"] == [2, 1]
    assert series["referrals_with_purchase_total"] == [2, 3]
    assert series["referrals_with_purchase_share"] == [
        pytest.approx(2 / 3, abs=1e-3),
        pytest.approx(3 / 4, abs=1e-3),
    ]
    assert series["active_referrals"] == [2, 1]
    assert series["links_total"] == [5, 6]
    assert series["withdrawals_paid"] == [1, 0] and series["points_withdrawn"] == [200, 0]
    assert all(type(v) is int for v in series["participants_new"] + series["points_withdrawn"])
    assert series["avg_days_to_first_purchase"][0] == pytest.approx(2.0, abs=0.1)
    assert board["series"]["participants_total"][:10] == [0] * 10
    again = owner.post("/admin/statistics/rollup")
    assert again.status == 200 and again.json["months"][-1] == "2026-02"


def test_ratings_come_from_sorted_indexes(owner: Api, activity: None) -> None:
    referrals = owner.get("/admin/statistics/ratings/referrals").json["items"]
    assert sorted((r["participant_id"], r["value"]) for r in referrals[:2]) == [("61", 2), ("62", 2)]
    network_sum = owner.get("/admin/statistics/ratings/network_sum").json["items"]
    assert (network_sum[0]["participant_id"], network_sum[0]["value"]) == ("61", "6000.00")
    assert referrals[0]["value"] == 2  # counts and points are integers
    assert network_sum[0]["rank"] == 1
    orders = owner.get("/admin/statistics/ratings/network_orders", query={"limit": 1}).json["items"]
    assert [(r["participant_id"], r["value"]) for r in orders] == [("61", 3)]
    withdrawn = owner.get("/admin/statistics/ratings/withdrawn").json["items"]
    assert (withdrawn[0]["participant_id"], withdrawn[0]["value"]) == ("61", 200)
    assert owner.get("/admin/statistics/ratings/height").status == 422


def rows(text: str) -> list[dict[str, str]]:
    """The rows of an export as written (BOM, ``;``, Russian headers), keyed by the columns' names."""
    assert text.startswith(BOM)
    lines = list(csv.reader(io.StringIO(text[1:]), delimiter=";"))
    columns = {ru: column for column, (ru, _) in HEADER_WORDS.items()}
    header = [columns.get(word, word) for word in lines[0]] if lines else []
    return [dict(zip(header, line, strict=True)) for line in lines[1:]]


def test_the_referral_tree_export_comes_in_parts(owner: Api, activity: None) -> None:
    first = owner.get("/admin/exports/referral-tree.csv", query={"limit": 3})
    assert first.status == 200 and first.headers["Content-Type"].startswith("text/csv")
    second = owner.get("/admin/exports/referral-tree.csv", query={"cursor": first.headers["X-Next-Cursor"]})
    assert "X-Next-Cursor" not in second.headers
    tree = rows(first.text) + rows(second.text)
    assert [r["participant_id"] for r in tree] == ["61", "62", "63", "64", "65"]
    assert tree[1]["sponsor_id"] == "61" and tree[1]["sponsor_name"] == "Name61"


def test_the_purchases_and_referral_stats_exports(owner: Api, activity: None) -> None:
    purchases = owner.get("/admin/exports/purchases.csv", query={"from": "2026-01-01", "to": "2026-02-28"})
    assert purchases.status == 200
    assert [(r["posting_number"], r["participant_id"], r["marketplace"]) for r in rows(purchases.text)] == [
        ("P-1", "62", "ozon"),
        ("P-2", "62", "ozon"),
        ("P-3", "63", "ozon"),
        ("P-4", "65", "ozon"),
    ]
    january = owner.get("/admin/exports/purchases.csv", query={"from": "2026-01-01", "to": "2026-01-31"})
    assert len(rows(january.text)) == 3
    stats = owner.get("/admin/exports/referral-stats.csv", query={"from": "2026-01-01", "to": "2026-02-28"})
    by_id = {r["participant_id"]: r for r in rows(stats.text)}
    assert (
        by_id["61"]["referrals_brought"],
        by_id["61"]["referrals_bought"],
        by_id["61"]["referrals_purchases_sum"],
    ) == ("2", "1", "4000,00")
    assert (by_id["62"]["referrals_brought"], by_id["62"]["referrals_bought"]) == ("2", "1")
    assert owner.get("/admin/exports/purchases.csv", query={"from": "2026-01-01"}).status == 422  # no "to"


def test_csv_cells_never_become_formulas(owner: Api, domain: Services) -> None:
    from referral.domain.participants import TelegramProfile

    domain.participants.register(TelegramProfile("71", first_name="=HYPERLINK(1)"), "55555")
    text = owner.get("/admin/exports/referral-tree.csv").text
    assert rows(text)[0]["name"] == "'=HYPERLINK(1)"


def test_months_are_counted_as_numbers_across_any_year() -> None:
    with deadline(5):
        assert months_between("9999-11", "10000-02") == ["9999-11", "9999-12", "10000-01", "10000-02"]
        assert months_between("2025-12", "2026-01") == ["2025-12", "2026-01"]
        assert months_between("2026-02", "2026-01") == []


@pytest.mark.parametrize(
    ("since", "until", "fragment"),
    [
        ("9999-01-01", "9999-12-31", "future"),
        ("0001-01-01", "0001-12-31", "2000-01-01"),
    ],
)
def test_an_export_period_in_the_future_or_the_distant_past_is_answered_at_once(
    owner: Api, since: str, until: str, fragment: str
) -> None:
    """No day of it can hold data: the answer is the header alone, without reading month after month."""
    with deadline(10):
        replies = [
            owner.get(f"/admin/exports/{name}", query={"from": since, "to": until})
            for name in ("referral-stats.csv", "purchases.csv")
        ]
    for reply in replies:
        assert reply.status == 200, reply.text
        assert len(reply.text.strip().splitlines()) == 1 and "X-Period" not in reply.headers, fragment


def test_a_period_ending_after_today_is_cut_at_today(owner: Api, activity: None, clock: FakeClock) -> None:
    today = clock.now.date()
    reply = owner.get(
        "/admin/exports/purchases.csv",
        query={
            "from": (today - timedelta(days=60)).isoformat(),
            "to": (today + timedelta(days=300)).isoformat(),
        },
    )
    assert reply.status == 200
    assert [r["posting_number"] for r in rows(reply.text)] == ["P-1", "P-2", "P-3", "P-4"]


def test_ratings_of_a_period_come_from_the_monthly_rollups(owner: Api, activity: None) -> None:
    assert rollup({}, lambda_context()) == {"months": ["2026-01", "2026-02"]}

    def top(kind: str, **period: str) -> list[tuple[str, str]]:
        reply = owner.get(f"/admin/statistics/ratings/{kind}", query=period)
        assert reply.status == 200, reply.text
        return [(r["participant_id"], str(r["value"])) for r in reply.json["items"]]

    assert top("referrals", **{"from": "2026-02"}) == [("62", "1")]
    assert top("referrals", **{"from": "2026-01", "to": "2026-02"}) == [("61", "2"), ("62", "2")]
    assert top("network_orders", **{"from": "2026-01"}) == [("61", "3"), ("62", "1")]
    assert top("network_sum", **{"from": "2026-01", "to": "2026-01"}) == [("61", "4000.00")]
    assert top("withdrawn", **{"from": "2026-01"}) == [("61", "200")]
    assert top("withdrawn", **{"from": "2026-02"}) == []


@pytest.mark.parametrize(
    ("period", "covered"),
    [
        ({"from": "2026-03"}, None),  # in the future: nothing yet
        ({"from": "2026-02", "to": "2026-01"}, None),  # reversed: no month
        ({"from": "2023-01", "to": "2026-01"}, ("2024-02", "2026-01")),  # the last 24 months of it
        ({"from": "1999-12", "to": "2000-01"}, ("2000-01", "2000-01")),  # nothing is older than 2000
        ({"from": "2026-01", "to": "2030-12"}, ("2026-01", "2026-02")),  # cut at this month
    ],
)
def test_a_rating_names_the_months_it_covers(
    owner: Api, activity: None, period: dict[str, str], covered: tuple[str, str] | None
) -> None:
    """Any well-formed period is answered: with the months that can hold data, named in the answer."""
    reply = owner.get("/admin/statistics/ratings/referrals", query=period)
    assert reply.status == 200, reply.text
    assert (reply.json["period_from"], reply.json["period_to"]) == (covered or (None, None))
    if covered is None or covered[0] == "2000-01":
        assert reply.json["items"] == []
    assert owner.get("/admin/statistics/ratings/referrals", query={"from": "2026-13"}).status == 422


def test_the_rollup_recomputes_a_month_that_has_no_rating_totals_yet(owner: Api, activity: None) -> None:
    rollup({}, lambda_context())
    for item in RollupItem.query("STATS", RollupItem.sk.startswith("RATE#")):
        if item.month == "2026-01":
            item.delete()  # as a rollup before ratings by period wrote it

    assert rollup({}, lambda_context()) == {"months": ["2026-01", "2026-02"]}
    reply = owner.get("/admin/statistics/ratings/network_sum", query={"from": "2026-01", "to": "2026-01"})
    assert [(r["participant_id"], r["value"]) for r in reply.json["items"]] == [("61", "4000.00")]


def export_parts(owner: Api, path: str, query: dict[str, object]) -> list[list[dict[str, str]]]:
    parts, cursor = [], None
    for _ in range(100):
        reply = owner.get(path, query={**query, "cursor": cursor})
        assert reply.status == 200, reply.text
        parts.append(rows(reply.text))
        cursor = reply.headers.get("X-Next-Cursor")
        if cursor is None:
            return parts
    raise AssertionError("the export never ended")


def test_the_referral_stats_export_comes_in_bounded_parts(
    owner: Api, activity: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    period = {"from": "2026-01-01", "to": "2026-02-28"}
    whole = export_parts(owner, "/admin/exports/referral-stats.csv", period)
    by_row = export_parts(owner, "/admin/exports/referral-stats.csv", {**period, "limit": 1})
    monkeypatch.setattr(statistics_service, "STATS_READ_BUDGET", 3)
    by_reads = export_parts(owner, "/admin/exports/referral-stats.csv", period)

    assert [[r["participant_id"] for r in part] for part in whole] == [["61", "62"]]
    assert [[r["participant_id"] for r in part] for part in by_row if part] == [["61"], ["62"]]
    assert len(by_reads) > 2 and [r for part in by_reads for r in part] == whole[0]
    assert whole[0][1] == {
        "participant_id": "62",
        "name": "Name62",
        "username": "user62",
        "referrals_brought": "2",
        "referrals_bought": "1",
        "referrals_purchases_sum": "2000,00",
    }


def test_only_an_owner_recomputes_the_rollups(owner: Api, activity: None) -> None:
    refused = owner.post("/admin/statistics/rollup", as_="operator")

    assert (refused.status, refused.error["details"]["reason"]) == (403, "owner_only")
    assert list(RollupItem.query("STATS", RollupItem.sk.startswith("M#"))) == []
    assert owner.post("/admin/statistics/rollup").status == 200
