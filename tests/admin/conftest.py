"""Admin API tests: the real Lambda handler on moto, driven by API Gateway HTTP API (v2) events."""

from __future__ import annotations

import hashlib
import hmac
import json
import signal
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from referral.admin import context
from referral.repository.models import AuditItem, Entity, LedgerEntryItem, NotificationItem
from referral.repository.table import _all_models
from referral.services import Services

from devtools.fake_telegram import FakeTelegram
from devtools.request_meter import Requests, counting, install, watch
from functions.admin_api.handler import handler
from tests.support.clock import FakeClock
from tests.support.lambda_context import lambda_context

BOT_TOKEN = "123456:TEST-bot-token-for-login-widget"
SESSION_SECRET = "s" * 48
OWNER_ID = "1000"
OPERATOR_ID = "2000"


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    text: str

    @property
    def json(self) -> Any:
        return json.loads(self.text)

    @property
    def error(self) -> dict[str, Any]:
        body: dict[str, Any] = self.json["error"]
        return body


def http_event(
    method: str,
    path: str,
    *,
    query: dict[str, Any] | None = None,
    body: Any = None,
    token: str | None = None,
    headers: dict[str, str] | None = None,
    raw_body: str | None = None,
) -> dict[str, Any]:
    """An API Gateway HTTP API payload v2 event, shaped as the service sends it."""
    all_headers = {"host": "admin.example.com", "user-agent": "pytest", "content-type": "application/json"}
    if token is not None:
        all_headers["authorization"] = f"Bearer {token}"
    all_headers.update({k.lower(): v for k, v in (headers or {}).items()})
    params = {
        k: ("true" if v is True else "false" if v is False else str(v))
        for k, v in (query or {}).items()
        if v is not None
    }
    text = raw_body if raw_body is not None else (json.dumps(body) if body is not None else None)
    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": urllib.parse.urlencode(params),
        "headers": all_headers,
        **({"queryStringParameters": params} if params else {}),
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "api1",
            "domainName": "admin.example.com",
            "domainPrefix": "admin",
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "203.0.113.1",
                "userAgent": "pytest",
            },
            "requestId": "req-1",
            "routeKey": "$default",
            "stage": "$default",
            "time": "10/Jan/2026:12:00:00 +0000",
            "timeEpoch": 1768046400000,
        },
        **({"body": text} if text is not None else {}),
        "isBase64Encoded": False,
    }


def widget_login(user_id: str, auth_date: int, **fields: Any) -> dict[str, Any]:
    """Login Widget data signed the way Telegram signs it."""
    data: dict[str, Any] = {
        "id": int(user_id),
        "first_name": f"Admin{user_id}",
        "auth_date": auth_date,
        **fields,
    }
    data = {key: value for key, value in data.items() if value is not None}
    check = "\n".join(f"{k}={data[k]}" for k in sorted(data))
    secret_key = hashlib.sha256(BOT_TOKEN.encode()).digest()
    data["hash"] = hmac.new(secret_key, check.encode(), hashlib.sha256).hexdigest()
    return data


class Api:
    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.tokens: dict[str, str] = {}
        self.logins = 0

    def call(self, method: str, path: str, *, as_: str | None = "owner", **kwargs: Any) -> Reply:
        token = self.tokens.get(as_) if as_ else None
        kwargs.setdefault("token", token)
        result = handler(http_event(method, path, **kwargs), lambda_context())
        return Reply(result["statusCode"], result.get("headers") or {}, result.get("body") or "")

    def get(self, path: str, **kwargs: Any) -> Reply:
        return self.call("GET", path, **kwargs)

    def post(self, path: str, body: Any = None, **kwargs: Any) -> Reply:
        return self.call("POST", path, body=body, **kwargs)

    def put(self, path: str, body: Any = None, **kwargs: Any) -> Reply:
        return self.call("PUT", path, body=body, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> Reply:
        return self.call("DELETE", path, **kwargs)

    def login(self, user_id: str, name: str) -> Reply:
        """A fresh widget login each time (a signed login opens one session only): each one a second older."""
        self.logins += 1
        auth_date = int(self.clock.now.timestamp()) - self.logins
        reply = self.post("/admin/auth/telegram", widget_login(user_id, auth_date), as_=None)
        if reply.status == 200:
            self.tokens[name] = reply.json["token"]
        return reply


@pytest.fixture(scope="session")
def telegram() -> Iterator[FakeTelegram]:
    """The Bot API the function delivers withdrawal notices through, right after the change."""
    with FakeTelegram() as server:
        yield server


@pytest.fixture
def admin_env(monkeypatch: pytest.MonkeyPatch, table_name: str, telegram: FakeTelegram) -> None:
    telegram.reset()
    monkeypatch.setenv("TABLE_NAME", table_name)
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", BOT_TOKEN)
    monkeypatch.setenv("TELEGRAM_API_URL", telegram.url)
    monkeypatch.setenv("ADMIN_SESSION_SECRET", SESSION_SECRET)
    monkeypatch.setenv("BOOTSTRAP_ADMIN_IDS", OWNER_ID)
    monkeypatch.setenv("ADMIN_SESSION_SECONDS", "3600")


@pytest.fixture
def api(admin_env: None, clock: FakeClock) -> Iterator[Api]:
    context.reset(clock=clock, settings_max_age=0)
    client = Api(clock)
    yield client
    context.reset()


@pytest.fixture
def owner(api: Api) -> Api:
    """Logged in as the bootstrap owner, who added one operator (logged in too)."""
    assert api.login(OWNER_ID, "owner").status == 200
    assert api.post("/admin/admins", {"telegram_id": OPERATOR_ID, "role": "operator"}).status == 200
    assert api.login(OPERATOR_ID, "operator").status == 200
    return api


@pytest.fixture
def domain(api: Api) -> Services:
    """The same services the API uses, for arranging state and reading it back."""
    return context.current().services


def items_of(model: type[Entity]) -> list[Any]:
    return [item for item in Entity.scan() if isinstance(item, model)]


def audits() -> list[AuditItem]:
    return items_of(AuditItem)


def ledger() -> list[LedgerEntryItem]:
    return items_of(LedgerEntryItem)


def outbox() -> list[NotificationItem]:
    return items_of(NotificationItem)


def snapshot() -> list[dict[str, Any]]:
    """Every item of the table, to prove a refused request wrote nothing."""
    return sorted((json.dumps(item.serialize(), sort_keys=True) for item in Entity.scan()), key=str)  # type: ignore[return-value]


@contextmanager
def deadline(seconds: int) -> Iterator[None]:
    """Fail (instead of hanging the suite) when the body runs longer than ``seconds``."""

    def expired(*_: Any) -> None:
        raise TimeoutError(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@contextmanager
def dynamodb_requests() -> Iterator[Requests]:
    """Count the DynamoDB requests made inside the block, on every model's client."""
    install()
    for model in _all_models():
        watch(model._get_connection().connection.client)
    with counting() as requests:
        yield requests
