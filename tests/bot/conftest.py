"""The bot end to end: Telegram-shaped updates into the Lambda handler, moto for the table, and a local
fake Bot API server that records every call the bot makes."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from referral.domain.orders import Posting

from devtools.fake_telegram import FakeTelegram
from functions.bot_webhook import handler as webhook
from tests.admin.conftest import admin_env, api, owner  # noqa: F401 - other functions that notify
from tests.contracts.telegram_contract import ContractMissing, load
from tests.support.clock import FakeClock
from tests.support.lambda_context import lambda_context
from tests.sync.conftest import ozon, sync_env  # noqa: F401

BOT_TOKEN = "7000000001:AAFakeTokenForTests_abcdefghijklmnop"
SECRET = "webhook-secret_123"
OPERATORS = -1001234567890
BOT_USERNAME = "referral_test_bot"
BOT_USER = {"id": 7000000001, "is_bot": True, "first_name": "Referral", "username": BOT_USERNAME}


@dataclass
class FakeLookup:
    """The Seller API port as the bot sees it: postings by number, or a scripted failure."""

    postings: dict[str, Posting] = field(default_factory=dict)
    error: Exception | None = None
    asked: list[str] = field(default_factory=list)

    def find_postings(self, number: str) -> list[Posting]:
        self.asked.append(number)
        if self.error is not None:
            raise self.error
        found = self.postings.get(number)
        return [found] if found is not None else []


@dataclass
class TgUser:
    id: int
    first_name: str
    username: str | None = None
    last_name: str | None = None
    language_code: str = "ru"

    def as_json(self) -> dict[str, Any]:
        user: dict[str, Any] = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        if self.last_name:
            user["last_name"] = self.last_name
        if self.username:
            user["username"] = self.username
        user["language_code"] = self.language_code
        return user

    def chat(self) -> dict[str, Any]:
        chat: dict[str, Any] = {"id": self.id, "first_name": self.first_name, "type": "private"}
        if self.username:
            chat["username"] = self.username
        return chat


PHOTO: dict[str, Any] = {
    "photo": [{"file_id": "AgACphoto", "file_unique_id": "AQADphoto", "width": 1280, "height": 720}],
    "caption": "Скриншот заказа <№1>",
}
STICKER: dict[str, Any] = {
    "sticker": {
        "file_id": "CAACsticker",
        "file_unique_id": "AgADsticker",
        "type": "regular",
        "width": 512,
        "height": 512,
        "is_animated": False,
        "is_video": False,
    }
}
LOCATION: dict[str, Any] = {"location": {"latitude": 55.75, "longitude": 37.62}}


class Bot:
    """Drives the webhook like Telegram does and keeps what it answered."""

    def __init__(self, telegram: FakeTelegram, clock: FakeClock) -> None:
        self.telegram = telegram
        self.clock = clock
        self.update_ids = itertools.count(900_000_001)
        self.message_ids = itertools.count(1)

    def event(self, body: str, *, secret: str | None = SECRET, base64: bool = False) -> dict[str, Any]:
        headers = {"content-type": "application/json", "user-agent": "TelegramBot"}
        if secret is not None:
            headers["x-telegram-bot-api-secret-token"] = secret
        return {
            "version": "2.0",
            "routeKey": "POST /telegram/webhook",
            "rawPath": "/telegram/webhook",
            "rawQueryString": "",
            "headers": headers,
            "requestContext": {
                "http": {"method": "POST", "path": "/telegram/webhook", "sourceIp": "91.108.6.1"},
                "requestId": "req",
                "stage": "$default",
            },
            "body": body,
            "isBase64Encoded": base64,
        }

    def post(self, update: dict[str, Any] | str, **options: Any) -> dict[str, Any]:
        body = update if isinstance(update, str) else json.dumps(update)
        response: dict[str, Any] = webhook.handler(self.event(body, **options), lambda_context())  # type: ignore[arg-type]
        answer = json.loads(response.get("body") or "{}")
        if isinstance(answer, dict) and "method" in answer:
            self.telegram.check_webhook_answer(answer)  # Telegram makes that call: it must be a valid one
        return response

    def next_update_id(self) -> int:
        return next(self.update_ids)

    def message(self, user: TgUser, text: str) -> dict[str, Any]:
        message: dict[str, Any] = {
            "message_id": next(self.message_ids),
            "from": user.as_json(),
            "chat": user.chat(),
            "date": int(self.clock.now.timestamp()),
            "text": text,
        }
        if text.startswith("/"):
            message["entities"] = [{"offset": 0, "length": len(text.split()[0]), "type": "bot_command"}]
        return {"update_id": self.next_update_id(), "message": message}

    def say(self, user: TgUser, text: str) -> dict[str, Any]:
        """The user sends ``text``; returns the webhook's answer body (the inline reply, if any)."""
        response = self.post(self.message(user, text))
        assert response["statusCode"] == 200
        return dict(json.loads(response["body"]))

    def press(self, user: TgUser, data: str, message_id: int = 4242) -> dict[str, Any]:
        update = {
            "update_id": self.next_update_id(),
            "callback_query": {
                "id": f"cb{next(self.message_ids)}",
                "from": user.as_json(),
                "message": {
                    "message_id": message_id,
                    "from": BOT_USER,
                    "chat": user.chat(),
                    "date": int(self.clock.now.timestamp()),
                    "text": "…",
                },
                "chat_instance": "-5551234",
                "data": data,
            },
        }
        response = self.post(update)
        assert response["statusCode"] == 200
        return dict(json.loads(response["body"]))

    def operator_says(
        self,
        thread: int,
        text: str | None = None,
        *,
        media: dict[str, Any] | None = None,
        chat_id: int = OPERATORS,
    ) -> dict[str, Any]:
        """An operator writes ``text`` (or sends ``media``, e.g. ``PHOTO``) in a topic of ``chat_id``."""
        message: dict[str, Any] = {
            "message_id": next(self.message_ids),
            "from": {"id": 555, "is_bot": False, "first_name": "Olga", "username": "olga_support"},
            "chat": {"id": chat_id, "title": "Operators", "type": "supergroup", "is_forum": True},
            "date": int(self.clock.now.timestamp()),
            "message_thread_id": thread,
            "is_topic_message": True,
            **({"text": text} if text is not None else media or {}),
        }
        response = self.post({"update_id": self.next_update_id(), "message": message})
        assert response["statusCode"] == 200
        return dict(json.loads(response["body"]))

    def send(self, user: TgUser, media: dict[str, Any]) -> dict[str, Any]:
        """The user sends ``media`` (e.g. ``PHOTO``, ``STICKER``); returns the webhook's answer body."""
        message = self.message(user, "")
        body = {key: value for key, value in message["message"].items() if key != "text"}
        update = {"update_id": message["update_id"], "message": {**body, **media}}
        response = self.post(update)
        assert response["statusCode"] == 200
        return dict(json.loads(response["body"]))

    def register(self, user: TgUser, ozon_id: str, code: str | None = None) -> dict[str, Any]:
        self.say(user, f"/start {code}" if code else "/start")
        return self.say(user, ozon_id)


@pytest.fixture(scope="session")
def telegram() -> Iterator[FakeTelegram]:
    """The fake Bot API, checking every call, answer and update against the published contract."""
    try:
        contract = load()
    except ContractMissing as missing:
        pytest.fail(str(missing), pytrace=False)
    with FakeTelegram(bot_id=7000000001, username=BOT_USERNAME, contract=contract) as server:
        yield server


@pytest.fixture(autouse=True)
def telegram_contract_kept(telegram: FakeTelegram) -> Iterator[None]:
    """Any call the bot made (or put in a webhook answer) that the Bot API contract does not allow fails
    the test that made it."""
    telegram.reset()
    telegram.reset_contract_log()
    yield
    if telegram.violations:
        pytest.fail("Bot API contract violated:\n" + "\n".join(telegram.violations), pytrace=False)


@pytest.fixture
def lookup() -> FakeLookup:
    return FakeLookup()


@pytest.fixture
def bot(
    table_name: str,
    clock: FakeClock,
    telegram: FakeTelegram,
    lookup: FakeLookup,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Bot]:
    telegram.reset()
    monkeypatch.setenv("TABLE_NAME", table_name)
    monkeypatch.setenv("TELEGRAM_API_URL", telegram.url)
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", BOT_TOKEN)
    monkeypatch.setenv("TELEGRAM_WEBHOOK_SECRET", SECRET)
    monkeypatch.setenv("TELEGRAM_BOT_USERNAME", BOT_USERNAME)
    monkeypatch.setenv("OPERATORS_CHAT_ID", str(OPERATORS))
    monkeypatch.setenv("SETTINGS_CACHE_SECONDS", "0")
    webhook.reset()
    webhook.runtime(posting_lookup=lookup, clock=clock)
    yield Bot(telegram, clock)
    webhook.reset()
