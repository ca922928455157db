"""What an attacker tries at the admin API: replayed logins, tokens after logout, login floods, bodies the
API cannot read, and Ozon IDs spelt differently."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from referral.services import Services

from functions.admin_api.handler import handler
from tests.admin.conftest import OPERATOR_ID, OWNER_ID, Api, Reply, http_event, widget_login
from tests.support.builders import join
from tests.support.lambda_context import lambda_context


def login_from(api: Api, address: str, data: dict[str, Any]) -> Reply:
    """A login sent from ``address`` (API Gateway's source IP)."""
    event = http_event("POST", "/admin/auth/telegram", body=data)
    event["requestContext"]["http"]["sourceIp"] = address
    result = handler(event, lambda_context())
    return Reply(result["statusCode"], result.get("headers") or {}, result.get("body") or "")


def now(api: Api) -> int:
    return int(api.clock.now.timestamp())


def test_a_replayed_login_is_refused(api: Api) -> None:
    data = widget_login(OWNER_ID, now(api))
    assert api.post("/admin/auth/telegram", data, as_=None).status == 200

    replayed = api.post("/admin/auth/telegram", data, as_=None)

    assert replayed.status == 401
    assert replayed.error["details"]["reason"] == "login_replayed"
    fresh = api.post("/admin/auth/telegram", widget_login(OWNER_ID, now(api) - 1), as_=None)
    assert fresh.status == 200


def test_a_token_used_after_logout_is_refused(owner: Api) -> None:
    token = owner.tokens["operator"]
    assert owner.get("/admin/auth/me", as_="operator").status == 200

    out = owner.post("/admin/auth/logout", {}, as_="operator")

    assert (out.status, out.json) == (200, {"logged_out": True})
    after = owner.get("/admin/auth/me", token=token, as_=None)
    assert (after.status, after.error["details"]["reason"]) == (401, "session_ended")
    assert owner.get("/admin/auth/me").status == 200  # the owner's session is another admin's
    assert owner.login(OPERATOR_ID, "operator").status == 200
    assert owner.get("/admin/auth/me", as_="operator").status == 200


def test_a_login_flood_is_answered_429_while_an_operator_logs_in_from_elsewhere(owner: Api) -> None:
    forged = widget_login(OWNER_ID, now(owner)) | {"hash": "0" * 64}
    answers = [login_from(owner, "198.51.100.7", forged).status for _ in range(25)]

    assert answers[:20] == [401] * 20 and answers[20:] == [429] * 5
    refused = login_from(owner, "198.51.100.7", widget_login(OPERATOR_ID, now(owner)))
    assert refused.status == 429
    assert refused.error["code"] == "too_many_requests"
    assert refused.error["details"]["reason"] == "login_attempts_per_address"
    assert 1 <= int(refused.headers["Retry-After"]) <= 600
    assert refused.error["details"]["retry_after"] == int(refused.headers["Retry-After"])
    operator = login_from(owner, "192.0.2.44", widget_login(OPERATOR_ID, now(owner) - 50))
    assert operator.status == 200 and operator.json["admin"]["telegram_id"] == OPERATOR_ID

    owner.clock.advance(minutes=10)
    assert login_from(owner, "198.51.100.7", widget_login(OWNER_ID, now(owner))).status == 200


def test_signed_logins_of_one_account_are_limited_but_forged_ones_in_its_name_are_not_counted(
    api: Api,
) -> None:
    forged = widget_login(OWNER_ID, now(api)) | {"hash": "f" * 64}
    for n in range(15):
        assert login_from(api, f"198.51.100.{n}", forged).status == 401
    answers = [
        login_from(api, f"192.0.2.{n}", widget_login(OWNER_ID, now(api) - n)).status for n in range(11)
    ]

    assert answers == [200] * 10 + [429]


BROKEN_BODIES = [
    # (Content-Type, body, status, reason)
    ("multipart/form-data", "--x\r\n\r\n--x--", 415, "media_type"),
    (
        "multipart/form-data; boundary=x",
        '--x\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--x--',
        415,
        "media_type",
    ),
    ("application/x-www-form-urlencoded", "telegram_id=1&role=operator", 415, "media_type"),
    ("text/plain", '{"telegram_id": "3000", "role": "operator"}', 415, "media_type"),
    ("application/json; charset=utf-16", '{"telegram_id": "3000", "role": "operator"}', 415, "charset"),
    ("application/json; charset=klingon", '{"telegram_id": "3000", "role": "operator"}', 415, "charset"),
    ("application/json, text/plain", '{"telegram_id": "3000", "role": "operator"}', 400, "content_type"),
    ("application/json; charset", '{"telegram_id": "3000", "role": "operator"}', 400, "content_type"),
    ("json", '{"telegram_id": "3000", "role": "operator"}', 400, "content_type"),
    ("", '{"telegram_id": "3000", "role": "operator"}', 400, "content_type"),
    ("application/json", "{not json", 400, "json"),
]


@pytest.mark.parametrize(("content_type", "body", "status", "reason"), BROKEN_BODIES)
def test_a_body_the_api_cannot_read_is_a_4xx_in_the_error_body(
    owner: Api, content_type: str, body: str, status: int, reason: str, caplog: pytest.LogCaptureFixture
) -> None:
    reply = owner.post("/admin/admins", raw_body=body, headers={"content-type": content_type})

    assert reply.status == status
    assert reply.error["details"]["reason"] == reason
    assert "Traceback" not in caplog.text and "unexpected failure" not in caplog.text
    assert owner.get("/admin/admins/3000").status == 404  # nothing was written


def test_a_base64_body_in_latin_1_is_a_400(owner: Api) -> None:
    event = http_event("POST", "/admin/admins", token=owner.tokens["owner"], raw_body="")
    event["body"] = base64.b64encode('{"name": "Zoë"}'.encode("latin-1")).decode()
    event["isBase64Encoded"] = True
    result = handler(event, lambda_context())

    assert result["statusCode"] == 400
    assert json.loads(result["body"])["error"]["details"]["reason"] == "body_encoding"


def test_json_in_utf_8_with_its_charset_named_is_taken(owner: Api) -> None:
    reply = owner.post(
        "/admin/admins",
        raw_body='{"telegram_id": "3000", "role": "operator"}',
        headers={"content-type": "application/json; Charset=UTF-8"},
    )
    assert reply.status == 200


def test_the_participants_filter_finds_an_ozon_id_however_it_is_spelt(owner: Api, domain: Services) -> None:
    join(domain, "81", ozon_id="123456789")

    for spelling in ("123456789", "000123456789"):
        reply = owner.get("/admin/participants", query={"ozon_id": spelling})
        assert [row["id"] for row in reply.json["items"]] == ["81"], spelling
