"""Hostile or broken requests get a 4xx in the standard error body; an unexpected failure is a logged 500."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from referral.repository.models import Entity

from functions.admin_api.handler import handler
from tests.admin.conftest import BOT_TOKEN, SESSION_SECRET, Api, http_event, snapshot
from tests.support.lambda_context import lambda_context

DEEP = "[" * 5000 + "]" * 5000
LONG_NUMBER = '{"id": ' + "9" * 5000 + ', "auth_date": 1, "hash": "' + "0" * 64 + '"}'


def send(event: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    result = handler(event, lambda_context())
    return result["statusCode"], json.loads(result["body"])


def base64_event(method: str, path: str, raw: bytes | str, **kwargs: Any) -> dict[str, Any]:
    text = raw if isinstance(raw, str) else base64.b64encode(raw).decode()
    event = http_event(method, path, raw_body=text, **kwargs)
    event["isBase64Encoded"] = True
    return event


@pytest.mark.parametrize(
    ("label", "event", "status", "reason"),
    [
        ("deep JSON at the login", http_event("POST", "/admin/auth/telegram", raw_body=DEEP), 400, "json"),
        (
            "a 5000-digit number",
            http_event("POST", "/admin/auth/telegram", raw_body=LONG_NUMBER),
            400,
            "json",
        ),
        (
            "base64 of bytes that are not UTF-8",
            base64_event("POST", "/admin/auth/telegram", b"\xff\xfe{"),
            400,
            "body_encoding",
        ),
        (
            "a body that is not base64",
            base64_event("POST", "/admin/auth/telegram", "!!!notbase64"),
            400,
            "body_encoding",
        ),
        (
            "deep JSON without a session",
            http_event("POST", "/admin/withdrawals/abc/comments", raw_body=DEEP),
            401,
            "no_session",
        ),
        (
            "a non-ASCII bearer token",
            http_event("GET", "/admin/auth/me", headers={"authorization": "Bearer x.\u00e9"}),
            401,
            "session_invalid",
        ),
        (
            "a bearer token with a lone surrogate",
            http_event("GET", "/admin/auth/me", headers={"authorization": "Bearer x.\ud800"}),
            401,
            "session_invalid",
        ),
    ],
)
def test_malformed_requests_are_refused_in_the_standard_error_body(
    api: Api, label: str, event: dict[str, Any], status: int, reason: str
) -> None:
    before = snapshot()

    code, body = send(event)

    assert code == status, (label, body)
    assert set(body["error"]) == {"code", "message", "details"}
    assert body["error"]["details"]["reason"] == reason
    assert snapshot() == before


def test_an_unauthenticated_caller_learns_nothing_from_validation(api: Api) -> None:
    code, body = send(http_event("GET", "/admin/participants", query={"limit": 0, "sort": "height"}))
    garbage_code, garbage = send(
        http_event("PUT", "/admin/settings", token="garbage", body={"expected_version": "x"})
    )

    assert (code, body["error"]["code"]) == (401, "unauthorized")
    assert (garbage_code, garbage["error"]["code"]) == (401, "unauthorized")
    assert "errors" not in body["error"]["details"] and "errors" not in garbage["error"]["details"]


def test_an_unexpected_failure_is_a_logged_500_in_the_standard_body(
    owner: Api, capfd: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    Entity.delete_table()  # DynamoDB answers with an error nobody planned for

    reply = owner.get("/admin/participants")

    assert (reply.status, reply.error["code"]) == (500, "internal")
    assert reply.error["details"] == {"reason": "internal"}
    logged = capfd.readouterr().out + caplog.text
    assert "unexpected failure" in logged and "ResourceNotFoundException" in logged
    for secret in (BOT_TOKEN, SESSION_SECRET, owner.tokens["owner"]):
        assert secret not in logged and secret not in reply.text
