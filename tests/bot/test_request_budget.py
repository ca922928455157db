"""A menu command costs at most two DynamoDB requests (every client counted); what its one write does."""

from __future__ import annotations

import json

import pytest
from referral.repository import bot_state
from referral.services import Services

from devtools.request_meter import counting, install
from functions.bot_webhook import handler as webhook
from tests.bot.conftest import Bot, FakeLookup, TgUser
from tests.bot.test_registration import personal_code
from tests.support.builders import posting
from tests.support.clock import FakeClock

MENU = [
    "💰 Баланс",
    "🔗 Моя ссылка",
    "📋 Мои ссылки",
    "👥 Мои рефералы",
    "🔔 Уведомления",
    "❓ Помощь",
    "🧾 Моя покупка",
    "➕ Ссылка на товар",
    "💸 Вывести баллы",
    "✖️ Отмена",
    "/balance",
]


@pytest.fixture
def warm_bot(bot: Bot, lookup: FakeLookup, clock: FakeClock, monkeypatch: pytest.MonkeyPatch) -> Bot:
    """A warm container: settings cached, every DynamoDB client (PynamoDB's, Powertools') counted."""
    install()
    monkeypatch.setenv("SETTINGS_CACHE_SECONDS", "600")
    webhook.reset()
    webhook.runtime(posting_lookup=lookup, clock=clock)
    return bot


def test_every_menu_command_costs_at_most_two_requests(warm_bot: Bot, services: Services) -> None:
    anna = TgUser(101, "Anna")
    warm_bot.register(anna, "111111111")
    warm_bot.register(TgUser(102, "Boris"), "222222222", personal_code(services, anna))
    for label in MENU:
        warm_bot.say(anna, label)

    costs: dict[str, int] = {}
    for dialog in ("", "🧾 Моя покупка"):  # idle, then with a dialog step open
        for label in MENU:
            if dialog:
                warm_bot.say(anna, dialog)
            with counting() as requests:
                answer = warm_bot.say(anna, label)
            assert answer["method"] == "sendMessage"
            costs[f"{dialog} → {label}" if dialog else label] = requests.total

    assert {label: cost for label, cost in costs.items() if cost > 2} == {}


def test_a_look_up_leaves_an_open_dialog_step_open(bot: Bot, lookup: FakeLookup) -> None:
    anna = TgUser(101, "Anna")
    bot.register(anna, "111111111")
    bot.clock.advance(hours=1)
    lookup.postings["4000-0001-1"] = posting(bot.clock.now, number="4000-0001-1", customer_id="111111111")

    bot.say(anna, "🧾 Моя покупка")
    balance = bot.say(anna, "💰 Баланс")
    claimed = bot.say(anna, "4000-0001-1")

    assert "reply_markup" not in balance  # the Cancel keyboard of the open step stays
    assert claimed["text"].startswith("Заказ 4000-0001-1 от 10.01.2026")


def test_a_redelivered_menu_command_that_opened_a_step_is_answered_once(bot: Bot) -> None:
    anna = TgUser(101, "Anna")
    bot.register(anna, "111111111")
    update = bot.message(anna, "🧾 Моя покупка")

    first = bot.post(update)
    bot.say(anna, "✖️ Отмена")
    again = bot.post(update)

    assert json.loads(first["body"])["text"].startswith("Пришлите номер заказа Ozon")
    assert (again["statusCode"], again["body"]) == (200, "{}")
    assert bot_state.load_user("101").conversation.state == "idle"


def test_a_redelivered_look_up_is_answered_again(bot: Bot) -> None:
    """A look-up changes nothing and its answer travels in the webhook response: Telegram redelivers it
    only when that response did not arrive, so answering again is what the participant needs."""
    anna = TgUser(101, "Anna")
    bot.register(anna, "111111111")
    update = bot.message(anna, "💰 Баланс")

    first = bot.post(update)
    again = bot.post(update)

    assert first["body"] == again["body"] and json.loads(again["body"])["text"].startswith("<b>Баланс:")
    assert bot.telegram.calls == []
