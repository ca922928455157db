"""Who gets in: Telegram login, session tokens, revocation, roles."""

from __future__ import annotations

import base64
import json

import pytest
from referral.admin import context
from referral.repository.models import AdminItem, Entity

from tests.admin.conftest import (
    BOT_TOKEN,
    OPERATOR_ID,
    OWNER_ID,
    SESSION_SECRET,
    Api,
    audits,
    items_of,
    widget_login,
)
from tests.support.clock import FakeClock


def test_a_bootstrap_admin_logs_in_as_owner_and_the_token_opens_the_api(api: Api) -> None:
    reply = api.login(OWNER_ID, "owner")

    assert reply.status == 200
    assert reply.json["admin"] == {"telegram_id": OWNER_ID, "role": "owner", "name": f"Admin{OWNER_ID}"}
    assert reply.json["token_type"] == "Bearer"
    me = api.get("/admin/auth/me")
    assert (me.status, me.json["role"]) == (200, "owner")
    assert AdminItem.get(f"ADMIN#{OWNER_ID}", "ADMIN").role == "owner"


def test_a_forged_hash_is_refused(api: Api) -> None:
    data = widget_login(OWNER_ID, int(api.clock.now.timestamp()))
    data["first_name"] = "Mallory"

    reply = api.post("/admin/auth/telegram", data, as_=None)

    assert reply.status == 401
    assert reply.error["code"] == "unauthorized"
    assert "signature" in reply.error["message"]


def test_a_stale_auth_date_is_refused(api: Api) -> None:
    data = widget_login(OWNER_ID, int(api.clock.now.timestamp()) - 86400 - 5)

    reply = api.post("/admin/auth/telegram", data, as_=None)

    assert (reply.status, reply.error["code"]) == (401, "unauthorized")
    assert "too old" in reply.error["message"]


def test_an_auth_date_in_the_future_is_refused(api: Api) -> None:
    reply = api.post(
        "/admin/auth/telegram", widget_login(OWNER_ID, int(api.clock.now.timestamp()) + 3600), as_=None
    )
    assert reply.status == 401


def test_an_unknown_telegram_user_is_forbidden(api: Api) -> None:
    reply = api.login("777", "stranger")

    assert (reply.status, reply.error["code"]) == (403, "forbidden")
    assert "not an active admin" in reply.error["message"]


def test_a_malformed_login_is_a_422_with_a_message(api: Api) -> None:
    reply = api.post("/admin/auth/telegram", {"id": "x", "auth_date": 1}, as_=None)

    assert reply.status == 422
    assert reply.error["code"] == "invalid_input"
    assert {e["field"] for e in reply.error["details"]["errors"]} >= {"id", "hash"}


def test_a_blocked_admin_cannot_log_in_and_their_token_stops_working_at_once(owner: Api) -> None:
    assert owner.get("/admin/auth/me", as_="operator").status == 200

    blocked = owner.put(f"/admin/admins/{OPERATOR_ID}/blocked", {"blocked": True, "reason": "left"})

    assert blocked.status == 200 and blocked.json["blocked"] is True
    assert owner.get("/admin/participants", as_="operator").status == 401
    assert owner.login(OPERATOR_ID, "operator").status == 403
    [record] = [a for a in audits() if a.action == "admin.block"]
    assert (record.actor_id, record.object_id) == (OWNER_ID, OPERATOR_ID)
    assert [(c.attribute, c.old, c.new) for c in record.changes] == [("blocked", "false", "true")]


def test_a_removed_admin_is_locked_out(owner: Api) -> None:
    assert owner.delete(f"/admin/admins/{OPERATOR_ID}").status == 200
    assert owner.get("/admin/auth/me", as_="operator").status == 401
    assert owner.login(OPERATOR_ID, "operator").status == 403


def test_an_expired_token_is_refused(owner: Api, clock: FakeClock) -> None:
    clock.advance(seconds=3601)

    reply = owner.get("/admin/auth/me")

    assert (reply.status, reply.error["code"]) == (401, "unauthorized")
    assert "expired" in reply.error["message"]


def test_a_tampered_token_is_refused(owner: Api) -> None:
    payload, signature = owner.tokens["operator"].split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["sub"] = OWNER_ID
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()

    for token in (f"{forged}.{signature}", owner.tokens["operator"] + "x", "garbage", ""):
        reply = owner.get("/admin/auth/me", as_=None, token=token)
        assert reply.status == 401, token


def test_no_token_is_a_401(api: Api) -> None:
    reply = api.get("/admin/participants", as_=None)
    assert (reply.status, reply.error["code"]) == (401, "unauthorized")


def test_an_operator_on_an_owner_route_is_forbidden_and_nothing_changes(owner: Api) -> None:
    before = owner.get("/admin/settings").json

    replies = [
        owner.put("/admin/settings", {"expected_version": 0, "changes": {"hold_days": 5}}, as_="operator"),
        owner.put("/admin/settings/ozon", {"client_id": "123", "api_key": "k" * 20}, as_="operator"),
        owner.get("/admin/admins", as_="operator"),
        owner.post("/admin/admins", {"telegram_id": "3000"}, as_="operator"),
        owner.delete(f"/admin/admins/{OWNER_ID}", as_="operator"),
    ]

    assert [r.status for r in replies] == [403] * 5
    assert all(r.error["code"] == "forbidden" for r in replies)
    assert owner.get("/admin/settings").json == before
    assert [a.action for a in audits()] == ["admin.add"]


def test_changing_a_role_ends_the_sessions_of_that_admin(owner: Api) -> None:
    reply = owner.put(f"/admin/admins/{OPERATOR_ID}/role", {"role": "owner"})

    assert (reply.status, reply.json["role"]) == (200, "owner")
    assert owner.get("/admin/auth/me", as_="operator").status == 401
    assert owner.login(OPERATOR_ID, "operator").json["admin"]["role"] == "owner"


def test_the_last_owner_cannot_be_removed_nor_change_themselves(owner: Api) -> None:
    assert owner.delete(f"/admin/admins/{OWNER_ID}").status == 403
    assert owner.put(f"/admin/admins/{OPERATOR_ID}/role", {"role": "owner"}).status == 200
    owner.login(OPERATOR_ID, "second_owner")
    assert owner.put(f"/admin/admins/{OWNER_ID}/role", {"role": "operator"}, as_="second_owner").status == 200
    reply = owner.delete(f"/admin/admins/{OPERATOR_ID}", as_="second_owner")
    assert reply.status == 403  # oneself


def test_secrets_and_tokens_never_reach_the_logs(api: Api, capsys: pytest.CaptureFixture[str]) -> None:
    good = api.login(OWNER_ID, "owner")
    api.post("/admin/auth/telegram", {**widget_login(OWNER_ID, 1), "hash": "0" * 64}, as_=None)
    api.get("/admin/auth/me", as_=None, token=good.json["token"] + "x")
    api.put("/admin/settings/ozon", {"client_id": "42", "api_key": "very-secret-ozon-key"})

    logged = capsys.readouterr().out + capsys.readouterr().err
    for secret in (BOT_TOKEN, SESSION_SECRET, good.json["token"], "very-secret-ozon-key"):
        assert secret not in logged


def test_a_blocked_owner_can_be_removed_or_demoted_while_another_owner_is_active(owner: Api) -> None:
    assert owner.post("/admin/admins", {"telegram_id": "3000", "role": "owner"}).status == 200
    assert owner.put("/admin/admins/3000/blocked", {"blocked": True}).status == 200

    demoted = owner.put("/admin/admins/3000/role", {"role": "operator"})
    removed = owner.delete("/admin/admins/3000")

    assert (demoted.status, demoted.json["role"]) == (200, "operator")
    assert (removed.status, removed.json["active"]) == (200, False)


def test_login_numbers_and_admin_switches_are_strict(owner: Api) -> None:
    data = widget_login(OWNER_ID, int(owner.clock.now.timestamp()))
    as_text = owner.post("/admin/auth/telegram", {**data, "id": str(data["id"])}, as_=None)
    blocked = owner.put(f"/admin/admins/{OPERATOR_ID}/blocked", {"blocked": "true"})

    assert (as_text.status, as_text.error["details"]["errors"][0]["field"]) == (422, "id")
    assert (blocked.status, blocked.error["details"]["errors"][0]["field"]) == (422, "blocked")
    assert owner.get("/admin/auth/me", as_="operator").status == 200


def test_two_owners_blocking_each_other_at_once_leave_an_active_owner(owner: Api) -> None:
    """The second owner's block lands between the first owner's checks and its write."""
    assert owner.post("/admin/admins", {"telegram_id": "3000", "role": "owner"}).status == 200
    owner.login("3000", "second")
    admins = context.current().admins
    second = admins.authenticate(owner.tokens["second"])
    client = Entity._get_connection().connection.client
    raced: list[str] = []

    def the_other_owner_acts_first(**_: object) -> None:
        if not raced:
            raced.append("second blocks first")
            admins.set_blocked(second, OWNER_ID, True, "race")

    client.meta.events.register("before-call.dynamodb.TransactWriteItems", the_other_owner_acts_first)
    try:
        reply = owner.put("/admin/admins/3000/blocked", {"blocked": True, "reason": "race"})
    finally:
        client.meta.events.unregister("before-call.dynamodb.TransactWriteItems", the_other_owner_acts_first)

    assert raced
    assert (reply.status, reply.error["details"]["reason"]) == (401, "session_ended")
    active_owners = [a.telegram_id for a in items_of(AdminItem) if a.role == "owner" and not a.blocked]
    assert active_owners == ["3000"]


def test_the_admins_name_is_the_one_telegram_shows_at_login(owner: Api) -> None:
    now = int(owner.clock.now.timestamp())
    renamed = owner.post(
        "/admin/auth/telegram", widget_login(OPERATOR_ID, now, last_name="Petrova", username="olga"), as_=None
    )
    nameless = owner.post(
        "/admin/auth/telegram", widget_login(OWNER_ID, now, first_name=None, username="boss"), as_=None
    )

    assert renamed.json["admin"]["name"] == f"Admin{OPERATOR_ID} Petrova"
    assert nameless.json["admin"]["name"] == "@boss"
    names = {a["telegram_id"]: a["name"] for a in owner.get("/admin/admins").json["items"]}
    assert names == {OWNER_ID: "@boss", OPERATOR_ID: f"Admin{OPERATOR_ID} Petrova"}
    assert owner.get("/admin/auth/me", as_="operator").status == 200  # earlier sessions go on
    assert [a.action for a in audits()] == ["admin.add"]  # Telegram's name is no operator's change
