"""The claim dialog of a posting without a buyer id: the price is asked, checked, limited and reviewed."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from referral.domain.orders import PostingLine
from referral.services import Services

from tests.bot.conftest import Bot, FakeLookup, TgUser
from tests.support.builders import posting


def test_the_whole_dialog_of_a_claim_with_proof_and_review(
    bot: Bot, services: Services, lookup: FakeLookup
) -> None:
    services.settings.update("admin", {"claims": {"review": "all", "attempts_per_order": 2}})
    anna = TgUser(101, "Anna")
    bot.register(anna, "111111111")
    bot.clock.advance(hours=1)
    lookup.postings["6000-0001-1"] = replace(
        posting(bot.clock.now, "1390.00", number="6000-0001-1", scheme="FBO"),
        lines=(PostingLine("1", "tea", "Tea", Decimal("1390.00"), 1),),
        paid_prices=(Decimal("1290.00"),),
    )

    def claim(price: str) -> str:
        bot.say(anna, "🧾 Моя покупка")
        asked = bot.say(anna, "6000-0001-1")["text"]
        assert asked.startswith("Чтобы подтвердить, что заказ ваш, пришлите цену одного из товаров")
        return str(bot.say(anna, price)["text"])

    bot.say(anna, "🧾 Моя покупка")
    bot.say(anna, "6000-0001-1")
    assert bot.say(anna, "дорого")["text"] == "Пришлите цену числом, например 1390 или 1390,50."
    assert bot.say(anna, "1000")["text"].startswith("Цена не совпадает ни с одним товаром этого заказа")
    assert services.repos.orders.get_order("6000-0001-1") is None

    bot.telegram.reset()
    held = claim("1 290,40 ₽")  # what the buyer paid, 0.60 off: within the tolerance

    assert held.startswith("Заказ 6000-0001-1 от 10.01.2026 на 1 390.00 ₽ принят и отправлен на проверку")
    order = services.repos.orders.get_order("6000-0001-1")
    assert order is not None and order.under_review and order.participant_id == "101"
    bot.say(anna, "🧾 Моя покупка")
    assert bot.say(anna, "6000-0001-1")["text"] == "Этот заказ уже на проверке у оператора."

    services.claims.reject("100", "6000-0001-1", "101", "Чек не совпал", "reject-key-1")
    bot.say(anna, "🧾 Моя покупка")
    assert (
        bot.say(anna, "6000-0001-1")["text"]
        == "Ваша заявка на этот заказ была отклонена оператором. Причина: Чек не совпал"
    )
    assert services.ledger.entries_of("101") == []


def test_used_up_attempts_say_when_to_try_again(bot: Bot, services: Services, lookup: FakeLookup) -> None:
    services.settings.update("admin", {"claims": {"attempts_per_participant": 1}})
    anna = TgUser(101, "Anna")
    bot.register(anna, "111111111")
    bot.clock.advance(hours=1)
    lookup.postings["6000-0002-1"] = posting(bot.clock.now, "800.00", number="6000-0002-1", scheme="FBO")
    bot.say(anna, "🧾 Моя покупка")
    bot.say(anna, "6000-0002-1")
    bot.say(anna, "1")

    bot.say(anna, "🧾 Моя покупка")
    answer = bot.say(anna, "6000-0002-1")["text"]

    assert answer.startswith("Слишком много попыток подтвердить заказ. Попробуйте снова после ")
    assert services.repos.orders.get_order("6000-0002-1") is None
