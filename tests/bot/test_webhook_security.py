"""The webhook is safe to expose: secret token, exactly-once updates, garbage and odd updates answered 200."""

from __future__ import annotations

import base64
import json

import boto3
import pytest
from referral.repository.bot_state import ProcessedUpdateItem
from referral.services import Services

from functions.bot_webhook import handler as webhook
from tests.bot.conftest import OPERATORS, Bot, FakeLookup, TgUser
from tests.support.lambda_context import lambda_context


def processed_updates() -> int:
    return sum(1 for _ in ProcessedUpdateItem.scan())


@pytest.mark.parametrize("secret", [None, "", "wrong-secret", "webhook-secret_1234"])
def test_a_request_without_the_right_secret_is_rejected_and_nothing_is_processed(
    bot: Bot, services: Services, secret: str | None
) -> None:
    update = bot.message(TgUser(101, "Anna"), "/start")

    response = bot.post(update, secret=secret)

    assert response["statusCode"] == 401
    assert bot.telegram.calls == []
    assert processed_updates() == 0


@pytest.mark.parametrize(
    "body",
    [
        "",
        "not json at all",
        "[1, 2, 3]",
        '{"message": {"text": "no update id"}}',
        '{"update_id": "12", "message": {}}',
        '{"update_id": 12.5}',
        '{"update_id": 12, "message": "not an object"}',
        '{"update_id": 13, "message": {"message_id": 1}}',
        '{"update_id": 14, "message": {"message_id": 1, "date": 0, "chat": {"id": 5, "type": "private"}}}',
    ],
)
def test_a_garbage_body_is_answered_200_and_nothing_is_done(bot: Bot, body: str) -> None:
    response = bot.post(body)

    assert (response["statusCode"], response["body"]) == (200, "{}")
    assert bot.telegram.calls == []


def test_a_base64_body_is_understood(bot: Bot) -> None:
    update = json.dumps(bot.message(TgUser(101, "Anna"), "/start")).encode()

    response = bot.post(base64.b64encode(update).decode(), base64=True)

    assert json.loads(response["body"])["text"].startswith("<b>Условия программы</b>")


def test_a_duplicate_update_is_handled_once(bot: Bot, services: Services, lookup: FakeLookup) -> None:
    anna = TgUser(101, "Anna")
    bot.say(anna, "/start")
    update = bot.message(anna, "123456789")

    first = bot.post(update)
    second = bot.post(update)

    assert json.loads(first["body"])["text"].startswith("Добро пожаловать")
    assert (second["statusCode"], second["body"]) == (200, "{}")
    assert services.repos.participants.get_participant("101") is not None


def test_odd_updates_are_ignored_or_answered_politely(bot: Bot, services: Services) -> None:
    anna = TgUser(101, "Anna")
    bot.register(anna, "111111111")
    location = bot.message(anna, "")
    del location["message"]["text"]
    location["message"]["location"] = {"latitude": 55.75, "longitude": 37.62}
    edited = bot.message(anna, "💰 Баланс")
    edited["edited_message"] = {**edited.pop("message"), "edit_date": 1768046500}
    group = bot.message(anna, "💰 Баланс")
    group["message"]["chat"] = {"id": -100555, "title": "Friends", "type": "supergroup"}
    poll = {
        "update_id": bot.next_update_id(),
        "poll": {
            "id": "1",
            "question": "?",
            "options": [],
            "total_voter_count": 0,
            "is_closed": False,
            "is_anonymous": True,
            "type": "regular",
            "allows_multiple_answers": False,
        },
    }
    unknown = {"update_id": bot.next_update_id(), "something_new": {"x": 1}}
    general = bot.message(anna, "hello operators")
    general["message"]["chat"] = {
        "id": OPERATORS,
        "title": "Operators",
        "type": "supergroup",
        "is_forum": True,
    }

    answers = [
        json.loads(bot.post(update)["body"]) for update in (location, edited, group, poll, unknown, general)
    ]

    assert answers[0]["text"] == "Пожалуйста, отправьте текстовое сообщение."
    assert answers[1:] == [{}, {}, {}, {}, {}]
    assert bot.telegram.calls == []


def test_unregistered_users_are_sent_to_start(bot: Bot) -> None:
    answer = bot.say(TgUser(101, "Anna"), "💰 Баланс")

    assert answer["text"] == "Сначала зарегистрируйтесь: нажмите /start"


def test_a_failure_of_the_domain_layer_is_answered_with_an_apology(bot: Bot, lookup: FakeLookup) -> None:
    anna = TgUser(101, "Anna")
    bot.register(anna, "111111111")
    lookup.error = RuntimeError("boom")
    bot.say(anna, "🧾 Моя покупка")

    answer = bot.say(anna, "12345678-0001-1")

    assert answer["text"] == "Извините, что-то пошло не так. Попробуйте ещё раз чуть позже."


def test_a_participant_sees_only_their_own_data(bot: Bot, services: Services) -> None:
    anna, boris = TgUser(101, "Anna"), TgUser(102, "Boris")
    bot.register(anna, "111111111")
    bot.register(boris, "222222222")

    answer = bot.say(boris, "👥 Мои рефералы")
    forged = bot.press(boris, "wd:ok:1")

    assert "<b>1-й уровень: 0</b>" in answer["text"] and "Anna" not in answer["text"]
    assert forged["text"] == "Эта кнопка уже неактуальна."


DEEP = "[" * 100_000 + "]" * 100_000


@pytest.mark.parametrize(
    ("body", "base64_encoded"),
    [
        pytest.param(DEEP, False, id="nested-100k-deep"),
        pytest.param('{"update_id": 15, "message": ' + DEEP + "}", False, id="deep-inside-an-update"),
        pytest.param(base64.b64encode(b'{"update_id": 16, "x": "\xff\xfe"}').decode(), True, id="bad-utf8"),
        pytest.param("%%% not base64 at all ***", True, id="base64-garbage"),
        pytest.param(base64.b64encode(DEEP.encode()).decode(), True, id="base64-of-deep-nesting"),
        pytest.param('{"update_id": true}', False, id="boolean-update-id"),
        pytest.param('"just a string"', False, id="json-string"),
        pytest.param("null", False, id="json-null"),
    ],
)
def test_an_unparseable_body_is_answered_200_with_a_warning_and_a_metric(
    bot: Bot,
    body: str,
    base64_encoded: bool,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    response = bot.post(body, base64=base64_encoded)

    assert (response["statusCode"], response["body"]) == (200, "{}")
    assert bot.telegram.calls == []
    assert processed_updates() == 0
    assert '"MalformedUpdates":[1.0]' in capsys.readouterr().out
    assert [(r.levelname, r.getMessage()) for r in caplog.records] == [
        ("WARNING", "malformed update body ignored")
    ]


def test_headers_that_are_not_a_mapping_are_rejected_not_crashed_on(bot: Bot) -> None:
    event = bot.event(json.dumps(bot.message(TgUser(101, "Anna"), "/start")))
    event["headers"] = ["x-telegram-bot-api-secret-token", "webhook-secret_123"]

    response = webhook.handler(event, lambda_context())  # type: ignore[arg-type]

    assert response["statusCode"] == 401
    assert processed_updates() == 0


def test_a_rotated_secret_is_honoured_by_a_warm_container_at_once(
    bot: Bot, lookup: FakeLookup, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Secrets Manager (moto): ops rotate the secret and call ``setWebhook``; the next call carries the new
    token. The warm container refreshes once on the mismatch instead of answering 401 until it expires."""
    manager = boto3.client("secretsmanager", region_name="eu-central-1")
    manager.create_secret(Name="ozon-referral/telegram-webhook-secret", SecretString="before-rotation\n")
    monkeypatch.delenv("TELEGRAM_WEBHOOK_SECRET")
    monkeypatch.setenv("TELEGRAM_WEBHOOK_SECRET_SECRET_ID", "ozon-referral/telegram-webhook-secret")
    webhook.reset()
    webhook.runtime(posting_lookup=lookup, clock=bot.clock)
    anna = TgUser(101, "Anna")
    assert bot.post(bot.message(anna, "/start"), secret="before-rotation")["statusCode"] == 200

    manager.put_secret_value(SecretId="ozon-referral/telegram-webhook-secret", SecretString="after-rotation")

    answer = bot.post(bot.message(anna, "/help"), secret="after-rotation")
    handled = processed_updates()
    refused = bot.post(bot.message(anna, "/help"), secret="before-rotation")

    assert (answer["statusCode"], refused["statusCode"]) == (200, 401)
    assert json.loads(answer["body"])["method"] == "sendMessage"
    assert processed_updates() == handled
