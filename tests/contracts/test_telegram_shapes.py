"""The fake Telegram's answers and every update our tools and tests make are shaped as the contract says."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import requests

from devtools.fake_telegram import FakeTelegram
from devtools.telegram_updates import LocalUser, callback_update, message_update
from tests.bot.conftest import LOCATION, PHOTO, STICKER, Bot, TgUser
from tests.contracts.telegram_contract import TelegramContract
from tests.support.clock import FakeClock

TOKEN = "7000000001:AAFakeTokenForTests_abcdefghijklmnop"
GROUP = -1001234567890
ANNA = LocalUser(101, "Anna", "anna")


class RecordingHarness(Bot):
    """The bot tests' harness, keeping the updates it would post instead of posting them."""

    def __init__(self) -> None:
        super().__init__(FakeTelegram(), FakeClock())
        self.sent: list[dict[str, Any]] = []

    def post(self, update: dict[str, Any] | str, **options: Any) -> dict[str, Any]:
        assert isinstance(update, dict)
        self.sent.append(update)
        return {"statusCode": 200, "body": "{}"}


def harness_updates() -> list[dict[str, Any]]:
    """One update of each kind the bot tests' harness posts to the webhook."""
    harness = RecordingHarness()
    user = TgUser(101, "Anna", "anna", last_name="A", language_code="en")
    harness.say(user, "hello")
    harness.say(user, "/start abc")
    harness.press(user, "dg:off")
    for media in (PHOTO, STICKER, LOCATION):
        harness.send(user, media)
    harness.operator_says(77, "Здравствуйте")
    harness.operator_says(77, media=PHOTO)
    return harness.sent


UPDATES: dict[str, Callable[[], dict[str, Any]]] = {
    "devtools text": lambda: message_update(ANNA, "Где мои баллы?"),
    "devtools command": lambda: message_update(ANNA, "/start ABC123"),
    "devtools callback": lambda: callback_update(ANNA, "dg:daily", message_id=7),
    "devtools plain user": lambda: message_update(LocalUser(102, "Boris", language_code="en"), "hi"),
}


@pytest.mark.parametrize("kind", sorted(UPDATES))
def test_the_updates_devtools_make_are_telegram_updates(
    telegram_contract: TelegramContract, kind: str
) -> None:
    assert telegram_contract.update_violations(UPDATES[kind]()) == []


def test_the_updates_the_bot_tests_post_are_telegram_updates(telegram_contract: TelegramContract) -> None:
    updates = harness_updates()

    assert [telegram_contract.update_violations(update) for update in updates] == [[]] * 8


def call(telegram: FakeTelegram, method: str, **params: Any) -> dict[str, Any]:
    answer = requests.post(f"{telegram.url}/bot{TOKEN}/{method}", json=params, timeout=5).json()
    assert answer["ok"], answer
    return dict(answer)


def test_every_answer_of_the_fake_is_the_methods_return_type(telegram_contract: TelegramContract) -> None:
    with FakeTelegram(contract=telegram_contract) as telegram:
        telegram.add_chat(GROUP, title="Operators", is_forum=True)
        telegram.set_member(GROUP, 555, status="member")
        telegram.set_member(GROUP, 556, status="creator")
        telegram.set_member(GROUP, 557, status="administrator", can_manage_topics=False)
        call(telegram, "getMe")
        call(telegram, "getWebhookInfo")
        call(telegram, "setWebhook", url="https://x.example/hook", secret_token="s", max_connections=10)
        telegram.set_webhook_trouble(pending_update_count=2, last_error_message="Connection timed out")
        call(telegram, "getWebhookInfo")
        call(telegram, "deleteWebhook", drop_pending_updates=True)
        call(telegram, "getChat", chat_id=GROUP)
        for user_id in (telegram.bot_id, 555, 556, 557, 999):
            call(telegram, "getChatMember", chat_id=GROUP, user_id=user_id)
        topic = call(telegram, "createForumTopic", chat_id=GROUP, name="Anna · 101")["result"]
        call(telegram, "sendMessage", chat_id=GROUP, message_thread_id=topic["message_thread_id"], text="x")
        call(telegram, "sendMessage", chat_id=101, text="<b>y</b>", parse_mode="HTML", reply_markup=MARKUP)
        call(telegram, "editMessageText", chat_id=101, message_id=5, text="z", reply_markup=MARKUP)
        call(telegram, "copyMessage", chat_id=101, from_chat_id=GROUP, message_id=9)
        call(telegram, "answerCallbackQuery", callback_query_id="cb1")
        for update in (message_update(ANNA, "hi"), callback_update(ANNA, "dg:off")):
            telegram.push_update(update)
        polled = call(telegram, "getUpdates", offset=0, timeout=0)["result"]

        answered = {method for kind, method in telegram.checked if kind == "answer"}
        assert telegram.violations == []
    assert len(polled) == 2
    assert answered == {
        "getMe",
        "getWebhookInfo",
        "setWebhook",
        "deleteWebhook",
        "getChat",
        "getChatMember",
        "createForumTopic",
        "sendMessage",
        "editMessageText",
        "copyMessage",
        "answerCallbackQuery",
        "getUpdates",
    }


MARKUP = {"inline_keyboard": [[{"text": "✅", "callback_data": "wd:ok:1"}]]}


def test_the_fake_reports_calls_updates_and_webhook_answers_that_break_the_contract(
    telegram_contract: TelegramContract,
) -> None:
    with FakeTelegram(contract=telegram_contract) as telegram:
        unknown = requests.post(f"{telegram.url}/bot{TOKEN}/sendMesage", json={"chat_id": 1}, timeout=5)
        requests.post(
            f"{telegram.url}/bot{TOKEN}/sendMessage",
            data={"chat_id": "1", "text": "x", "disable_notification": "yes"},
            timeout=5,
        )
        telegram.push_update({"update_id": 3, "message": {"message_id": 1, "date": 0}})
        telegram.check_webhook_answer({"method": "sendMessage", "chat_id": 1, "txt": "x"})
        violations = telegram.violations

    assert unknown.status_code == 404
    assert violations == [
        "unknown method 'sendMesage'",
        "sendMessage: disable_notification: 'yes' is not readable as Boolean",
        "update: update.message.chat: required field of Message missing",
        "webhook answer sendMessage: txt: not a parameter of sendMessage",
        "webhook answer sendMessage: text: required parameter missing",
    ]
