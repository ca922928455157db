"""Every function run with exactly the environment the stack gives it, made local the way
``sam local invoke --env-vars infra/sam-local-env.json`` does (only the variables a function declares are
overridden): it reaches only the local services, reads its secrets from Secrets Manager, calls DynamoDB
only with the actions its role grants, and the sync reports the metric the "sync behind" alarm watches.
"""

from __future__ import annotations

import importlib
import json
import re
from collections import defaultdict
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import boto3
import botocore.client
import pytest
import requests
from aws_cdk.assertions import Template
from aws_lambda_powertools.utilities import parameters
from moto.server import ThreadedMotoServer
from referral.admin import context as admin_context
from referral.repository.table import bind_table, create_table
from referral.services.settings import SettingsService

from devtools.fake_ozon import FakeOzon, FakeProduct
from devtools.fake_telegram import FakeTelegram
from devtools.lambda_events import LocalLambdaContext, http_api_event, scheduled_event
from devtools.local_run import SERVICE_PORT_OFFSETS, free_port
from devtools.telegram_updates import LocalUser, message_update
from functions.admin_api import handler as admin_api
from functions.bot_webhook import handler as bot_webhook
from functions.notify_digest import handler as notify_digest
from functions.notify_outbox import handler as notify_outbox
from functions.ozon_sync import handler as ozon_sync
from functions.reconcile import handler as reconcile
from functions.release_frozen import handler as release_frozen
from infra.catalog import SECRET_NAMES
from infra.stack import REPO_ROOT
from tests.admin.conftest import BOT_TOKEN, widget_login
from tests.infra.conftest import actions, function_properties, role_statements

SAM_ENV_FILE = REPO_ROOT / "infra" / "sam-local-env.json"
LOCAL_GATEWAY_PORT = 8000
PRODUCTION_HOSTS = ("amazonaws.com", "api.telegram.org", "api-seller.ozon.ru")
PER_TRANSACTION_PART = {
    "Put": "PutItem",
    "Update": "UpdateItem",
    "Delete": "DeleteItem",
    "ConditionCheck": "ConditionCheckItem",
}


def sam_overrides() -> dict[str, str]:
    overrides: dict[str, str] = json.loads(SAM_ENV_FILE.read_text())["Parameters"]
    return overrides


def sam_environment(variables: dict[str, Any], overrides: dict[str, str]) -> dict[str, Any]:
    """What SAM gives a function: its template variables, the declared ones overridden by the file."""
    return {name: overrides.get(name, value) for name, value in variables.items()}


def test_the_sam_env_file_points_every_function_at_the_local_services(template: Template) -> None:
    overrides = sam_overrides()
    functions = function_properties(template)
    for variable in overrides:
        assert any(variable in props["Environment"]["Variables"] for props in functions.values()), (
            f"{variable} is declared by no function: SAM would ignore it"
        )
    for name, props in functions.items():
        local = sam_environment(props["Environment"]["Variables"], overrides)
        remote = {
            variable: value
            for variable, value in local.items()
            if not isinstance(value, str) or any(host in value for host in PRODUCTION_HOSTS)
        }
        assert not remote, f"{name} would still use {remote}"
    services = {
        "AWS_ENDPOINT_URL_DYNAMODB": "dynamodb",
        "AWS_ENDPOINT_URL_SECRETS_MANAGER": "dynamodb",  # moto serves both
        "TELEGRAM_API_URL": "telegram",
        "OZON_API_URL": "ozon",
    }
    for variable, service in services.items():
        port = LOCAL_GATEWAY_PORT + SERVICE_PORT_OFFSETS[service]
        assert overrides[variable] == f"http://host.docker.internal:{port}", "where `make run` serves it"
    assert overrides["OZON_CLIENT_ID"] == FakeOzon().client_id


class Recorder:
    """DynamoDB actions each function calls, in IAM's terms (a transaction needs each part's action)."""

    def __init__(self) -> None:
        self.current = ""
        self.actions: dict[str, set[str]] = defaultdict(set)

    def install(self, monkeypatch: pytest.MonkeyPatch) -> None:
        original = botocore.client.BaseClient._make_api_call
        recorder = self

        def recording(client: Any, operation: str, params: dict[str, Any]) -> Any:
            if client.meta.service_model.service_name == "dynamodb" and recorder.current:
                if operation == "TransactWriteItems":
                    for part in params["TransactItems"]:
                        recorder.actions[recorder.current].update(PER_TRANSACTION_PART[k] for k in part)
                elif operation == "TransactGetItems":
                    recorder.actions[recorder.current].add("GetItem")
                else:
                    recorder.actions[recorder.current].add(operation)
            return original(client, operation, params)

        monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", recording)


@pytest.fixture
def local_services() -> Iterator[dict[str, Any]]:
    port = free_port()
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    moto.start()
    telegram = FakeTelegram().start()
    ozon = FakeOzon().start()
    try:
        yield {"moto": f"http://127.0.0.1:{port}", "telegram": telegram, "ozon": ozon}
    finally:
        ozon.stop()
        telegram.stop()
        moto.stop()


def test_each_function_runs_with_its_deployed_environment_within_its_permissions(
    template: Template,
    local_services: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    moto_url, telegram, ozon = local_services["moto"], local_services["telegram"], local_services["ozon"]
    local_urls = {
        f"http://host.docker.internal:{LOCAL_GATEWAY_PORT + SERVICE_PORT_OFFSETS['dynamodb']}": moto_url,
        f"http://host.docker.internal:{LOCAL_GATEWAY_PORT + SERVICE_PORT_OFFSETS['telegram']}": telegram.url,
        f"http://host.docker.internal:{LOCAL_GATEWAY_PORT + SERVICE_PORT_OFFSETS['ozon']}": ozon.url,
    }
    overrides = {name: local_urls.get(value, value) for name, value in sam_overrides().items()}
    functions = function_properties(template)
    environments = {
        name: sam_environment(props["Environment"]["Variables"], overrides)
        for name, props in functions.items()
    }
    secret_values = {
        "TELEGRAM_BOT_TOKEN": BOT_TOKEN,
        "TELEGRAM_WEBHOOK_SECRET": "webhook-secret-token-1234",
        "ADMIN_SESSION_SECRET": "s" * 48,
        "OZON_API_KEY": ozon.api_key,
    }
    store = boto3.client("secretsmanager", endpoint_url=moto_url, region_name="eu-central-1")
    for variable, value in secret_values.items():
        store.create_secret(Name=f"ozon-referral/{SECRET_NAMES[variable]}", SecretString=value)

    recorder = Recorder()
    recorder.install(monkeypatch)
    configured = {name for env in environments.values() for name in env} | set(secret_values)

    def as_function(name: str, run: Callable[[], Any]) -> Any:
        """Run with only this function's environment, its container state fresh."""
        with monkeypatch.context() as scope:
            for variable in configured | {"ADMIN_DEV_LOGIN", "AWS_ENDPOINT_URL"}:
                scope.delenv(variable, raising=False)
            for variable, value in environments[name].items():
                scope.setenv(variable, value)
            parameters.clear_caches()
            bot_webhook.reset()
            ozon_sync.configuration.cache_clear()
            ozon_sync.services.cache_clear()
            admin_context.reset()
            bind_table(environments[name]["TABLE_NAME"], host=moto_url)
            recorder.current = name
            try:
                return run()
            finally:
                recorder.current = ""

    as_function("admin_api", create_table)
    recorder.actions.clear()

    def telegram_says(user: LocalUser, text: str) -> None:
        headers = {"x-telegram-bot-api-secret-token": secret_values["TELEGRAM_WEBHOOK_SECRET"]}
        body = json.dumps(message_update(user, text)).encode()
        event = http_api_event("POST", "/telegram/webhook", headers, body, "POST /telegram/webhook")
        answer = bot_webhook.handler(event, LocalLambdaContext("bot_webhook"))
        assert answer["statusCode"] == 200
        reply = json.loads(answer["body"])
        if "method" in reply:  # Telegram runs a method returned in the webhook's answer
            method = reply.pop("method")
            requests.post(f"{telegram.url}/bot{BOT_TOKEN}/{method}", json=reply, timeout=10)

    anna, boris = LocalUser(7001, "Анна"), LocalUser(7002, "Борис")

    def register_two() -> tuple[str, str] | None:
        telegram_says(anna, "/start")
        telegram_says(anna, "300000001")
        [code] = re.findall(r"\?start=([A-Za-z0-9_-]+)", telegram.calls_to("sendMessage", anna.id)[-1].text)
        telegram_says(boris, f"/start {code}")
        telegram_says(boris, "300000002")
        return SettingsService().ozon_credentials()

    assert as_function("bot_webhook", register_two) == (ozon.client_id, ozon.api_key)
    ozon.add_fbs(
        "9000001-0001-1",
        datetime.now(UTC),
        [FakeProduct(sku=1, name="Чай", price=Decimal("2000.00"))],
        customer_id=300000002,
    )
    capsys.readouterr()

    def sync() -> Any:
        # Imported afresh, as in a new container: Powertools reads its namespace and service at import.
        return importlib.reload(ozon_sync).handler(scheduled_event("sync"), LocalLambdaContext("ozon_sync"))

    synced = as_function("ozon_sync", sync)
    importlib.reload(ozon_sync)  # back to this process's own environment for the tests that follow
    assert synced["status"] == "ok" and synced["attributed"] == 1
    emitted = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    for name, module in (
        ("release_frozen", release_frozen),
        ("notify_outbox", notify_outbox),
        ("notify_digest", notify_digest),
    ):
        as_function(
            name,
            lambda module=module, name=name: module.handler(scheduled_event(name), LocalLambdaContext(name)),
        )
    checked = as_function(
        "reconcile", lambda: reconcile.handler(scheduled_event("reconcile"), LocalLambdaContext("reconcile"))
    )
    assert checked["clean"] is True and checked["participants"] == 2, checked
    rollup = as_function(
        "statistics_rollup", lambda: admin_api.rollup(scheduled_event("r"), LocalLambdaContext("r"))
    )
    assert rollup["months"]

    def operate() -> list[int]:
        def call(method: str, path: str, body: Any = None, token: str | None = None) -> dict[str, Any]:
            headers = {"content-type": "application/json", "host": "api.example.com"}
            if token:
                headers["authorization"] = f"Bearer {token}"
            raw = json.dumps(body).encode() if body is not None else b""
            event = http_api_event(method, path, headers, raw, "ANY /admin/{proxy+}")
            result: dict[str, Any] = admin_api.handler(event, LocalLambdaContext("admin_api"))
            return result

        owner = overrides["BOOTSTRAP_ADMIN_IDS"]
        login = call("POST", "/admin/auth/telegram", widget_login(owner, int(datetime.now(UTC).timestamp())))
        token = json.loads(login["body"])["token"]
        correction = {
            "available_change": 10,
            "total_change": 10,
            "reason": "Welcome bonus",
            "idempotency_key": "scenario-0001",
        }
        return [
            login["statusCode"],
            call("GET", "/admin/participants", token=token)["statusCode"],
            call("GET", f"/admin/participants/{anna.id}", token=token)["statusCode"],
            call("GET", "/admin/statistics/dashboard", token=token)["statusCode"],
            call("POST", f"/admin/participants/{anna.id}/balance-corrections", correction, token)[
                "statusCode"
            ],
        ]

    assert as_function("admin_api", operate) == [200, 200, 200, 200, 200]

    # Every function stayed within the DynamoDB actions its role grants, and each did use the table.
    for name, props in functions.items():
        granted = {
            action.removeprefix("dynamodb:")
            for statement in role_statements(template, props)
            for action in actions(statement)
            if action.startswith("dynamodb:")
        }
        assert recorder.actions[name], f"{name} did not run"
        assert recorder.actions[name] <= granted, f"{name} calls {recorder.actions[name] - granted}"

    # The sync's completed-run metric is exactly the one the "sync behind" alarm watches.
    [alarm] = [
        a["Properties"]
        for a in template.find_resources("AWS::CloudWatch::Alarm").values()
        if a["Properties"].get("MetricName") == "SyncRunsCompleted"
    ]
    [metrics] = [m for m in emitted if "SyncRunsCompleted" in m]
    [directive] = metrics["_aws"]["CloudWatchMetrics"]
    assert directive["Namespace"] == alarm["Namespace"]
    assert {d["Name"]: d["Value"] for d in alarm["Dimensions"]} == {
        name: metrics[name] for group in directive["Dimensions"] for name in group
    }
    assert metrics["SyncRunsCompleted"] == [1.0]
