"""The health panel and ``make doctor``: each preflight check against the fakes, healthy and with faults."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from unittest import mock

import boto3
import pytest
import requests
from referral.ozon.client import RETURNS_LIST
from referral.preflight import ADVICE, run_checks, target_from_environment, webhook_for
from referral.services.settings import CONNECTION_ERRORS

from devtools import doctor
from devtools.fake_ozon import FakeOzon
from devtools.fake_telegram import FakeTelegram
from tests.admin.conftest import BOT_TOKEN, Api
from tests.support.lambda_context import lambda_context

OPERATORS_CHAT = -1001234567890
WEBHOOK = "https://admin.example.com/telegram/webhook"


@pytest.fixture(scope="module")
def ozon() -> Iterator[FakeOzon]:
    with FakeOzon() as fake:
        yield fake


@pytest.fixture
def healthy(owner: Api, telegram: FakeTelegram, ozon: FakeOzon, monkeypatch: pytest.MonkeyPatch) -> Api:
    """A deployment where everything is right: webhook to this API, a forum chat, a key with every role."""
    ozon.clear()
    ozon.reject_key(False)
    ozon.expire_key_at(datetime.now(UTC) + timedelta(days=180))
    monkeypatch.setenv("OPERATORS_CHAT_ID", str(OPERATORS_CHAT))
    monkeypatch.setenv("OZON_API_URL", ozon.url)
    monkeypatch.setenv("OZON_CLIENT_ID", ozon.client_id)
    monkeypatch.setenv("OZON_API_KEY", ozon.api_key)
    telegram.add_chat(OPERATORS_CHAT)
    bot_api(telegram, "setWebhook", url=WEBHOOK)
    key = boto3.client("secretsmanager").create_secret(
        Name="shop/payout-fingerprint-key", SecretString="k" * 64
    )
    monkeypatch.setenv("PAYOUT_FINGERPRINT_KEY_ARN", key["ARN"])
    return owner


def bot_api(telegram: FakeTelegram, method: str, **params: Any) -> Any:
    return requests.post(f"{telegram.url}/bot{BOT_TOKEN}/{method}", json=params, timeout=10).json()


def problems(api: Api) -> dict[str, str | None]:
    reply = api.get("/admin/health")
    assert reply.status == 200
    assert BOT_TOKEN not in reply.text and "fake-ozon-api-key" not in reply.text
    return {c["check"]: c["problem"] for c in reply.json["checks"]}


def test_a_healthy_deployment_passes_every_check(healthy: Api, telegram: FakeTelegram) -> None:
    reply = healthy.get("/admin/health")

    assert (reply.status, reply.json["ok"]) == (200, True)
    checks = {c["check"]: c for c in reply.json["checks"]}
    assert list(checks) == [
        "bot_token",
        "webhook",
        "operators_chat",
        "ozon_key",
        "table",
        "sync_streams",
        "payout_key",
    ]
    assert all(c["ok"] and c["problem"] is None and c["advice"] is None for c in checks.values())
    assert checks["webhook"]["facts"]["url"] == WEBHOOK
    assert checks["ozon_key"]["facts"]["roles"] == ["Posting FBO", "Posting FBS", "Returns"]
    called = {call.method for call in telegram.calls}
    assert {"getMe", "getWebhookInfo", "getChat", "getChatMember"} <= called


def never(_: FakeTelegram, __: FakeOzon) -> None:
    """Nothing to break: the fixture's state is the fault."""


FAULTS: dict[str, tuple[Callable[[FakeTelegram, FakeOzon], Any], str, str]] = {
    "token": (
        lambda t, o: t.fail("getMe", status=401, description="Unauthorized"),
        "bot_token",
        "bot_token_rejected",
    ),
    "rate limited": (lambda t, o: t.rate_limit("getMe"), "bot_token", "telegram_unreachable"),
    "no webhook": (lambda t, o: bot_api(t, "deleteWebhook"), "webhook", "webhook_not_set"),
    "webhook elsewhere": (
        lambda t, o: bot_api(t, "setWebhook", url="https://old.example.com/telegram/webhook"),
        "webhook",
        "webhook_elsewhere",
    ),
    "delivery errors": (
        lambda t, o: t.set_webhook_trouble(last_error_message="Wrong response from the webhook: 500"),
        "webhook",
        "webhook_errors",
    ),
    "backlog": (lambda t, o: t.set_webhook_trouble(pending_update_count=500), "webhook", "webhook_backlog"),
    "not a forum": (
        lambda t, o: t.add_chat(OPERATORS_CHAT, is_forum=False),
        "operators_chat",
        "operators_chat_not_forum",
    ),
    "bot not admin": (
        lambda t, o: t.add_chat(OPERATORS_CHAT, bot_status="member"),
        "operators_chat",
        "bot_not_admin",
    ),
    "no topics right": (
        lambda t, o: t.add_chat(OPERATORS_CHAT, can_manage_topics=False),
        "operators_chat",
        "bot_cannot_manage_topics",
    ),
    "key rejected": (lambda t, o: o.reject_key(), "ozon_key", "ozon_key_rejected"),
    "role missing": (lambda t, o: o.without_role("Returns"), "ozon_key", "ozon_roles_missing"),
    "key expired": (
        lambda t, o: o.expire_key_at(datetime.now(UTC) - timedelta(days=1)),
        "ozon_key",
        "ozon_key_expired",
    ),
    "seller api down": (lambda t, o: o.inject("503", times=10), "ozon_key", "ozon_unreachable"),
    "key expiring": (
        lambda t, o: o.expire_key_at(datetime.now(UTC) + timedelta(days=3)),
        "ozon_key",
        "ozon_key_expiring",
    ),
}


@pytest.mark.parametrize("fault", list(FAULTS))
def test_each_fault_fails_its_check_with_advice_and_only_it(
    healthy: Api, telegram: FakeTelegram, ozon: FakeOzon, fault: str
) -> None:
    inject, check, problem = FAULTS[fault]
    inject(telegram, ozon)

    reply = healthy.get("/admin/health").json

    assert reply["ok"] is False
    failed = {c["check"]: c for c in reply["checks"] if not c["ok"]}
    assert failed[check]["problem"] == problem
    assert failed[check]["advice"]
    unrelated = set(failed) - {check, "webhook", "operators_chat"}  # these need the bot the token gives
    assert unrelated == set()


def test_a_sync_stream_that_keeps_failing_is_named_with_its_reason(healthy: Api, ozon: FakeOzon) -> None:
    from functions.ozon_sync import handler as sync

    ozon.fail(RETURNS_LIST, 404, message="Not Found", times=100)
    first = sync.handler({}, lambda_context())
    second = sync.handler({}, lambda_context())

    assert first["status"] == second["status"] == "ok"  # the other streams went on
    checks = {c["check"]: c for c in healthy.get("/admin/health").json["checks"]}
    streams = checks["sync_streams"]
    assert (streams["ok"], streams["problem"]) == (False, "sync_stream_failing")
    assert list(streams["facts"]["failing"]) == ["returns"]
    assert streams["facts"]["failing"]["returns"]["runs"] == 2
    assert "404" in streams["facts"]["failing"]["returns"]["reason"]
    assert all(c["ok"] for name, c in checks.items() if name != "sync_streams")

    ozon.clear()
    sync.handler({}, lambda_context())
    assert {c["check"]: c["ok"] for c in healthy.get("/admin/health").json["checks"]}["sync_streams"]


def test_a_missing_role_names_the_methods_it_would_allow(healthy: Api, ozon: FakeOzon) -> None:
    ozon.without_role("Returns")
    [key] = [c for c in healthy.get("/admin/health").json["checks"] if c["check"] == "ozon_key"]
    assert key["facts"]["missing_methods"] == [RETURNS_LIST]


def test_unconfigured_chat_and_key_are_reported(
    healthy: Api, telegram: FakeTelegram, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPERATORS_CHAT_ID")
    monkeypatch.delenv("OZON_API_KEY")
    found = problems(healthy)
    assert (found["operators_chat"], found["ozon_key"]) == ("operators_chat_missing", "ozon_not_configured")


def test_a_chat_the_bot_cannot_see_is_reported(healthy: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPERATORS_CHAT_ID", "-1009999999999")
    assert problems(healthy)["operators_chat"] == "operators_chat_not_found"


def test_the_operators_key_is_the_one_checked(healthy: Api, ozon: FakeOzon) -> None:
    assert (
        healthy.put(
            "/admin/settings/ozon", {"client_id": ozon.client_id, "api_key": "a-wrong-key-123"}
        ).status
        == 200
    )
    assert problems(healthy)["ozon_key"] == "ozon_key_rejected"


def test_only_owners_see_the_health_panel(healthy: Api) -> None:
    reply = healthy.get("/admin/health", as_="operator")
    assert (reply.status, reply.error["details"]["reason"]) == (403, "owner_only")
    assert healthy.get("/admin/health", as_=None).status == 401


def test_a_table_that_does_not_answer_is_reported(healthy: Api, table_name: str) -> None:
    target = target_from_environment(WEBHOOK)
    boto3.client("dynamodb").delete_table(TableName=table_name)
    [table] = [c for c in run_checks(target) if c.check == "table"]
    assert (table.problem, table.advice is not None) == ("table_unavailable", True)


def test_a_local_address_expects_no_webhook() -> None:
    assert webhook_for("http://127.0.0.1:8110") is None
    assert webhook_for("https://abc.execute-api.eu-central-1.amazonaws.com/") == (
        "https://abc.execute-api.eu-central-1.amazonaws.com/telegram/webhook"
    )


def test_doctor_prints_each_check_and_exits_1_on_a_failure(
    healthy: Api, ozon: FakeOzon, capsys: pytest.CaptureFixture[str], table_name: str
) -> None:
    assert doctor.main(["--api-url", "https://admin.example.com"]) == 0
    healthy_output = capsys.readouterr().out
    assert healthy_output.count("[ok  ]") == 7

    ozon.without_role("Posting FBO")
    assert doctor.main(["--api-url", "https://admin.example.com"]) == 1
    output = capsys.readouterr().out
    assert "[FAIL] ozon_key" in output and "ozon_roles_missing: " in output
    assert BOT_TOKEN not in healthy_output + output and ozon.api_key not in healthy_output + output


def test_the_web_app_words_every_problem_and_connection_error_in_both_languages() -> None:
    phrases = (Path(__file__).parents[2] / "functions/admin_api/web/i18n.js").read_text()
    for code in ADVICE:
        assert re.search(rf'"health\.fix_{code}": \["[^"]+", "[^"]+"\]', phrases), code
    for code in CONNECTION_ERRORS:
        assert re.search(rf'"o\.err_{code}": \["[^"]+", "[^"]+"\]', phrases), code


def test_doctor_takes_a_deployed_stacks_admin_function_environment(
    table_name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("OPERATORS_CHAT_ID", "OZON_CLIENT_ID", "TELEGRAM_BOT_TOKEN_SECRET_ID"):
        monkeypatch.delenv(name, raising=False)
    role = boto3.client("iam").create_role(RoleName="admin", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    variables = {
        "POWERTOOLS_SERVICE_NAME": "admin_api",
        "OPERATORS_CHAT_ID": "-1001234567890",
        "OZON_CLIENT_ID": "123456",
        "TELEGRAM_BOT_TOKEN_SECRET_ID": "shop/telegram-bot-token",
    }
    function = {"Handler": "handler.handler", "Runtime": "python3.13", "Role": role, "Code": {"ZipFile": "x"}}
    template = {
        "Resources": {
            "Admin": {
                "Type": "AWS::Lambda::Function",
                "Properties": {**function, "Environment": {"Variables": variables}},
            }
        },
        "Outputs": {"ApiUrl": {"Value": "https://abc.execute-api.eu-central-1.amazonaws.com/"}},
    }
    boto3.client("cloudformation").create_stack(StackName="Shop", TemplateBody=json.dumps(template))

    with mock.patch.dict(os.environ):  # what the doctor sets stays in this test
        monkeypatch.delenv("POWERTOOLS_SERVICE_NAME")
        assert doctor._stack_environment("Shop") == "https://abc.execute-api.eu-central-1.amazonaws.com/"
        assert {name: os.environ[name] for name in variables} == variables
