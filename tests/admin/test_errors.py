"""Error bodies a client can act on: a stable ``reason`` per case, and translatable field errors."""

from __future__ import annotations

from typing import Any

import pytest
from referral.services import Services

from tests.admin.conftest import OPERATOR_ID, Api, widget_login
from tests.support.builders import join
from tests.support.clock import FakeClock


def test_settings_errors_carry_the_check_and_its_limit(owner: Api) -> None:
    reply = owner.put("/admin/settings", {"expected_version": 0, "changes": {"hold_days": 366}})

    assert reply.status == 422
    assert reply.error["details"]["reason"] == "invalid_settings"
    [problem] = reply.error["details"]["errors"]
    assert {k: problem[k] for k in ("field", "type", "ctx")} == {
        "field": "hold_days",
        "type": "less_than_equal",
        "ctx": {"le": 365},
    }
    assert problem["message"]


def test_request_errors_carry_the_check_and_its_limit(owner: Api) -> None:
    reply = owner.get("/admin/participants", query={"limit": 0})
    body = owner.post("/admin/admins", {"telegram_id": "1" * 21, "unknown": 1})

    assert reply.error["details"]["errors"] == [
        {
            "field": "query.limit",
            "message": "Input should be greater than or equal to 1",
            "type": "greater_than_equal",
            "ctx": {"ge": 1},
        }
    ]
    assert reply.error["details"]["reason"] == "invalid_input"
    problems = {p["field"]: p for p in body.error["details"]["errors"]}
    assert problems["telegram_id"]["type"] == "string_pattern_mismatch"
    assert problems["telegram_id"]["ctx"] == {"pattern": "^[0-9]{1,20}$"}
    assert problems["unknown"]["type"] == "extra_forbidden" and "ctx" not in problems["unknown"]


def test_a_secret_that_fails_validation_is_not_echoed(owner: Api) -> None:
    reply = owner.put("/admin/settings/ozon", {"client_id": "1", "api_key": "top-secret"[:9]})

    assert reply.status == 422
    assert "top-secr" not in reply.text


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "status", "reason"),
    [
        ("GET", "/admin/participants", {"query": {"cursor": "AAAA"}}, 404, "bad_cursor"),
        ("GET", "/admin/participants/424242", {}, 404, "participant_not_found"),
        ("GET", "/admin/participants/424242/referrals", {}, 404, "participant_not_found"),
        ("GET", "/admin/withdrawals/abc123", {}, 404, "withdrawal_not_found"),
        ("GET", "/admin/journal/actions/abc123", {}, 404, "audit_not_found"),
        ("GET", "/admin/app/missing.js", {}, 404, "no_such_file"),
        ("GET", "/admin/nowhere", {}, 404, "no_such_route"),
        ("GET", "/admin/participants", {"query": {"balance_minimum": 5}}, 422, "unknown_parameter"),
        ("GET", "/admin/admins", {"as_": "operator"}, 403, "owner_only"),
        ("PUT", "/admin/admins/1000/role", {"body": {"role": "operator"}}, 403, "own_account"),
        ("GET", "/admin/participants", {"as_": None}, 401, "no_session"),
        ("GET", "/admin/participants", {"as_": None, "token": "abc.def"}, 401, "session_invalid"),
        ("POST", "/admin/auth/dev", {"as_": None, "body": {"telegram_id": "1"}}, 403, "dev_login_disabled"),
    ],
)
def test_every_refusal_names_its_reason(
    owner: Api, method: str, path: str, kwargs: dict[str, Any], status: int, reason: str
) -> None:
    reply = owner.call(method, path, **kwargs)

    assert (reply.status, reply.error["details"]["reason"]) == (status, reason), reply.text


def test_login_and_session_refusals_name_their_reason(owner: Api, clock: FakeClock) -> None:
    now = int(clock.now.timestamp())
    forged = {**widget_login("1000", now), "first_name": "Mallory"}
    stale = widget_login("1000", now - 2 * 86400)
    stranger = widget_login("31337", now)
    reasons = [
        owner.post("/admin/auth/telegram", body, as_=None).error["details"]["reason"]
        for body in (forged, stale, stranger)
    ]
    owner.put(f"/admin/admins/{OPERATOR_ID}/blocked", {"blocked": True})
    ended = owner.get("/admin/auth/me", as_="operator").error["details"]["reason"]
    clock.advance(hours=2)
    expired = owner.get("/admin/auth/me").error["details"]["reason"]

    assert reasons == ["login_signature", "login_expired", "not_an_admin"]
    assert (ended, expired) == ("session_ended", "session_expired")


def test_domain_refusals_keep_their_reason(owner: Api, domain: Services) -> None:
    join(domain, "91")
    reply = owner.post(
        "/admin/participants/91/balance-corrections",
        {"available_change": -5, "total_change": -5, "reason": "r", "idempotency_key": "k-00000001"},
    )
    assert (reply.status, reply.error["details"]["reason"]) == (409, "negative_balance")
