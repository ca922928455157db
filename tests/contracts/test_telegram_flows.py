"""The bot through all its flows, every Bot API call it makes checked against the published contract.

Outbound calls (python-telegram-bot's form bodies and the small client's JSON) are checked by the fake as
it receives them, webhook answers as Telegram would make them, answers and updates against their types.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
from referral.services import Services
from referral.telegram.bot_api import Pace

from devtools.fake_telegram import FakeTelegram
from functions.notify_digest.handler import send_due
from functions.notify_outbox.handler import sweep
from infra.set_webhook import set_webhook
from tests.bot import conftest as bot_fixtures
from tests.bot.conftest import BOT_TOKEN, OPERATORS, PHOTO, STICKER, Bot, FakeLookup, TgUser
from tests.contracts.telegram_contract import TelegramContract
from tests.support.builders import posting

bot, lookup, telegram = bot_fixtures.bot, bot_fixtures.lookup, bot_fixtures.telegram


def checking_updates(bot: Bot, contract: TelegramContract, seen: list[str], kinds: Counter[str]) -> None:
    """Every update the test sends the webhook is first checked against the ``Update`` type."""
    post = bot.post

    def checked(update: dict[str, Any] | str, **options: Any) -> dict[str, Any]:
        if isinstance(update, dict):
            seen.extend(f"update {problem}" for problem in contract.update_violations(update))
            kinds.update(key for key in update if key != "update_id")
        return post(update, **options)

    bot.post = checked  # type: ignore[method-assign]


def register_a_network(bot: Bot, services: Services) -> tuple[TgUser, TgUser]:
    anna, boris = TgUser(101, "Anna <A>", "anna"), TgUser(102, "Boris", last_name="B", language_code="en")
    bot.register(anna, "111111111")
    anna_code = services.repos.participants.get_participant("101")
    assert anna_code is not None and anna_code.personal_code
    bot.register(boris, "222222222", anna_code.personal_code)  # a new-referral notice to Anna
    return anna, boris


def look_around(bot: Bot, anna: TgUser) -> None:
    for button in ("🔗 Моя ссылка", "📋 Мои ссылки", "💰 Баланс", "👥 Мои рефералы", "❓ Помощь"):
        bot.say(anna, button)
    bot.say(anna, "➕ Ссылка на товар")
    bot.say(anna, "Чайник <Smart>")
    bot.say(anna, "https://www.ozon.ru/product/chaynik-123456/")
    bot.say(anna, "🔔 Уведомления")
    bot.press(anna, "dg:daily", message_id=55)


def claim_and_withdraw(bot: Bot, services: Services, lookup: FakeLookup, anna: TgUser) -> None:
    services.settings.update("admin", {"own_rate": "100"})
    bot.clock.advance(hours=1)
    claimant = services.repos.participants.get_participant("101")
    assert claimant is not None
    order = posting(
        bot.clock.now - timedelta(minutes=5), "3000.00", number="7101-0001-1", customer_id=claimant.ozon_id
    )
    lookup.postings[order.posting_number] = order
    bot.say(anna, "/claim")
    bot.say(anna, order.posting_number)
    services.purchases.apply_status(order.with_status("delivered"))
    bot.clock.advance(days=31)
    services.release.release_matured()
    bot.say(anna, "💸 Вывести баллы")
    confirm = bot.say(anna, "250")
    [[ok, _]] = confirm["reply_markup"]["inline_keyboard"]
    bot.press(anna, ok["callback_data"], message_id=77)  # reserved, announced in Anna's topic


def talk_to_operators(bot: Bot, anna: TgUser) -> None:
    bot.say(anna, "Где мои баллы? <script>")
    bot.send(anna, PHOTO)
    bot.send(anna, STICKER)
    [topic] = bot.telegram.calls_to("createForumTopic")
    assert topic.chat_id == OPERATORS
    thread = bot.telegram.calls_to("sendMessage", chat_id=OPERATORS)[-1].params["message_thread_id"]
    bot.operator_says(thread, "Здравствуйте! Баллы <b>заморожены</b>.")
    bot.operator_says(thread, media={**PHOTO, "caption": "Вот так"})
    bot.operator_says(thread, media=STICKER)
    bot.operator_says(thread, "x" * 5000)  # arrives in parts


def deliver_later(bot: Bot, services: Services, anna: TgUser, boris: TgUser) -> None:
    """A notice that hit a flood limit goes out with the sweep; a due digest with the digest run."""
    boris_profile = services.repos.participants.get_participant(str(boris.id))
    assert boris_profile is not None and boris_profile.personal_code
    bot.telegram.rate_limit(chat_id=boris.id, retry_after=40)
    bot.register(TgUser(103, "Carl"), "333333333", boris_profile.personal_code)
    bot.clock.advance(minutes=2)
    assert sweep(clock=bot.clock).sent >= 1
    bot.clock.advance(days=1, minutes=1)
    assert send_due(clock=bot.clock, pace=Pace(rate=1000, clock=lambda: 0.0, sleep=lambda _: None)).sent == 1


def test_every_bot_api_call_of_every_flow_keeps_to_the_contract(
    bot: Bot,
    services: Services,
    lookup: FakeLookup,
    telegram: FakeTelegram,
    telegram_contract: TelegramContract,
    record_property: Any,
    capsys: pytest.CaptureFixture[str],
) -> None:
    telegram.reset_contract_log()
    update_problems: list[str] = []
    update_kinds: Counter[str] = Counter()
    checking_updates(bot, telegram_contract, update_problems, update_kinds)
    telegram.add_chat(OPERATORS, title="Operators", is_forum=True, can_manage_topics=True)

    anna, boris = register_a_network(bot, services)
    look_around(bot, anna)
    bot.say(boris, "/start")  # a registered participant opens the bot again
    claim_and_withdraw(bot, services, lookup, anna)
    talk_to_operators(bot, anna)
    deliver_later(bot, services, anna, boris)
    set_webhook("https://abc.execute-api.eu-central-1.amazonaws.com", BOT_TOKEN, "s3cr3t", telegram.url)

    checked = Counter(telegram.checked)
    methods = {method for (kind, method) in checked if kind in ("call", "webhook answer")}
    calls = sum(n for (kind, _), n in checked.items() if kind in ("call", "webhook answer"))
    summary = (
        f"Bot API contract ({telegram_contract.version}): {len(methods)} methods in {calls} calls "
        f"({sum(n for (k, _), n in checked.items() if k == 'webhook answer')} webhook answers), "
        f"{sum(n for (k, _), n in checked.items() if k == 'answer')} answers and "
        f"{update_kinds.total()} updates ({dict(update_kinds)}) checked: {sorted(methods)}"
    )
    record_property("telegram_contract", summary)
    with capsys.disabled():
        print(f"\n{summary}")
    assert telegram.violations == [] and update_problems == []
    assert {
        "sendMessage",
        "editMessageText",
        "answerCallbackQuery",
        "createForumTopic",
        "copyMessage",
        "setWebhook",
    } <= methods
    assert ("webhook answer", "sendMessage") in checked and ("call", "sendMessage") in checked
    assert any(call.form for call in telegram.calls), "python-telegram-bot's form bodies were checked too"
