"""Refusals of the domain reach participants in their language, worded by the refusal's stable reason."""

from __future__ import annotations

from datetime import timedelta

from referral.services import Services
from referral.telegram.texts import refusal

from tests.bot.conftest import Bot, FakeLookup, TgUser
from tests.support.builders import posting


def test_a_suspended_participant_is_told_why_a_product_link_is_refused(bot: Bot, services: Services) -> None:
    anna = TgUser(101, "Anna")
    bot.register(anna, "111111111")
    services.participants.set_blocked("operator", "101", True, reason="spam")
    bot.say(anna, "➕ Ссылка на товар")
    bot.say(anna, "Чайник")

    answer = bot.say(anna, "https://www.ozon.ru/product/chaynik-123456/")

    assert answer["text"] == (
        "Ваше участие в программе приостановлено, поэтому это сейчас недоступно. Напишите в поддержку: /help"
    )
    assert [link.kind for link in services.links.links_of("101")] == ["personal"]


def test_an_english_speaker_gets_the_bots_english_not_the_domains(
    bot: Bot, services: Services, lookup: FakeLookup
) -> None:
    emma = TgUser(201, "Emma", language_code="en")
    bot.register(emma, "987654321")
    lookup.postings["1000-0001-1"] = posting(bot.clock.now - timedelta(days=3), number="1000-0001-1")
    bot.say(emma, "🧾 My purchase")

    answer = bot.say(emma, "1000-0001-1")

    assert answer["text"] == "That order was placed before you joined the program, so it does not count."


def test_an_unknown_reason_is_a_polite_general_phrase() -> None:
    assert (
        refusal("something_new", "ru")
        == "Это сейчас невозможно. Если нужна помощь, напишите в поддержку: /help"
    )
    assert (
        refusal("something_new", "en")
        == "That is not possible right now. If you need help, contact support: /help"
    )
