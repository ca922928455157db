"""The journal (actions and the global ledger), settings, the Ozon connection and admins management."""

from __future__ import annotations

import json

import pytest
from referral.domain.orders import Attribution
from referral.repository.models import OzonConnectionItem, SettingsItem
from referral.services import Services

from tests.admin.conftest import OPERATOR_ID, OWNER_ID, SESSION_SECRET, Api, audits, snapshot
from tests.support.builders import chain, join, posting
from tests.support.clock import FakeClock


def test_the_action_journal_is_newest_first_filterable_and_shows_old_and_new_values(
    owner: Api, domain: Services, clock: FakeClock
) -> None:
    join(domain, "41")
    clock.advance(seconds=1)
    owner.put("/admin/participants/41/blocked", {"blocked": True, "reason": "spam"}, as_="operator")
    clock.advance(seconds=1)
    owner.put("/admin/settings", {"expected_version": 0, "changes": {"hold_days": 14}, "reason": "returns"})

    reply = owner.get("/admin/journal/actions", as_="operator")

    assert reply.status == 200
    assert [r["action"] for r in reply.json["items"]] == ["settings.update", "participant.block", "admin.add"]
    assert [
        r["action"]
        for r in owner.get("/admin/journal/actions", query={"actor_id": OPERATOR_ID}).json["items"]
    ] == ["participant.block"]
    by_object = owner.get(
        "/admin/journal/actions", query={"object_type": "participant", "object_id": "41"}
    ).json
    assert [r["object_name"] for r in by_object["items"]] == ["Name41"]
    assert (
        owner.get("/admin/journal/actions", query={"action": "settings.update"}).json["items"][0]["reason"]
        == "returns"
    )
    first = owner.get("/admin/journal/actions", query={"limit": 2}).json
    second = owner.get("/admin/journal/actions", query={"limit": 2, "cursor": first["next_cursor"]}).json
    assert [r["action"] for r in second["items"]] == ["admin.add"] and second["next_cursor"] is None
    settings_id = reply.json["items"][0]["id"]
    detail = owner.get(f"/admin/journal/actions/{settings_id}").json
    assert detail["changes"] == [{"attribute": "hold_days", "old": "30", "new": "14"}]
    assert owner.get("/admin/journal/actions/abcdef").status == 404
    assert owner.get("/admin/journal/actions", query={"object_type": "planet"}).status == 422


def test_the_global_ledger_is_newest_first_and_filterable(
    owner: Api, domain: Services, clock: FakeClock
) -> None:
    for pid in ("51", "52"):
        join(domain, pid)
        clock.advance(seconds=1)
        owner.post(
            f"/admin/participants/{pid}/balance-corrections",
            {"available_change": 5, "total_change": 5, "reason": "r", "idempotency_key": f"key-{pid}-0001"},
        )
    owner.post(
        "/admin/participants/51/balance-corrections",
        {"available_change": -2, "total_change": -2, "reason": "r", "idempotency_key": "key-51-0002"},
    )

    rows = owner.get("/admin/journal/ledger").json["items"]
    assert [(r["participant_id"], r["credit"], r["debit"]) for r in rows] == [
        ("51", 0, 2),
        ("52", 5, 0),
        ("51", 5, 0),
    ]
    assert len(owner.get("/admin/journal/ledger", query={"participant_id": "51"}).json["items"]) == 2
    assert len(owner.get("/admin/journal/ledger", query={"direction": "debit"}).json["items"]) == 1
    assert owner.get("/admin/journal/ledger", query={"kind": "accrual"}).json["items"] == []
    assert len(owner.get("/admin/journal/ledger", query={"actor_id": OWNER_ID}).json["items"]) == 3
    assert owner.get("/admin/journal/ledger", query={"to": "2025-12-31"}).json["items"] == []


def test_settings_are_read_and_updated_with_validation_versioning_and_audit(owner: Api) -> None:
    current = owner.get("/admin/settings", as_="operator").json
    assert current["version"] == 0 and current["settings"]["levels"] == 3

    updated = owner.put(
        "/admin/settings",
        {
            "expected_version": 0,
            "changes": {
                "levels": 2,
                "level_rates": ["10", "3"],
                "texts": {"welcome": {"ru": "Привет", "en": "Hi"}},
            },
        },
    )

    assert updated.status == 200, updated.text
    assert (updated.json["version"], updated.json["settings"]["level_rates"]) == (1, ["10", "3"])
    assert updated.json["settings"]["texts"]["welcome"]["en"] == "Hi"
    [record] = [a for a in audits() if a.action == "settings.update"]
    assert {c.attribute for c in record.changes} >= {
        "levels",
        "level_rates",
        "texts.welcome.en",
        "texts.welcome.ru",
    }

    before = snapshot()
    invalid = [
        {"expected_version": 1, "changes": {"hold_days": 400}},
        {"expected_version": 1, "changes": {"levels": 11}},
        {"expected_version": 1, "changes": {"own_rate": "-1"}},
        {"expected_version": 1, "changes": {"texts": {"welcome": {"ru": " ", "en": "x"}}}},
        {"expected_version": 1, "changes": {"colour": "red"}},
        {"expected_version": 1, "changes": {}},
    ]
    for body in invalid:
        reply = owner.put("/admin/settings", body)
        assert reply.status == 422, (body, reply.text)
        assert reply.error["message"]
    misfit = owner.put(
        "/admin/settings", {"expected_version": 1, "changes": {"max_withdrawal": 10, "min_withdrawal": 100}}
    )
    assert (misfit.status, misfit.error["details"]["reason"]) == (409, "settings_misfit")
    stale = owner.put("/admin/settings", {"expected_version": 0, "changes": {"hold_days": 10}})
    assert (stale.status, stale.error["code"]) == (409, "conflict")
    assert snapshot() == before


def test_the_ozon_key_is_write_only(owner: Api) -> None:
    key = "ozon-secret-api-key-123"
    reply = owner.put("/admin/settings/ozon", {"client_id": "12345", "api_key": key})

    assert reply.status == 200
    assert reply.json | {"updated_at": None} == {
        "client_id": "12345",
        "api_key_set": True,
        "source": "operator",
        "updated_at": None,
        "updated_by": OWNER_ID,
        "last_success_at": None,
        "last_error_at": None,
        "last_error": None,
        "error_code": None,
    }
    assert key not in reply.text
    assert key not in owner.get("/admin/settings/ozon").text
    assert OzonConnectionItem.get("OZON_CONNECTION", "CURRENT").api_key is None
    assert key not in json.dumps(snapshot())
    [record] = [a for a in audits() if a.action == "settings.ozon_connection"]
    assert all(key not in (c.new or "") for c in record.changes)
    journal = owner.get(f"/admin/journal/actions/{record.audit_id}").text
    assert key not in journal
    assert owner.put("/admin/settings/ozon", {"client_id": "abc"}).status == 422
    assert owner.put("/admin/settings/ozon", {"client_id": "1", "api_key": "short"}).status == 422
    kept = owner.put("/admin/settings/ozon", {"client_id": "777"})
    assert kept.json["api_key_set"] is True


def test_admins_are_listed_added_and_changed_by_owners(owner: Api) -> None:
    listing = owner.get("/admin/admins").json["items"]
    assert {(a["telegram_id"], a["role"]) for a in listing} == {
        (OWNER_ID, "owner"),
        (OPERATOR_ID, "operator"),
    }
    added = owner.post("/admin/admins", {"telegram_id": "3000", "role": "operator", "name": "Olga"})
    assert (added.status, added.json["added_by"]) == (200, OWNER_ID)
    assert owner.post("/admin/admins", {"telegram_id": "3000"}).status == 409
    assert owner.post("/admin/admins", {"telegram_id": "x1"}).status == 422
    assert owner.post("/admin/admins", {"telegram_id": "3001", "role": "king"}).status == 422
    assert owner.put("/admin/admins/9999/role", {"role": "owner"}).status == 404
    [record] = [a for a in audits() if a.object_id == "3000"]
    assert (record.action, record.object_name) == ("admin.add", "Olga")
    assert {(c.attribute, c.new) for c in record.changes} == {("role", "operator"), ("active", "true")}


def test_secrets_never_appear_in_responses(owner: Api) -> None:
    for path in (
        "/admin/settings",
        "/admin/settings/ozon",
        "/admin/admins",
        "/admin/auth/me",
        "/admin/openapi.json",
    ):
        reply = owner.get(path)
        assert reply.status == 200
        assert SESSION_SECRET not in reply.text
        assert "TEST-bot-token" not in reply.text
    assert SettingsItem is not None
    assert json.loads(owner.get("/admin/openapi.json", as_=None).text)["openapi"].startswith("3.")


def test_every_admin_change_keeps_its_reason_in_the_journal(owner: Api) -> None:
    assert owner.post("/admin/admins", {"telegram_id": "3000", "reason": "new support shift"}).status == 200
    assert owner.put("/admin/admins/3000/role", {"role": "owner", "reason": "runs the payouts"}).status == 200
    assert owner.put("/admin/admins/3000/blocked", {"blocked": True, "reason": "lost phone"}).status == 200
    assert owner.put("/admin/admins/3000/blocked", {"blocked": False, "reason": "phone found"}).status == 200
    assert owner.delete("/admin/admins/3000", query={"reason": "left the company"}).status == 200

    journal = owner.get("/admin/journal/actions", query={"object_type": "admin", "object_id": "3000"}).json
    assert [(r["action"], r["reason"]) for r in journal["items"]] == [
        ("admin.remove", "left the company"),
        ("admin.unblock", "phone found"),
        ("admin.block", "lost phone"),
        ("admin.role", "runs the payouts"),
        ("admin.add", "new support shift"),
    ]


@pytest.mark.parametrize(
    "changes",
    [
        {"hold_days": True},
        {"hold_days": "14"},
        {"invite_only_new_buyers": "yes"},
        {"invite_only_new_buyers": 1},
        {"levels": "3"},
        {"min_withdrawal": False},
        {"max_withdrawal": "900"},
    ],
)
def test_settings_take_numbers_and_switches_only_as_such(owner: Api, changes: dict[str, object]) -> None:
    before = snapshot()

    reply = owner.put("/admin/settings", {"expected_version": 0, "changes": changes})

    assert (reply.status, reply.error["code"]) == (422, "invalid_input"), reply.text
    assert next(iter(changes)) in reply.error["message"]
    assert snapshot() == before


def test_a_whole_number_written_with_a_fraction_is_that_number(owner: Api) -> None:
    """JSON Schema calls 14.0 an integer, so the API does too; 14.5 is still refused."""
    half = owner.put("/admin/settings", {"expected_version": 0, "changes": {"hold_days": 14.5}})
    whole = owner.put("/admin/settings", {"expected_version": 0.0, "changes": {"hold_days": 14.0}})

    assert (half.status, half.error["details"]["errors"][0]["field"]) == (422, "hold_days")
    assert (whole.status, whole.json["settings"]["hold_days"], whole.json["version"]) == (200, 14, 1)


def test_a_settings_version_must_be_a_number(owner: Api) -> None:
    reply = owner.put("/admin/settings", {"expected_version": True, "changes": {"hold_days": 3}})
    assert reply.status == 422 and "expected_version" in reply.error["message"]


def test_the_global_ledger_filters_by_posting_withdrawal_and_level(
    owner: Api, domain: Services, clock: FakeClock
) -> None:
    a, b, c = chain(domain, "51", "52", "53")
    clock.advance(minutes=1)
    domain.purchases.record_purchase(posting(clock.now, "2000.00", number="P-7"), c.id, Attribution.CLAIM)
    domain.purchases.record_purchase(posting(clock.now, "1000.00", number="P-8"), b.id, Attribution.CLAIM)
    domain.ledger.correct_balance(
        "x", a.id, available_change=500, total_change=500, reason="r", idempotency_key="k1"
    )
    request = domain.withdrawals.request(a.id, 200, "w-1")

    def rows(**query: object) -> list[tuple[str, int | None, str | None]]:
        reply = owner.get("/admin/journal/ledger", query=query)
        assert reply.status == 200, reply.text
        return sorted((r["participant_id"], r["level"], r["posting_number"]) for r in reply.json["items"])

    assert rows(posting_number="P-7") == [("51", 2, "P-7"), ("52", 1, "P-7")]
    assert rows(posting_number="P-7", level=1) == [("52", 1, "P-7")]
    assert rows(level=1) == [("51", 1, "P-8"), ("52", 1, "P-7")]
    [entry] = owner.get("/admin/journal/ledger", query={"withdrawal_id": request.withdrawal_id}).json["items"]
    assert (entry["participant_id"], entry["kind"], entry["withdrawal_id"]) == (
        a.id,
        "withdrawal_reserve",
        request.withdrawal_id,
    )
    assert rows(posting_number="NOPE") == []
    assert owner.get("/admin/journal/ledger", query={"withdrawal_id": "ffff"}).json["items"] == []


def test_the_action_journal_filters_by_part_of_the_object_name(owner: Api, domain: Services) -> None:
    join(domain, "61")
    join(domain, "62")
    owner.put("/admin/participants/61/blocked", {"blocked": True, "reason": "spam"})
    owner.put("/admin/participants/62/blocked", {"blocked": True, "reason": "spam"})

    reply = owner.get("/admin/journal/actions", query={"object_name": "ME61"})

    assert [(r["object_id"], r["object_name"]) for r in reply.json["items"]] == [("61", "Name61")]


def test_a_participants_ledger_of_an_unknown_participant_is_404(owner: Api) -> None:
    reply = owner.get("/admin/participants/424242/ledger")
    assert (reply.status, reply.error["details"]["reason"]) == (404, "participant_not_found")
