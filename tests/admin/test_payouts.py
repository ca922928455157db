"""Payouts: request numbers, payout details when paid, bulk moves and the accounting export."""

from __future__ import annotations

import csv
import io

import pytest
from referral.domain.participants import Participant
from referral.repository import keys
from referral.repository.admin_accounts import set_admin_name
from referral.repository.models import WithdrawalCounterItem, WithdrawalItem
from referral.repository.withdrawal_numbers import backfill
from referral.services import Services

from tests.admin.conftest import OPERATOR_ID, Api, audits, snapshot
from tests.support.builders import join
from tests.support.clock import FakeClock


def _funded(domain: Services, user_id: str, points: int = 1000) -> Participant:
    participant = join(domain, user_id)
    domain.ledger.correct_balance(
        "setup",
        participant.id,
        available_change=points,
        total_change=points,
        reason="seed",
        idempotency_key=f"seed-{user_id}",
    )
    return participant


@pytest.fixture
def three(owner: Api, domain: Services, clock: FakeClock) -> list[str]:
    """Three requests of participant 41 (100, 200, 300 points), numbered W-1, W-2, W-3."""
    participant = _funded(domain, "41")
    made = []
    for n, points in enumerate((100, 200, 300), start=1):
        made.append(domain.withdrawals.request(participant.id, points, f"req-{n}").withdrawal_id)
        clock.advance(minutes=1)
    return made


def test_numbers_are_sequential_shown_and_a_retry_takes_none(
    owner: Api, domain: Services, three: list[str]
) -> None:
    again = domain.withdrawals.request("41", 100, "req-1")

    rows = owner.get("/admin/withdrawals", query={"order": "asc"}).json["items"]
    assert [(r["id"], r["number"], r["label"]) for r in rows] == [
        (three[0], 1, "W-1"),
        (three[1], 2, "W-2"),
        (three[2], 3, "W-3"),
    ]
    assert (again.withdrawal_id, again.number) == (three[0], 1)
    assert WithdrawalCounterItem.get(keys.WITHDRAWAL_COUNTER_PK, keys.COUNTER_SK).last == 3


@pytest.mark.parametrize("text", ["W-2", "w2", "2", " W-002 "])
def test_a_request_is_found_by_its_number(owner: Api, three: list[str], text: str) -> None:
    found = owner.get("/admin/withdrawals/find", query={"q": text}, as_="operator")
    assert (found.status, found.json["id"], found.json["label"]) == (200, three[1], "W-2")


def test_a_request_is_found_by_its_id_and_an_unknown_number_is_404(owner: Api, three: list[str]) -> None:
    assert owner.get("/admin/withdrawals/find", query={"q": three[2]}).json["label"] == "W-3"
    missing = owner.get("/admin/withdrawals/find", query={"q": "W-99"})
    assert (missing.status, missing.error["details"]["reason"]) == (404, "withdrawal_not_found")


def _to_negotiation(owner: Api, ids: list[str]) -> None:
    for wid in ids:
        assert owner.post(f"/admin/withdrawals/{wid}/status", {"status": "negotiation"}).status == 200


def test_paid_needs_the_payout_and_a_card_number_is_stored_masked(owner: Api, three: list[str]) -> None:
    wid = three[0]
    _to_negotiation(owner, [wid])
    before = snapshot()

    missing = owner.post(f"/admin/withdrawals/{wid}/status", {"status": "paid"})
    no_reference = owner.post(
        f"/admin/withdrawals/{wid}/status", {"status": "paid", "payout": {"method": "card", "reference": " "}}
    )
    bad_method = owner.post(
        f"/admin/withdrawals/{wid}/status",
        {"status": "paid", "payout": {"method": "crypto", "reference": "R1"}},
    )
    card_as_reference = owner.post(
        f"/admin/withdrawals/{wid}/status",
        {"status": "paid", "payout": {"method": "card", "reference": "4276 3800 1234 5678"}},
    )

    assert (missing.status, missing.error["details"]["reason"]) == (422, "payout_required")
    assert no_reference.status == 422
    assert bad_method.status == 422
    assert (card_as_reference.status, card_as_reference.error["details"]["reason"]) == (
        422,
        "payout_reference_card_number",
    )
    assert snapshot() == before

    paid = owner.post(
        f"/admin/withdrawals/{wid}/status",
        {
            "status": "paid",
            "payout": {"method": "card", "reference": "PP-77", "details": "Sber 4276-3800-1234-5678"},
        },
        as_="operator",
    )

    assert paid.status == 200
    assert (paid.json["payout_method"], paid.json["payout_details"], paid.json["payout_reference"]) == (
        "card",
        "Sber •••• 5678",
        "PP-77",
    )
    assert paid.json["closed_by"] == OPERATOR_ID
    assert "4276" not in str(snapshot())
    [record] = [a for a in audits() if a.object_id == wid and a.action == "withdrawal.paid"]
    assert {c.attribute: c.new for c in record.changes} == {
        "status": "paid",
        "payout_method": "card",
        "payout_details": "Sber •••• 5678",
        "payout_reference": "PP-77",
    }
    history = owner.get("/admin/withdrawals", query={"participant_id": "41", "status": "paid"}).json["items"]
    assert [(r["label"], r["payout_reference"]) for r in history] == [("W-1", "PP-77")]


def test_bulk_paid_moves_each_request_on_its_own_and_reports_the_refused_one(
    owner: Api, three: list[str]
) -> None:
    _to_negotiation(owner, three[:2])  # the third stays new: it cannot be paid yet
    body = {"ids": three, "status": "paid", "payout": {"method": "bank_transfer", "reference": "REG-5"}}

    reply = owner.post("/admin/withdrawals/bulk", body, as_="operator")

    assert reply.status == 200
    assert [(i["label"], i["result"], i["reason"]) for i in reply.json["items"]] == [
        ("W-1", "done", None),
        ("W-2", "done", None),
        ("W-3", "refused", "invalid_transition"),
    ]
    items = {i.withdrawal_id: i for i in WithdrawalItem.scan()}
    assert [items[w].status for w in three] == ["paid", "paid", "new"]
    assert [items[w].payout_reference for w in three] == ["REG-5", "REG-5", None]
    assert len([a for a in audits() if a.action == "withdrawal.paid"]) == 2
    assert owner.get("/admin/participants/41").json["withdrawn"] == 300

    repeated = owner.post("/admin/withdrawals/bulk", body)
    assert [i["result"] for i in repeated.json["items"]] == ["unchanged", "unchanged", "refused"]
    assert len([a for a in audits() if a.action == "withdrawal.paid"]) == 2


def test_bulk_refuses_paid_without_a_payout_and_moves_nothing(owner: Api, three: list[str]) -> None:
    before = snapshot()
    reply = owner.post("/admin/withdrawals/bulk", {"ids": three, "status": "paid"})
    assert (reply.status, reply.error["details"]["reason"]) == (422, "payout_required")
    assert owner.post("/admin/withdrawals/bulk", {"ids": three, "status": "rejected"}).status == 422
    assert snapshot() == before


def test_bulk_negotiation(owner: Api, three: list[str]) -> None:
    reply = owner.post("/admin/withdrawals/bulk", {"ids": three[:2], "status": "negotiation"})
    assert [i["result"] for i in reply.json["items"]] == ["done", "done"]
    counts = owner.get("/admin/withdrawals/counts").json
    assert (counts["new"], counts["negotiation"]) == (1, 2)


def test_the_payouts_export_has_a_row_per_request_with_its_payout_and_operator(
    owner: Api, three: list[str], clock: FakeClock
) -> None:
    set_admin_name(OPERATOR_ID, "Olga")
    _to_negotiation(owner, three[:1])
    owner.post(
        f"/admin/withdrawals/{three[0]}/status",
        {"status": "paid", "payout": {"method": "sbp", "reference": "SBP-1", "details": "Tinkoff ***-12-34"}},
        as_="operator",
    )
    day = clock.now.date().isoformat()

    english = {"delimiter": "comma", "lang": "en"}
    reply = owner.get(
        "/admin/exports/payouts.csv", query={"from": day, "to": day, "status": "paid", **english}
    )
    everything = owner.get("/admin/exports/payouts.csv", query={"from": day, "to": day})

    assert reply.status == 200
    rows = list(csv.DictReader(io.StringIO(reply.text.removeprefix("\ufeff"))))
    assert [
        (
            r["Request number"],
            r["Points"],
            r["Rubles"],
            r["Payout method"],
            r["Details (masked)"],
            r["Payment reference"],
        )
        for r in rows
    ] == [("W-1", "100", "100.00", "sbp", "Tinkoff ***-12-34", "SBP-1")]
    assert (rows[0]["Operator ID"], rows[0]["Operator"], rows[0]["Request ID"]) == (
        OPERATOR_ID,
        "Olga",
        three[0],
    )
    assert rows[0]["Closed at"] and rows[0]["Requested at"]
    russian = csv.DictReader(io.StringIO(everything.text.removeprefix("\ufeff")), delimiter=";")
    assert [r["Номер заявки"] for r in russian] == ["W-1", "W-2", "W-3"]


def test_the_backfill_numbers_old_requests_once_after_a_dry_run(
    owner: Api, domain: Services, three: list[str]
) -> None:
    old = _funded(domain, "42")
    legacy = domain.withdrawals.request(old.id, 100, "old-1")
    WithdrawalItem(keys.withdrawal_pk(legacy.withdrawal_id), keys.WITHDRAWAL_SK).update(
        [WithdrawalItem.number.remove()]
    )
    assert owner.get(f"/admin/withdrawals/{legacy.withdrawal_id}").json["label"] == legacy.withdrawal_id

    planned = backfill(dry_run=True)
    assert [(p.withdrawal_id, p.number) for p in planned] == [(legacy.withdrawal_id, 5)]
    assert owner.get(f"/admin/withdrawals/{legacy.withdrawal_id}").json["number"] is None

    done = backfill(dry_run=False)
    assert [(p.withdrawal_id, p.number) for p in done] == [(legacy.withdrawal_id, 5)]
    assert backfill(dry_run=False) == []
    assert owner.get("/admin/withdrawals/find", query={"q": "W-5"}).json["id"] == legacy.withdrawal_id
