"""The claims queue over HTTP: the list with the posting's facts, approve and reject exactly once."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from referral.domain.orders import PostingLine
from referral.services import Services

from devtools.fake_telegram import FakeTelegram
from tests.admin.conftest import Api, audits, ledger
from tests.support.builders import chain, posting
from tests.support.clock import FakeClock


def held_claim(domain: Services, clock: FakeClock, number: str, user_id: str) -> None:
    _, buyer = chain(domain, f"{user_id}0", user_id)
    clock.advance(minutes=1)
    bought = replace(
        posting(clock.now, "2000.00", number=number, scheme="FBO"),
        lines=(PostingLine("77", "tea", "Tea <b>", Decimal("2000.00"), 1),),
    )
    [outcome] = domain.claims.prove(buyer.id, [bought], "2000")
    assert outcome.held


def test_operators_list_approve_and_reject_claims(
    owner: Api, domain: Services, clock: FakeClock, telegram: FakeTelegram
) -> None:
    domain.settings.update("admin", {"claims": {"review": "all"}})
    held_claim(domain, clock, "8000-0001-1", "51")
    held_claim(domain, clock, "8000-0002-1", "52")

    listed = owner.get("/admin/claims", as_="operator").json["items"]

    assert [(c["posting_number"], c["participant_id"], c["proven"]) for c in listed] == [
        ("8000-0001-1", "51", True),
        ("8000-0002-1", "52", True),
    ]
    assert listed[0]["lines"] == [{"name": "Tea <b>", "sku": "77", "price": "2000.00", "quantity": 1}]
    approve = {"participant_id": "51", "idempotency_key": "approve-0001"}
    first = owner.post("/admin/claims/8000-0001-1/approve", approve, as_="operator")
    again = owner.post("/admin/claims/8000-0001-1/approve", approve, as_="operator")
    rejected = owner.post(
        "/admin/claims/8000-0002-1/reject",
        {"participant_id": "52", "reason": "Не ваш заказ", "idempotency_key": "reject-0001"},
        as_="operator",
    )
    no_reason = owner.post(
        "/admin/claims/8000-0002-1/reject",
        {"participant_id": "52", "reason": "", "idempotency_key": "reject-0002"},
        as_="operator",
    )
    decided_again = owner.post(
        "/admin/claims/8000-0002-1/approve",
        {"participant_id": "52", "idempotency_key": "approve-0002"},
        as_="operator",
    )

    assert (first.status, first.json["applied"], again.json["applied"]) == (200, True, False)
    assert (rejected.status, no_reason.status, decided_again.status) == (200, 422, 409)
    assert owner.get("/admin/claims", as_="operator").json["items"] == []
    assert [e.participant_id for e in ledger()] == ["510"]  # the approved claim's sponsor, once
    assert sorted(a.action for a in audits() if a.action.startswith("claim.")) == [
        "claim.approve",
        "claim.reject",
    ]
    told = [c.text for c in telegram.calls_to("sendMessage") if c.chat_id == 52]
    assert told == ["❌ Оператор отклонил заявку на заказ 8000-0002-1. Причина: Не ваш заказ"]


def test_the_list_pages_with_a_cursor_bound_to_its_status(
    owner: Api, domain: Services, clock: FakeClock
) -> None:
    domain.settings.update("admin", {"claims": {"review": "all"}})
    for n in range(3):
        held_claim(domain, clock, f"8100-000{n}-1", f"6{n}")

    first = owner.get("/admin/claims", query={"limit": "2"}, as_="operator").json
    second = owner.get(
        "/admin/claims", query={"limit": "2", "cursor": first["next_cursor"]}, as_="operator"
    ).json
    elsewhere = owner.get(
        "/admin/claims", query={"status": "approved", "cursor": first["next_cursor"]}, as_="operator"
    )
    forged = owner.get("/admin/claims", query={"cursor": "forged"}, as_="operator")

    pages = [[c["posting_number"] for c in page["items"]] for page in (first, second)]
    assert pages == [["8100-0000-1", "8100-0001-1"], ["8100-0002-1"]]
    assert second["next_cursor"] is None
    assert (elsewhere.status, elsewhere.error["details"]["reason"]) == (404, "bad_cursor")
    assert (forged.status, forged.error["details"]["reason"]) == (404, "bad_cursor")


def test_decided_claims_come_newest_decision_first(owner: Api, domain: Services, clock: FakeClock) -> None:
    domain.settings.update("admin", {"claims": {"review": "all"}})
    for n in range(3):
        held_claim(domain, clock, f"8200-000{n}-1", f"7{n}")
    for n in (1, 0):
        clock.advance(minutes=1)
        body = {"participant_id": f"7{n}", "idempotency_key": f"approve-820{n}"}
        assert owner.post(f"/admin/claims/8200-000{n}-1/approve", body, as_="operator").json["applied"]

    def numbers(status: str) -> list[str]:
        page = owner.get("/admin/claims", query={"status": status}, as_="operator").json
        return [c["posting_number"] for c in page["items"]]

    assert numbers("approved") == ["8200-0000-1", "8200-0001-1"]
    assert numbers("pending") == ["8200-0002-1"]
