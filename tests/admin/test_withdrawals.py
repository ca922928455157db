"""Withdrawals: list, detail with history and comments, status changes with exactly one notice each."""

from __future__ import annotations

import json

import boto3
import pytest
from referral.domain.orders import Attribution
from referral.services import Services

from devtools.fake_telegram import FakeTelegram
from tests.admin.conftest import OPERATOR_ID, Api, audits, ledger, outbox, snapshot
from tests.conftest import TABLE_NAME
from tests.support.builders import join, posting
from tests.support.clock import FakeClock

PAYOUT = {"method": "sbp", "reference": "PAY-1"}


@pytest.fixture
def requests(owner: Api, domain: Services, clock: FakeClock) -> list[str]:
    """Participant 31 with 1000 available points and two requests (300, then 200 points)."""
    participant = join(domain, "31")
    join(domain, "32")
    domain.ledger.correct_balance(
        "setup",
        participant.id,
        available_change=1000,
        total_change=1000,
        reason="seed",
        idempotency_key="seed-1",
    )
    first = domain.withdrawals.request(participant.id, 300, "req-1")
    clock.advance(minutes=1)
    second = domain.withdrawals.request(participant.id, 200, "req-2")
    return [first.withdrawal_id, second.withdrawal_id]


def test_the_list_is_newest_first_and_filterable(owner: Api, requests: list[str]) -> None:
    reply = owner.get("/admin/withdrawals", as_="operator")
    assert reply.status == 200
    assert [w["id"] for w in reply.json["items"]] == requests[::-1]
    row = reply.json["items"][0]
    assert (row["participant_id"], row["points"], row["fiat_amount"], row["status"]) == (
        "31",
        200,
        "200.00",
        "new",
    )
    assert [
        w["id"] for w in owner.get("/admin/withdrawals", query={"order": "asc"}).json["items"]
    ] == requests
    assert [
        w["points"] for w in owner.get("/admin/withdrawals", query={"points_min": 250}).json["items"]
    ] == [300]
    assert owner.get("/admin/withdrawals", query={"status": "paid"}).json["items"] == []
    assert len(owner.get("/admin/withdrawals", query={"participant_id": "31"}).json["items"]) == 2
    assert owner.get("/admin/withdrawals", query={"participant_id": "32"}).json["items"] == []
    assert owner.get("/admin/withdrawals", query={"from": "2026-02-01"}).json["items"] == []
    page = owner.get("/admin/withdrawals", query={"limit": 1}).json
    rest = owner.get("/admin/withdrawals", query={"limit": 1, "cursor": page["next_cursor"]}).json
    assert [page["items"][0]["id"], rest["items"][0]["id"]] == requests[::-1]
    assert owner.get("/admin/withdrawals", query={"status": "done"}).status == 422


def test_a_status_change_is_audited_moves_points_and_puts_exactly_one_notice_in_the_outbox(
    owner: Api, requests: list[str]
) -> None:
    wid = requests[0]
    before = len(outbox())

    negotiating = owner.post(f"/admin/withdrawals/{wid}/status", {"status": "negotiation"}, as_="operator")
    assert (negotiating.status, negotiating.json["status"]) == (200, "negotiation")
    paid = owner.post(
        f"/admin/withdrawals/{wid}/status", {"status": "paid", "payout": PAYOUT}, as_="operator"
    )

    assert (paid.status, paid.json["status"]) == (200, "paid")
    notices = [n for n in outbox() if json.loads(n.payload).get("withdrawal_id") == wid]
    assert len(outbox()) == before + 2
    assert sorted(json.loads(n.payload)["status"] for n in notices) == ["negotiation", "paid"]
    assert all(  # delivered right after each change
        n.participant_id == "31" and n.kind == "withdrawal_status" and n.status == "sent" for n in notices
    )
    paid_notice = next(json.loads(n.payload) for n in notices if json.loads(n.payload)["status"] == "paid")
    assert (paid_notice["points"], paid_notice["fiat_amount"], paid_notice["available_after"]) == (
        300,
        "300.00",
        500,
    )
    [entry] = [e for e in ledger() if e.withdrawal_id == wid and e.kind == "withdrawal_paid"]
    assert (entry.d_reserved, entry.d_withdrawn, entry.actor_id) == (-300, 300, OPERATOR_ID)
    records = [a for a in audits() if a.object_id == wid]
    assert sorted((a.action, tuple((c.old, c.new) for c in a.changes)) for a in records) == [
        ("withdrawal.negotiation", (("new", "negotiation"),)),
        ("withdrawal.paid", (("negotiation", "paid"), (None, "sbp"), (None, "PAY-1"))),
    ]
    history = paid.json["history"]
    assert [(h["event"], h["to_status"]) for h in history] == [
        ("created", "new"),
        ("status", "negotiation"),
        ("status", "paid"),
    ]
    card = owner.get("/admin/participants/31").json
    assert (card["withdrawn"], card["reserved"], card["last_withdrawal"]["points"]) == (300, 200, 300)


def test_a_rejection_needs_a_reason_and_a_wrong_transition_is_refused_without_writes(
    owner: Api, requests: list[str]
) -> None:
    wid = requests[1]
    before = snapshot()

    no_reason = owner.post(f"/admin/withdrawals/{wid}/status", {"status": "rejected"})
    wrong = owner.post(f"/admin/withdrawals/{wid}/status", {"status": "paid", "payout": PAYOUT})
    unknown = owner.post(f"/admin/withdrawals/{wid}/status", {"status": "lost"})
    missing = owner.post("/admin/withdrawals/abc123/status", {"status": "cancelled"})

    assert (no_reason.status, no_reason.error["code"]) == (422, "invalid_input")
    assert "reason" in no_reason.error["message"]
    assert (wrong.status, wrong.error["code"]) == (409, "invalid_transition")
    assert unknown.status == 422
    assert missing.status == 404
    assert snapshot() == before

    rejected = owner.post(f"/admin/withdrawals/{wid}/status", {"status": "rejected", "reason": "wrong card"})
    assert (rejected.status, rejected.json["reason"]) == (200, "wrong card")
    [notice] = [json.loads(n.payload) for n in outbox() if json.loads(n.payload).get("withdrawal_id") == wid]
    assert (notice["status"], notice["reason"]) == ("rejected", "wrong card")


def test_comments_are_kept_in_the_history_and_audited(owner: Api, requests: list[str]) -> None:
    wid = requests[0]
    reply = owner.post(f"/admin/withdrawals/{wid}/comments", {"text": "called, waiting for card number"})

    assert reply.status == 200
    assert [h["text"] for h in reply.json["history"] if h["event"] == "comment"] == [
        "called, waiting for card number"
    ]
    assert [a.action for a in audits() if a.object_id == wid] == ["withdrawal.comment"]
    before = snapshot()
    assert owner.post(f"/admin/withdrawals/{wid}/comments", {"text": "   "}).status == 422
    assert owner.post("/admin/withdrawals/ffff/comments", {"text": "x"}).status == 404
    assert snapshot() == before
    detail = owner.get(f"/admin/withdrawals/{wid}")
    assert (detail.status, detail.json["participant_name"]) == (200, "Name31")


def test_the_status_notice_reaches_the_bot_api(
    owner: Api, requests: list[str], clock: FakeClock, telegram: FakeTelegram
) -> None:
    from functions.notify_outbox.handler import sweep

    reply = owner.post(f"/admin/withdrawals/{requests[0]}/status", {"status": "negotiation"})
    assert reply.status == 200

    [call] = telegram.calls_to("sendMessage")  # right after the change, not by the sweep
    assert str(call.chat_id) == "31"
    assert [n.status for n in outbox()] == ["sent"]
    assert sweep(clock=clock).sent == 0


def test_the_queue_counts_follow_every_status_change(owner: Api, requests: list[str]) -> None:
    def counts() -> dict[str, int]:
        reply = owner.get("/admin/withdrawals/counts", as_="operator")
        assert reply.status == 200
        return dict(reply.json)

    assert counts() == {"new": 2, "negotiation": 0}
    first, second = requests
    assert owner.post(f"/admin/withdrawals/{first}/status", {"status": "negotiation"}).status == 200
    assert counts() == {"new": 1, "negotiation": 1}
    assert (
        owner.post(f"/admin/withdrawals/{first}/status", {"status": "paid", "payout": PAYOUT}).status == 200
    )
    assert owner.post(f"/admin/withdrawals/{second}/status", {"status": "cancelled"}).status == 200
    assert counts() == {"new": 0, "negotiation": 0}
    assert owner.get("/admin/withdrawals/counts", as_=None).status == 401


@pytest.fixture
def many_requests(owner: Api, domain: Services, clock: FakeClock) -> dict[str, str]:
    """Requests of 41 and 42 at point rate 1, then one at rate 2 (more RUB for fewer points)."""
    for pid in ("41", "42"):
        join(domain, pid)
        domain.ledger.correct_balance(
            "setup", pid, available_change=5000, total_change=5000, reason="seed", idempotency_key=f"s-{pid}"
        )
    made: dict[str, str] = {}
    for label, pid, points in (("a", "41", 300), ("b", "42", 700), ("c", "41", 150), ("d", "42", 500)):
        clock.advance(minutes=1)
        made[label] = domain.withdrawals.request(pid, points, f"r-{label}").withdrawal_id
    domain.settings.update("owner", {"point_rate": "2"})
    clock.advance(minutes=1)
    made["e"] = domain.withdrawals.request("41", 400, "r-e").withdrawal_id  # 800.00 RUB
    domain.withdrawals.change_status("x", made["b"], "negotiation")
    domain.withdrawals.change_status("x", made["b"], "paid")
    domain.withdrawals.change_status("x", made["c"], "cancelled")
    domain.withdrawals.change_status("x", made["d"], "negotiation")
    return made


def walk(owner: Api, **query: object) -> list[str]:
    seen: list[str] = []
    cursor = None
    while True:
        reply = owner.get("/admin/withdrawals", query={**query, "limit": 2, "cursor": cursor})
        assert reply.status == 200, reply.text
        seen += [w["id"] for w in reply.json["items"]]
        cursor = reply.json["next_cursor"]
        if cursor is None:
            return seen


def test_withdrawals_sort_by_points_amount_and_status(owner: Api, many_requests: dict[str, str]) -> None:
    label = {wid: name for name, wid in many_requests.items()}

    def order(**query: object) -> str:
        return "".join(label[w] for w in walk(owner, **query))

    assert order() == "edcba"  # newest first
    assert order(sort="points") == "bdeac"
    assert order(sort="points", order="asc") == "caedb"
    assert order(sort="amount") == "ebdac"  # e: 400 points at rate 2
    assert (
        order(sort="status") == "cbdea"
    )  # cancelled, rejected, paid, negotiation, new — newest first in each
    assert order(sort="status", order="asc") == "eadbc"
    assert order(sort="points", points_min=200, points_max=600) == "dea"
    assert order(sort="points", participant_id="41") == "eac"
    assert order(sort="amount", participant_id="42", order="asc") == "db"
    assert order(sort="status", status="negotiation") == "d"
    assert order(sort="points", status="new") == "ea"
    assert owner.get("/admin/withdrawals", query={"sort": "size"}).status == 422


def test_only_withdrawal_requests_are_copied_into_the_amount_lists(
    domain: Services, clock: FakeClock, requests: list[str]
) -> None:
    """Accruals and ledger entries have ``points`` too; the sorted withdrawal lists must not carry them."""
    buyer = join(domain, "33", domain.participants.get("31"))
    clock.advance(minutes=1)
    result = domain.purchases.record_purchase(posting(clock.now, "2000"), buyer.id, Attribution.CUSTOMER_ID)
    assert result.points > 0
    client = boto3.client("dynamodb")
    for index in ("W_POINTS", "W_AMOUNT"):
        pks = {item["PK"]["S"] for item in client.scan(TableName=TABLE_NAME, IndexName=index)["Items"]}
        assert pks == {f"WD#{withdrawal_id}" for withdrawal_id in requests}, index
