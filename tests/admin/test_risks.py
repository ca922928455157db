"""Fraud flags over HTTP: the open list with its filters and cursor, one flag, resolution with a note."""

from __future__ import annotations

import pytest
from referral.errors import OzonIdTaken
from referral.services import Services

from tests.admin.conftest import OPERATOR_ID, Api, audits
from tests.support.builders import join, posting
from tests.support.clock import FakeClock


@pytest.fixture
def flagged(owner: Api, domain: Services, clock: FakeClock) -> dict[str, str]:
    """Two participants with equal Ozon IDs (11, 12), and 12 claiming three orders within a day."""
    limits = {"claim_burst_count": 3, "claim_burst_hours": 24}
    changes = {"expected_version": 0, "changes": {"risks": limits}}
    assert owner.put("/admin/settings", changes).status == 200
    join(domain, "11", ozon_id="555777")
    with pytest.raises(OzonIdTaken):
        join(domain, "12", ozon_id="0555777")
    claimant = join(domain, "12")
    for n in range(3):
        clock.advance(minutes=1)
        domain.purchases.claim_order(claimant.id, posting(clock.now, number=f"C-{n}"))
    rows = owner.get("/admin/risks", as_="operator").json["items"]
    return {row["kind"]: row["flag_id"] for row in rows}


def test_open_flags_are_listed_newest_first_with_their_evidence(owner: Api, flagged: dict[str, str]) -> None:
    reply = owner.get("/admin/risks", as_="operator")

    assert reply.status == 200
    rows = reply.json["items"]
    assert [r["kind"] for r in rows] == ["claim_burst", "shared_ozon_id"]
    assert rows[1]["participant_ids"] == ["11", "12"]
    assert rows[1]["evidence"] == {"count": 2, "ozon_id": "555777", "participants": ["11", "12"]}
    assert rows[0]["status"] == "open" and rows[0]["resolved_at"] is None


def test_the_list_filters_by_kind_participant_and_day_and_pages_with_a_cursor(
    owner: Api, flagged: dict[str, str], clock: FakeClock
) -> None:
    kinds = owner.get("/admin/risks", query={"kind": "shared_ozon_id"}).json["items"]
    mine = owner.get("/admin/risks", query={"participant_id": "11"}).json["items"]
    later = owner.get("/admin/risks", query={"from": (clock.now.date().replace(year=2099)).isoformat()})
    first = owner.get("/admin/risks", query={"limit": "1"}).json
    second = owner.get("/admin/risks", query={"limit": "1", "cursor": first["next_cursor"]}).json

    assert [r["kind"] for r in kinds] == ["shared_ozon_id"]
    assert [r["kind"] for r in mine] == ["shared_ozon_id"]
    assert later.json["items"] == []
    assert [first["items"][0]["kind"], second["items"][0]["kind"]] == ["claim_burst", "shared_ozon_id"]


def test_bad_filters_and_cursors_are_refused_with_4xx(owner: Api, flagged: dict[str, str]) -> None:
    assert owner.get("/admin/risks", query={"kind": "nonsense"}).status == 422
    assert owner.get("/admin/risks", query={"from": "2026-02-01T00:00"}).status == 422
    assert owner.get("/admin/risks", query={"cursor": "forged"}).status == 404
    other = owner.get("/admin/risks", query={"limit": "1"}).json["next_cursor"]
    assert owner.get("/admin/risks", query={"kind": "claim_burst", "cursor": other}).status == 404


def test_resolving_a_flag_is_audited_once_and_idempotent(owner: Api, flagged: dict[str, str]) -> None:
    flag_id = flagged["shared_ozon_id"]

    first = owner.post(f"/admin/risks/{flag_id}/resolve", {"note": "the same family"}, as_="operator")
    again = owner.post(f"/admin/risks/{flag_id}/resolve", {"note": "second try"})

    assert first.status == again.status == 200
    assert (first.json["status"], first.json["note"], first.json["resolved_by"]) == (
        "resolved",
        "the same family",
        OPERATOR_ID,
    )
    assert again.json == first.json
    resolutions = [a for a in audits() if a.action == "risk.resolve"]
    assert [(a.object_id, a.actor_id, a.reason) for a in resolutions] == [
        (flag_id, OPERATOR_ID, "the same family")
    ]
    remaining = owner.get("/admin/risks").json["items"]
    assert [r["kind"] for r in remaining] == ["claim_burst"]
    assert owner.get(f"/admin/risks/{flag_id}").json["status"] == "resolved"


def test_resolving_needs_a_note_a_known_flag_and_a_session(owner: Api, flagged: dict[str, str]) -> None:
    flag_id = flagged["claim_burst"]

    assert owner.post(f"/admin/risks/{flag_id}/resolve", {"note": "   "}).status == 422
    assert owner.post(f"/admin/risks/{flag_id}/resolve", {"note": "x", "extra": 1}).status == 422
    assert owner.post("/admin/risks/" + "a" * 20 + "/resolve", {"note": "x"}).status == 404
    assert owner.post(f"/admin/risks/{flag_id}/resolve", {"note": "x"}, as_=None).status == 401
    assert owner.get(f"/admin/risks/{flag_id}").json["status"] == "open"
    assert not [a for a in audits() if a.action == "risk.resolve"]
