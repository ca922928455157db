"""Claiming an order by its number (R6) through the Seller API port."""

from __future__ import annotations

from datetime import timedelta

from referral.ozon.errors import OzonUnavailable
from referral.services import Services

from tests.bot.conftest import Bot, FakeLookup, TgUser
from tests.support.builders import posting


def test_claim_refusals_are_explained(bot: Bot, services: Services, lookup: FakeLookup) -> None:
    anna, boris = TgUser(101, "Anna"), TgUser(102, "Boris")
    bot.register(anna, "111111111")
    bot.register(boris, "222222222")
    bot.clock.advance(hours=1)
    before = posting(bot.clock.now - timedelta(days=3), number="1000-0001-1")
    foreign = posting(bot.clock.now, number="1000-0002-1", customer_id="999999999")
    mine = posting(bot.clock.now, number="1000-0003-1", customer_id="111111111")
    lookup.postings.update({p.posting_number: p for p in (before, foreign, mine)})

    def claim(user: TgUser, number: str) -> str:
        bot.say(user, "🧾 Моя покупка")
        return str(bot.say(user, number)["text"])

    assert (
        claim(anna, "abc") == "Номер заказа — цифры и дефисы, например 12345678-0001-1. Попробуйте ещё раз."
    )
    bot.say(anna, "✖️ Отмена")
    assert (
        claim(anna, "5555-0001-1")
        == "Заказ 5555-0001-1 не найден среди заказов наших товаров. Проверьте номер."
    )
    assert (
        claim(anna, "1000-0001-1") == "Заказ сделан до вашей регистрации в программе, поэтому не учитывается."
    )
    assert claim(anna, "1000-0002-1") == "Этот заказ оформлен с другого аккаунта Ozon."
    assert claim(anna, "1000-0003-1").startswith("Заказ 1000-0003-1 от 10.01.2026 на 1 000.00 ₽ засчитан.")
    assert claim(anna, "1000-0003-1") == "Этот заказ уже засчитан вам."
    assert claim(boris, "1000-0003-1") == "Этот заказ уже засчитан другому участнику."
    lookup.error = OzonUnavailable("429 for too long")
    assert claim(boris, "1000-0004-1") == "Сейчас не получается проверить заказ в Ozon. Попробуйте позже."
    order = services.repos.orders.get_order("1000-0003-1")
    assert order is not None and order.participant_id == "101"


def test_a_claim_with_own_rate_says_what_it_earns(bot: Bot, services: Services, lookup: FakeLookup) -> None:
    services.settings.update("admin", {"own_rate": "20"})
    anna = TgUser(101, "Anna")
    bot.register(anna, "111111111")
    bot.clock.advance(hours=1)
    lookup.postings["2000-0001-1"] = posting(
        bot.clock.now, "1500.00", number="2000-0001-1", customer_id="111111111"
    )
    bot.say(anna, "🧾 Моя покупка")

    bot.say(anna, "№ 2000-0001-1")

    [reply, notice] = bot.telegram.calls_to("sendMessage", chat_id=101)
    assert reply.text == (
        "Заказ 2000-0001-1 от 10.01.2026 на 1 500.00 ₽ засчитан.\n"
        "Вам начислено 30 баллов; они заморожены до 09.02.2026, затем станут доступны."
    )
    assert notice.text.startswith("💰 +30 баллов за вашу покупку (заказ 2000-0001-1).")
    participant = services.repos.participants.get_participant("101")
    assert participant is not None and participant.balances.frozen == 30


def test_dates_are_shown_in_the_programs_time_zone(bot: Bot, services: Services, lookup: FakeLookup) -> None:
    services.settings.update("admin", {"own_rate": "20"})
    anna = TgUser(101, "Anna")
    bot.register(anna, "111111111")
    bot.clock.advance(hours=10, minutes=30)  # 22:30 UTC on 10 January: already the 11th in Moscow
    lookup.postings["2000-0002-1"] = posting(
        bot.clock.now, "1500.00", number="2000-0002-1", customer_id="111111111"
    )
    bot.say(anna, "🧾 Моя покупка")

    bot.say(anna, "2000-0002-1")

    [reply, _] = bot.telegram.calls_to("sendMessage", chat_id=101)
    assert reply.text.startswith("Заказ 2000-0002-1 от 11.01.2026 на 1 500.00 ₽ засчитан.")
    assert "заморожены до 10.02.2026" in reply.text


def test_points_and_orders_are_counted_in_the_right_plural_form(
    bot: Bot, services: Services, lookup: FakeLookup
) -> None:
    services.settings.update("admin", {"own_rate": "20"})
    anna = TgUser(101, "Anna")
    bot.register(anna, "111111111")
    bot.clock.advance(hours=1)
    lookup.postings["2000-0003-1"] = posting(
        bot.clock.now, "15150.00", number="2000-0003-1", customer_id="111111111"
    )
    bot.say(anna, "🧾 Моя покупка")

    bot.say(anna, "2000-0003-1")

    [reply, notice] = bot.telegram.calls_to("sendMessage", chat_id=101)
    assert "Вам начислено 303 балла;" in reply.text
    assert notice.text.startswith("💰 +303 балла за вашу покупку")
    assert bot.say(anna, "💰 Баланс")["text"].startswith("<b>Баланс: 303 балла</b>")
