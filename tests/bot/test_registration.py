"""Start, registration (R1–R4), deep links, and the balances a 3-level chain sees after a purchase."""

from __future__ import annotations

import re
from datetime import timedelta

from referral.services import Services

from tests.bot.conftest import BOT_USERNAME, Bot, FakeLookup, TgUser
from tests.support.builders import posting

LINK = re.compile(rf"https://t\.me/{BOT_USERNAME}\?start=([A-Za-z0-9_-]+)")


def personal_code(services: Services, user: TgUser) -> str:
    participant = services.repos.participants.get_participant(str(user.id))
    assert participant is not None and participant.personal_code
    return participant.personal_code


def test_start_shows_the_conditions_and_asks_for_the_ozon_id(bot: Bot) -> None:
    answer = bot.say(TgUser(101, "Anna"), "/start")

    assert answer["method"] == "sendMessage" and answer["chat_id"] == 101
    assert answer["parse_mode"] == "HTML"
    assert answer["text"].startswith("<b>Условия программы</b>\nПриглашайте друзей")
    assert "Чтобы участвовать, пришлите свой Ozon ID." in answer["text"]
    assert "Откройте приложение Ozon → Профиль" in answer["text"]  # the how-to text from settings
    assert bot.telegram.calls == []  # the reply travelled in the webhook answer


def test_registration_validates_the_ozon_id_then_welcomes(bot: Bot, services: Services) -> None:
    anna = TgUser(101, "Anna", "anna")
    bot.say(anna, "/start")

    refused = bot.say(anna, "my id is abc")
    welcomed = bot.say(anna, "  123 456 789 ")

    assert refused["text"] == "Ozon ID — это от 3 до 20 цифр, например 123456789. Попробуйте ещё раз."
    assert welcomed["text"].startswith("Добро пожаловать в программу!")
    assert LINK.search(welcomed["text"])
    keyboard = welcomed["reply_markup"]["keyboard"]
    assert [button["text"] for row in keyboard for button in row] == [
        "🔗 Моя ссылка",
        "📋 Мои ссылки",
        "💰 Баланс",
        "👥 Мои рефералы",
        "🧾 Моя покупка",
        "➕ Ссылка на товар",
        "💸 Вывести баллы",
        "🔔 Уведомления",
        "❓ Помощь",
    ]
    participant = services.repos.participants.get_participant("101")
    assert participant is not None
    assert (participant.ozon_id, participant.sponsor_id, participant.profile.username) == (
        "123456789",
        None,
        "anna",
    )


def test_an_ozon_id_of_another_participant_is_refused(bot: Bot, services: Services) -> None:
    bot.register(TgUser(101, "Anna"), "123456789")

    answer = bot.register(TgUser(102, "Boris"), "123456789")

    assert answer["text"].startswith("Этот Ozon ID уже привязан к другому участнику.")
    assert services.repos.participants.get_participant("102") is None


def test_a_registered_participant_opening_another_link_is_not_reattached(
    bot: Bot, services: Services
) -> None:
    anna, boris, carl = TgUser(101, "Anna"), TgUser(102, "Boris"), TgUser(103, "Carl")
    bot.register(anna, "111111111")
    bot.register(boris, "222222222")
    bot.register(carl, "333333333", personal_code(services, anna))

    answer = bot.say(carl, f"/start {personal_code(services, boris)}")
    own = bot.say(carl, f"/start {personal_code(services, carl)}")

    assert answer["text"].startswith("Вы уже участвуете в программе.")
    assert own["text"].startswith("Это ваша собственная ссылка")
    carl_now = services.repos.participants.get_participant("103")
    assert carl_now is not None and carl_now.sponsor_id == "101"
    boris_link = services.repos.links.get_link(personal_code(services, boris))
    assert boris_link is not None and boris_link.clicks == 1  # R2: the click still counts


def test_an_unknown_code_still_lets_the_user_join(bot: Bot, services: Services) -> None:
    answer = bot.say(TgUser(101, "Anna"), "/start nosuchcode")
    welcomed = bot.say(TgUser(101, "Anna"), "123456789")

    assert "Эта ссылка-приглашение не найдена." in answer["text"]
    assert welcomed["text"].startswith("Добро пожаловать")
    participant = services.repos.participants.get_participant("101")
    assert participant is not None and participant.sponsor_id is None


def test_a_three_level_chain_and_the_balances_after_a_purchase(
    bot: Bot, services: Services, lookup: FakeLookup
) -> None:
    anna, boris = TgUser(101, "Anna", "anna"), TgUser(102, "Boris", "boris")
    carl, dana = TgUser(103, "Carl", "carl"), TgUser(104, "Dana <Shop> & Co", "dana")
    bot.register(anna, "111111111")
    bot.register(boris, "222222222", personal_code(services, anna))
    bot.register(carl, "333333333", personal_code(services, boris))
    bot.telegram.reset()

    bot.register(dana, "444444444", personal_code(services, carl))

    # The newcomer is welcomed; the sponsor hears about the new referral at once, name escaped.
    [welcome, notice] = bot.telegram.calls_to("sendMessage")
    assert welcome.chat_id == 104 and "Ваш пригласивший: Carl @carl." in welcome.text
    assert notice.chat_id == 103
    assert notice.text == "🎉 У вас новый реферал: Dana &lt;Shop&gt; &amp; Co @dana."
    dana_row = services.repos.participants.get_participant("104")
    assert dana_row is not None and dana_row.ancestors == ("103", "102", "101")

    bot.clock.advance(hours=2)
    order = posting(
        bot.clock.now - timedelta(hours=1), "2000.00", number="12345678-0001-1", customer_id="444444444"
    )
    lookup.postings["12345678-0001-1"] = order
    bot.telegram.reset()
    bot.say(dana, "🧾 Моя покупка")
    bot.say(dana, "12345678-0001-1")

    claimed = [c for c in bot.telegram.calls_to("sendMessage") if c.chat_id == 104]
    assert claimed[0].text.startswith("Заказ 12345678-0001-1 от 10.01.2026 на 2 000.00 ₽ засчитан.")
    accrual_notices = {c.chat_id: c.text for c in bot.telegram.calls_to("sendMessage") if c.chat_id != 104}
    assert accrual_notices == {
        chat: f"💰 +100 баллов за покупку реферала {level}-го уровня (заказ 12345678-0001-1). "
        "Заморожены до 09.02.2026."
        for chat, level in ((103, 1), (102, 2), (101, 3))
    }

    for user, level in ((carl, 1), (boris, 2), (anna, 3)):
        balance = bot.say(user, "💰 Баланс")["text"]
        assert balance.startswith(
            "<b>Баланс: 100 баллов</b>\n• доступно сейчас: 0\n• заморожено (период возврата): 100"
        )
        assert f"• за {level}-й уровень: 100" in balance
        others = [lvl for lvl in (1, 2, 3) if lvl != level]
        assert all(f"• за {lvl}-й уровень: 0" in balance for lvl in others)
    referrals = bot.say(anna, "👥 Мои рефералы")["text"]
    assert "<b>1-й уровень: 1</b>" in referrals
    assert "• Boris @boris — с 10.01.2026; 0 заказов на 0.00 ₽" in referrals
    assert "<b>2-й уровень: 1</b> · 0 заказов на 0.00 ₽" in referrals
    assert "<b>3-й уровень: 1</b> · 1 заказ на 2 000.00 ₽ · последний 10.01.2026" in referrals
    anna_row = services.repos.participants.get_participant("101")
    assert anna_row is not None and (anna_row.balances.frozen, anna_row.network_size) == (100, 3)
    assert services.reconciliation.run().clean


def test_a_product_link_newcomer_is_shown_the_product(bot: Bot, services: Services) -> None:
    anna, boris = TgUser(101, "Anna"), TgUser(102, "Boris")
    bot.register(anna, "111111111")
    bot.say(anna, "➕ Ссылка на товар")
    bot.say(anna, "Чайник <Smart>")
    created = bot.say(anna, "https://www.ozon.ru/product/chaynik-123456/")
    code = LINK.search(created["text"])
    assert code is not None and created["text"].startswith("Ссылка на товар «Чайник &lt;Smart&gt;» готова:")

    bot.register(boris, "222222222", code.group(1))

    [welcome, product, notice] = bot.telegram.calls_to("sendMessage")
    assert welcome.chat_id == 102 and notice.chat_id == 101
    assert product.chat_id == 102
    assert product.text == (
        "Товар, по ссылке на который вы пришли: <b>Чайник &lt;Smart&gt;</b>\n"
        "https://www.ozon.ru/product/chaynik-123456/"
    )
    link = services.repos.links.get_link(code.group(1))
    assert link is not None and (link.clicks, link.registrations) == (1, 1)


def test_english_speakers_get_english(bot: Bot) -> None:
    emma = TgUser(201, "Emma", language_code="en-GB")
    start = bot.say(emma, "/start")
    welcomed = bot.say(emma, "987654321")
    balance = bot.say(emma, "💰 Balance")

    assert start["text"].startswith("<b>Program conditions</b>\nInvite friends")
    assert welcomed["text"].startswith("Welcome to the program!")
    assert balance["text"].startswith("<b>Balance: 0 points</b>")
    assert welcomed["reply_markup"]["keyboard"][0][0]["text"] == "🔗 My link"


def test_admin_edited_texts_are_used_and_escaped(bot: Bot, services: Services) -> None:
    services.settings.update(
        "admin", {"texts": {"conditions": {"ru": "Новые <условия> & бонусы", "en": "New terms"}}}
    )

    answer = bot.say(TgUser(101, "Anna"), "/start")

    assert answer["text"].startswith("<b>Условия программы</b>\nНовые &lt;условия&gt; &amp; бонусы")


def test_links_list_shows_counters(bot: Bot, services: Services) -> None:
    anna, boris = TgUser(101, "Anna"), TgUser(102, "Boris")
    bot.register(anna, "111111111")
    bot.register(boris, "222222222", personal_code(services, anna))

    mine = bot.say(anna, "🔗 Моя ссылка")
    links = bot.say(anna, "/links")

    assert f"https://t.me/{BOT_USERNAME}?start={personal_code(services, anna)}" in mine["text"]
    assert links["text"].startswith("<b>Ваши ссылки</b>\n\n🔗 Личная ссылка\nhttps://t.me/")
    assert "создана 10.01.2026 · переходов 1 · регистраций 1 · покупок 0" in links["text"]


def test_an_equivalent_spelling_of_a_taken_ozon_id_is_refused_politely(bot: Bot, services: Services) -> None:
    bot.register(TgUser(101, "Anna"), "123456789")

    for n, spelling in enumerate(["000123456789", "１２３４５６７８９", "١٢٣٤٥٦٧٨٩", " 0123456789 "]):
        answer = bot.register(TgUser(110 + n, "Boris"), spelling)
        assert answer["text"].startswith("Этот Ozon ID уже привязан к другому участнику."), spelling
        assert services.repos.participants.get_participant(str(110 + n)) is None
    anna = services.repos.participants.get_participant("101")
    assert anna is not None and anna.ozon_id == "123456789"
