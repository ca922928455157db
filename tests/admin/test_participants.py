"""Participants: list (every sort, filters, cursors), card, referrals by level, ledger, audited edits."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from referral.clock import to_iso
from referral.domain.orders import Attribution
from referral.repository import keys
from referral.repository.models import DecimalAttribute, Entity, ParticipantItem
from referral.repository.participants import list_keys
from referral.services import Services

from tests.admin.conftest import OPERATOR_ID, Api, audits, dynamodb_requests, ledger, snapshot
from tests.support.builders import chain, join, posting
from tests.support.clock import FakeClock

SORTS = [
    "id",
    "name",
    "registered_at",
    "balance",
    "last_order_at",
    "referrals",
    "purchases_sum",
    "accrued",
    "withdrawn",
]


@pytest.fixture
def network(owner: Api, domain: Services, clock: FakeClock) -> dict[str, str]:
    """1 → 2 → 3 → 4 and 1 → 5; purchases by 2 (2000 RUB) and 3 (1000 RUB)."""
    a, b, c, d = chain(domain, "11", "12", "13", "14")
    e = join(domain, "15", a)
    clock.advance(minutes=5)
    domain.purchases.record_purchase(posting(clock.now, "2000.00"), b.id, Attribution.CLAIM)
    clock.advance(minutes=5)
    domain.purchases.record_purchase(posting(clock.now, "1000.00"), c.id, Attribution.CLAIM)
    return {"a": a.id, "b": b.id, "c": c.id, "d": d.id, "e": e.id}


def ids(reply_json: dict[str, object]) -> list[str]:
    return [row["id"] for row in reply_json["items"]]  # type: ignore[attr-defined, index]


def test_every_sort_orders_the_list_and_the_cursor_walks_it(owner: Api, network: dict[str, str]) -> None:
    for sort in SORTS:
        for order in ("asc", "desc"):
            seen: list[str] = []
            cursor = None
            while True:
                reply = owner.get(
                    "/admin/participants", query={"sort": sort, "order": order, "limit": 2, "cursor": cursor}
                )
                assert reply.status == 200, (sort, reply.text)
                seen += ids(reply.json)
                cursor = reply.json["next_cursor"]
                if cursor is None:
                    break
            assert sorted(seen) == sorted(network.values()), (sort, order)

    by_balance = owner.get("/admin/participants", query={"sort": "balance"}).json["items"]
    balances = [row["balance"] for row in by_balance]
    assert balances == sorted(balances, reverse=True) and balances[0] > 0
    by_sum = owner.get("/admin/participants", query={"sort": "purchases_sum"}).json["items"]
    assert [row["id"] for row in by_sum[:2]] == [network["b"], network["c"]]
    by_refs = owner.get("/admin/participants", query={"sort": "referrals"}).json["items"]
    assert by_refs[0]["id"] == network["a"] and by_refs[0]["direct_referrals"] == 2
    last = owner.get("/admin/participants", query={"sort": "last_order_at"}).json["items"]
    assert [row["id"] for row in last[:2]] == [network["c"], network["b"]]
    assert (
        owner.get("/admin/participants", query={"sort": "id", "order": "asc"}).json["items"][0]["id"] == "11"
    )


def test_filters_combine_with_any_sort(owner: Api, network: dict[str, str]) -> None:
    def listing(**query: object) -> list[str]:
        reply = owner.get("/admin/participants", query=query)
        assert reply.status == 200, reply.text
        return ids(reply.json)

    assert listing(id=network["c"]) == [network["c"]]
    assert listing(name="name13", sort="name") == [network["c"]]
    assert listing(name="NAME1", sort="balance", limit=100) != []
    assert set(listing(sponsor_id=network["a"])) == {network["b"], network["e"]}
    assert set(listing(purchases_min="1500", sort="registered_at")) == {network["b"]}
    assert set(listing(purchases_min="500", sort="purchases_sum", order="asc")) == {
        network["b"],
        network["c"],
    }
    assert set(listing(referrals_min=1, referrals_max=1)) == {network["b"], network["c"]}
    assert set(listing(balance_min=1, sort="name")) == set(listing(balance_min=1, sort="balance"))
    assert listing(last_order_from="2026-01-10", sort="last_order_at") == [network["c"], network["b"]]
    assert listing(blocked=True) == []
    assert set(listing(registered_from="2026-01-10", registered_to="2026-01-10")) == set(network.values())
    assert listing(registered_to="2026-01-09") == []


def test_list_validation_errors_are_422_and_a_bad_cursor_names_no_page(
    owner: Api, network: dict[str, str]
) -> None:
    bad = owner.get("/admin/participants", query={"sort": "height"})
    assert (bad.status, bad.error["code"]) == (422, "invalid_input")
    assert "sort" in bad.error["message"]
    assert owner.get("/admin/participants", query={"limit": 0}).status == 422
    assert owner.get("/admin/participants", query={"registered_from": "yesterday"}).status == 422
    misspelt = owner.get("/admin/participants", query={"sort": "balance", "balance_minimum": 5})
    assert misspelt.status == 422 and "balance_minimum" in misspelt.error["message"]
    cursor = owner.get("/admin/participants", query={"limit": 1}).json["next_cursor"]
    forged = owner.get("/admin/participants", query={"limit": 1, "cursor": cursor[:-2] + "AA"})
    assert (forged.status, forged.error["code"], forged.error["details"]["reason"]) == (
        404,
        "not_found",
        "bad_cursor",
    )
    elsewhere = owner.get("/admin/participants", query={"limit": 1, "sort": "balance", "cursor": cursor})
    assert elsewhere.status == 404


def test_the_card_shows_what_the_specification_lists(owner: Api, network: dict[str, str]) -> None:
    reply = owner.get(f"/admin/participants/{network['b']}", as_="operator")

    assert reply.status == 200, reply.text
    card = reply.json
    assert card["registered_at"].startswith("2026-01-10")
    assert card["last_order"]["amount"] == "2000.00"
    assert card["last_withdrawal"] is None
    assert (card["orders_count"], card["purchases_sum"]) == (1, "2000.00")
    assert card["frozen"] == card["accrued_total"] == 50  # level 1 of 1000 RUB; own rate 0
    assert card["available"] == 0 and card["withdrawn"] == 0
    levels = {lv["level"]: lv for lv in card["levels"]}
    assert levels[1]["referrals"] == 1 and levels[2]["referrals"] == 1
    assert levels[0]["amount"] == "2000.00" and levels[1]["amount"] == "1000.00"
    assert card["ancestors"] == [network["a"]]
    assert owner.get("/admin/participants/999999").status == 404
    assert owner.get("/admin/participants/abc").status == 422


def test_referrals_by_level_are_paginated(owner: Api, network: dict[str, str], domain: Services) -> None:
    extra = [join(domain, f"2{n}", domain.participants.get(network["b"])) for n in range(3)]
    level1 = owner.get(f"/admin/participants/{network['a']}/referrals", query={"level": 1}).json
    assert set(ids(level1)) == {network["b"], network["e"]}
    seen: list[str] = []
    cursor = None
    while True:
        page = owner.get(
            f"/admin/participants/{network['a']}/referrals", query={"level": 2, "limit": 2, "cursor": cursor}
        ).json
        seen += ids(page)
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == sorted([network["c"], *(p.id for p in extra)])
    level3 = owner.get(f"/admin/participants/{network['a']}/referrals", query={"level": 3}).json
    assert ids(level3) == [network["d"]]
    assert owner.get(f"/admin/participants/{network['a']}/referrals", query={"level": 11}).status == 422


def test_the_ledger_is_newest_first_and_filterable(owner: Api, network: dict[str, str]) -> None:
    owner.post(
        f"/admin/participants/{network['a']}/balance-corrections",
        {"available_change": 10, "total_change": 10, "reason": "bonus", "idempotency_key": "bonus-0001"},
    )
    reply = owner.get(f"/admin/participants/{network['a']}/ledger")
    assert reply.status == 200
    rows = reply.json["items"]
    assert [r["created_at"] for r in rows] == sorted((r["created_at"] for r in rows), reverse=True)
    assert rows[0]["kind"] == "correction" and rows[0]["credit"] == 10
    accruals = owner.get(
        f"/admin/participants/{network['a']}/ledger", query={"kind": "accrual", "level": 1}
    ).json
    assert [(r["level"], r["credit"]) for r in accruals["items"]] == [(1, 100)]
    assert owner.get(f"/admin/participants/{network['a']}/ledger", query={"kind": "bogus"}).status == 422
    assert (
        owner.get(f"/admin/participants/{network['a']}/ledger", query={"from": "2030-01-01"}).json["items"]
        == []
    )


def test_a_balance_correction_writes_exactly_one_ledger_entry_and_one_audit_record(
    owner: Api, network: dict[str, str]
) -> None:
    pid = network["e"]
    body = {
        "available_change": 40,
        "total_change": 100,
        "reason": "goodwill",
        "idempotency_key": "corr-000001",
    }

    first = owner.post(f"/admin/participants/{pid}/balance-corrections", body, as_="operator")
    again = owner.post(f"/admin/participants/{pid}/balance-corrections", body, as_="operator")

    assert (first.status, first.json["applied"]) == (200, True)
    assert (again.status, again.json["applied"]) == (200, False)
    [entry] = [e for e in ledger() if e.participant_id == pid]
    assert (entry.kind, entry.d_available, entry.d_frozen, entry.actor_id, entry.reason) == (
        "correction",
        40,
        60,
        OPERATOR_ID,
        "goodwill",
    )
    [record] = [a for a in audits() if a.object_id == pid]
    assert (record.action, record.actor_id, record.object_type, record.reason) == (
        "participant.balance_correction",
        OPERATOR_ID,
        "participant",
        "goodwill",
    )
    assert sorted((c.attribute, c.old, c.new) for c in record.changes) == [
        ("available", "0", "40"),
        ("frozen", "0", "60"),
        ("total", "0", "100"),
    ]
    profile = ParticipantItem.get(f"P#{pid}", "PROFILE")
    assert (profile.available, profile.frozen, profile.balance) == (40, 60, 100)
    journal = owner.get(f"/admin/journal/actions/{record.audit_id}").json
    assert {c["attribute"] for c in journal["changes"]} == {"available", "frozen", "total"}


@pytest.mark.parametrize(
    ("body", "status", "fragment"),
    [
        (
            {"available_change": 5, "total_change": 5, "reason": "  ", "idempotency_key": "k-00000001"},
            422,
            "reason",
        ),
        ({"available_change": 5, "total_change": 5, "idempotency_key": "k-00000001"}, 422, "reason"),
        (
            {"available_change": "5x", "total_change": 5, "reason": "r", "idempotency_key": "k-00000001"},
            422,
            "available",
        ),
        (
            {"available_change": 0, "total_change": 0, "reason": "r", "idempotency_key": "k-00000001"},
            422,
            "Nothing",
        ),
        (
            {"available_change": -5, "total_change": -5, "reason": "r", "idempotency_key": "k-00000001"},
            409,
            "negative",
        ),
        (
            {"available_change": 1, "total_change": 1, "reason": "r", "idempotency_key": "k", "extra": 1},
            422,
            "",
        ),
        (
            {"available_change": "1", "total_change": 1, "reason": "r", "idempotency_key": "k-00000001"},
            422,
            "available_change",
        ),
        (
            {"available_change": True, "total_change": 1, "reason": "r", "idempotency_key": "k-00000001"},
            422,
            "available_change",
        ),
        (
            {"available_change": 1, "total_change": 1.5, "reason": "r", "idempotency_key": "k-00000001"},
            422,
            "total_change",
        ),
    ],
)
def test_invalid_corrections_are_refused_with_a_message_and_write_nothing(
    owner: Api, network: dict[str, str], body: dict[str, object], status: int, fragment: str
) -> None:
    before = snapshot()

    reply = owner.post(f"/admin/participants/{network['e']}/balance-corrections", body)

    assert reply.status == status, reply.text
    assert fragment in reply.error["message"]
    assert snapshot() == before


def test_a_malformed_json_body_is_400(owner: Api, network: dict[str, str]) -> None:
    before = snapshot()
    reply = owner.call(
        "POST", f"/admin/participants/{network['e']}/balance-corrections", raw_body="{not json"
    )
    assert (reply.status, reply.error["code"]) == (400, "bad_request")
    assert snapshot() == before


def test_re_parenting_is_audited_and_cycles_are_refused(owner: Api, network: dict[str, str]) -> None:
    moved = owner.put(
        f"/admin/participants/{network['c']}/sponsor", {"sponsor_id": network["e"], "reason": "mistake"}
    )

    assert moved.status == 200, moved.text
    assert (moved.json["old_sponsor_id"], moved.json["new_sponsor_id"]) == (network["b"], network["e"])
    d = owner.get(f"/admin/participants/{network['d']}").json
    assert d["ancestors"][:3] == [network["c"], network["e"], network["a"]]
    [record] = [a for a in audits() if a.action == "participant.reparent"]
    assert [(c.attribute, c.old, c.new) for c in record.changes] == [
        ("sponsor_id", network["b"], network["e"])
    ]
    assert record.reason == "mistake"

    before = snapshot()
    cycle = owner.put(
        f"/admin/participants/{network['a']}/sponsor", {"sponsor_id": network["d"], "reason": "x"}
    )
    own = owner.put(
        f"/admin/participants/{network['a']}/sponsor", {"sponsor_id": network["a"], "reason": "x"}
    )
    missing = owner.put(
        f"/admin/participants/{network['a']}/sponsor", {"sponsor_id": "424242", "reason": "x"}
    )
    no_reason = owner.put(f"/admin/participants/{network['a']}/sponsor", {"sponsor_id": network["e"]})
    assert (cycle.status, cycle.error["code"]) == (409, "referral_cycle")
    assert (own.status, own.error["code"]) == (409, "self_referral")
    assert missing.status == 404
    assert no_reason.status == 422
    assert snapshot() == before


def test_blocking_and_unblocking_are_audited(owner: Api, network: dict[str, str], clock: FakeClock) -> None:
    reply = owner.put(f"/admin/participants/{network['b']}/blocked", {"blocked": True, "reason": "fraud"})
    assert (reply.status, reply.json["blocked"]) == (200, True)
    assert ids(owner.get("/admin/participants", query={"blocked": True}).json) == [network["b"]]
    clock.advance(seconds=1)
    assert (
        owner.put(f"/admin/participants/{network['b']}/blocked", {"blocked": False, "reason": "ok"}).status
        == 200
    )
    actions = sorted((a.action, a.reason) for a in audits() if a.object_id == network["b"])
    assert actions == [("participant.block", "fraud"), ("participant.unblock", "ok")]
    assert owner.put(f"/admin/participants/{network['b']}/blocked", {"blocked": "maybe"}).status == 422
    for switch in ("true", 1, "yes"):
        reply = owner.put(f"/admin/participants/{network['b']}/blocked", {"blocked": switch, "reason": "x"})
        assert (reply.status, reply.error["details"]["errors"][0]["field"]) == (422, "blocked"), switch
    _ = timedelta


def test_search_by_ozon_id_finds_exactly_its_owner(
    owner: Api, network: dict[str, str], domain: Services
) -> None:
    ozon_id = domain.participants.get(network["c"]).ozon_id

    def listing(**query: object) -> list[str]:
        reply = owner.get("/admin/participants", query=query)
        assert reply.status == 200, reply.text
        return ids(reply.json)

    assert listing(ozon_id=ozon_id) == [network["c"]]
    assert listing(ozon_id=ozon_id, id=network["c"], sort="balance") == [network["c"]]
    assert listing(ozon_id=ozon_id, id=network["b"]) == []
    assert listing(ozon_id=ozon_id, blocked=True) == []
    assert listing(ozon_id="999999999999") == []
    assert owner.get("/admin/participants", query={"ozon_id": "12ab"}).status == 422


def test_the_name_filter_also_finds_the_telegram_username(owner: Api, network: dict[str, str]) -> None:
    def listing(**query: object) -> list[str]:
        reply = owner.get("/admin/participants", query=query)
        assert reply.status == 200, reply.text
        return ids(reply.json)

    assert listing(name="user13") == [network["c"]]
    assert listing(name="@USER13", sort="balance") == [network["c"]]
    assert listing(name="@name13") == []  # with '@' only the username counts
    assert sorted(listing(name="user1", sort="name", order="asc")) == sorted(network.values())
    assert listing(name="name13", sort="registered_at") == [network["c"]]


def seed_participants(clock: FakeClock, ids: list[str], sponsored: tuple[str, ...] = ()) -> None:
    """Participants written straight into the table as registration writes them (fast for big lists)."""
    with ParticipantItem.batch_write() as batch:
        for n, pid in enumerate(ids, start=1):
            sponsor = "1000001" if pid in sponsored else None
            stamp = to_iso(clock.now + timedelta(minutes=n))
            batch.save(
                ParticipantItem(
                    keys.participant_pk(pid),
                    keys.PROFILE,
                    participant_id=pid,
                    username=f"user{pid}",
                    first_name=f"Name{pid}",
                    ozon_id=str(50_000_000 + n),
                    sponsor_id=sponsor,
                    ancestors=[sponsor] if sponsor else [],
                    registered_at=stamp,
                    gsi1pk=keys.sponsor_gsi(sponsor),
                    gsi1sk=f"{stamp}#{pid}",
                    **list_keys(pid, f"Name{pid}", None, f"user{pid}"),
                )
            )


@pytest.fixture
def crowd(owner: Api, clock: FakeClock) -> list[str]:
    """150 participants (more than one index page), three of them referrals of 1000001."""
    everyone = [str(1_000_000 + n) for n in range(1, 151)]
    seed_participants(clock, everyone, sponsored=("1000040", "1000090", "1000140"))
    return everyone


def test_a_name_search_with_any_sort_reads_two_index_queries_and_one_batch(
    owner: Api, crowd: list[str]
) -> None:
    with dynamodb_requests() as requests:
        reply = owner.get("/admin/participants", query={"name": "name100009", "sort": "balance"})

    assert {row["id"] for row in reply.json["items"]} == {f"100009{n}" for n in range(10)}
    assert requests.calls == {"GetItem": 1, "Query": 2, "BatchGetItem": 1}  # GetItem: the session's admin


def test_the_sponsor_filter_reads_the_sponsors_referrals_only(owner: Api, crowd: list[str]) -> None:
    with dynamodb_requests() as requests:
        reply = owner.get("/admin/participants", query={"sponsor_id": "1000001", "sort": "registered_at"})

    assert [row["id"] for row in reply.json["items"]] == ["1000140", "1000090", "1000040"]
    assert reply.json["next_cursor"] is None
    assert requests.calls == {"GetItem": 1, "Query": 1}


def test_search_pages_follow_the_sort_and_the_cursor(owner: Api, crowd: list[str]) -> None:
    seen: list[str] = []
    cursor = None
    while True:
        page = owner.get(
            "/admin/participants",
            query={"name": "name10001", "sort": "id", "order": "desc", "limit": 4, "cursor": cursor},
        ).json
        seen += ids(page)
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [str(1_000_000 + n) for n in range(150, 99, -1)]


def test_a_broad_name_search_still_lists_every_match_in_order(owner: Api, crowd: list[str]) -> None:
    seen: list[str] = []
    cursor = None
    for _ in range(20):
        page = owner.get(
            "/admin/participants",
            query={"name": "name1", "sort": "name", "order": "asc", "limit": 50, "cursor": cursor},
        ).json
        seen += ids(page)
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == sorted(crowd)


def test_a_filter_the_index_cannot_serve_keeps_reading_until_the_page_is_full(
    owner: Api, crowd: list[str]
) -> None:
    for pid in ("1000003", "1000004", "1000005"):
        assert owner.put(f"/admin/participants/{pid}/blocked", {"blocked": True, "reason": "x"}).status == 200

    reply = owner.get("/admin/participants", query={"blocked": True, "limit": 3})

    assert ids(reply.json) == ["1000005", "1000004", "1000003"]  # past the first index page of 100


def test_a_search_whose_matches_outgrow_memory_goes_on_in_the_index(
    owner: Api, crowd: list[str], clock: FakeClock
) -> None:
    query = {"name": "name10001", "sort": "id", "order": "desc", "limit": 4}
    first = owner.get("/admin/participants", query=query).json
    seed_participants(clock, [str(10_001_000 + n) for n in range(60)])  # now 111 match

    seen = ids(first)
    cursor = first["next_cursor"]
    while cursor is not None:
        page = owner.get("/admin/participants", query={**query, "limit": 20, "cursor": cursor}).json
        seen += ids(page)
        cursor = page["next_cursor"]

    assert seen == [str(1_000_000 + n) for n in range(150, 99, -1)]


def test_money_is_a_decimal_string_with_two_places_everywhere(
    owner: Api, domain: Services, clock: FakeClock
) -> None:
    """DynamoDB gives numbers back without trailing zeros: "1000" is shown as "1000.00"."""
    a, b = chain(domain, "71", "72")
    clock.advance(minutes=5)
    domain.purchases.record_purchase(posting(clock.now, "1000.00"), b.id, Attribution.CLAIM)
    for item in Entity.scan():  # as DynamoDB stores numbers: 1000.00 comes back as 1000
        for name, attribute in item.get_attributes().items():
            value = getattr(item, name)
            if isinstance(attribute, DecimalAttribute) and value is not None and value == int(value):
                setattr(item, name, Decimal(int(value)))
        item.save()

    card = owner.get(f"/admin/participants/{b.id}").json
    sponsor = owner.get(f"/admin/participants/{a.id}").json
    row = owner.get("/admin/participants", query={"id": b.id}).json["items"][0]
    [accrual] = owner.get(f"/admin/participants/{a.id}/ledger").json["items"]

    assert (card["purchases_sum"], card["last_order"]["amount"], row["purchases_sum"]) == ("1000.00",) * 3
    assert [lv["amount"] for lv in card["levels"]] == ["1000.00"]
    assert (sponsor["network_amount"], accrual["amount"]) == ("1000.00", "1000.00")
