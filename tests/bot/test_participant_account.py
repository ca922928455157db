"""The participant's account in the bot: corrections told (with or without their reason), a balance
breakdown that adds up, the menu back after a withdrawal's decision, named links, a suspended participant,
and empty network levels."""

from __future__ import annotations

import re
from typing import Any

from referral.repository import bot_state
from referral.services import Services
from referral.telegram import keyboards

from functions.notify_outbox.handler import sweep
from tests.admin.conftest import Api
from tests.bot.conftest import OPERATORS, Bot, FakeLookup, TgUser
from tests.bot.test_registration import LINK, personal_code
from tests.bot.test_withdrawal_and_operators import withdrawal_buttons

CORRECTIONS = "/admin/participants/{id}/balance-corrections"


def correct(owner: Api, participant_id: str, key: str, **body: Any) -> Any:
    request = {"available_change": 0, "total_change": 0, "reason": "—", "idempotency_key": key, **body}
    reply = owner.post(CORRECTIONS.format(id=participant_id), request)
    assert reply.status == 200, reply.json
    return reply.json


def test_a_correction_is_told_with_its_reason_once_when_the_operator_shares_it(bot: Bot, owner: Api) -> None:
    bot.register(TgUser(101, "Anna"), "111111111")
    bot.telegram.reset()
    body = {"available_change": 50, "total_change": 50, "reason": "Бонус за отзыв <3>"}

    first = correct(owner, "101", "corr-0001", participant_notice="change_and_reason", **body)
    again = correct(owner, "101", "corr-0001", participant_notice="change_and_reason", **body)

    assert (first["applied"], again["applied"]) == (True, False)
    [notice] = bot.telegram.calls_to("sendMessage", chat_id=101)
    assert notice.text == (
        "✏️ Оператор изменил ваш баланс: доступно +50.\n"
        "Причина: Бонус за отзыв &lt;3&gt;\n"
        "Баланс: 50 баллов (доступно 50)."
    )
    assert sweep().sent == 0  # delivered once, nothing left for the sweep


def test_a_correction_is_told_without_its_reason_unless_shared_and_not_at_all_by_default(
    bot: Bot, owner: Api
) -> None:
    bot.register(TgUser(101, "Anna"), "111111111")
    bot.register(TgUser(201, "Emma", language_code="en"), "222222222")
    bot.telegram.reset()

    correct(owner, "101", "corr-0002", total_change=30, reason="Внутренняя пометка")
    correct(
        owner,
        "201",
        "corr-0003",
        available_change=-0,
        total_change=30,
        reason="internal note",
        participant_notice="change",
    )

    assert bot.telegram.calls_to("sendMessage", chat_id=101) == []  # not asked for: not told
    [notice] = bot.telegram.calls_to("sendMessage", chat_id=201)
    assert notice.text == "✏️ An operator changed your balance: frozen +30.\nBalance: 30 points (0 available)."
    assert "internal" not in notice.text
    assert sweep().sent == 0


def test_the_balance_shows_corrections_and_withdrawals_so_its_lines_add_up(
    bot: Bot, services: Services, lookup: FakeLookup
) -> None:
    anna = TgUser(101, "Anna")
    confirm, _ = withdrawal_buttons(bot, services, lookup, anna, "3000.00", 120)  # 300 points earned
    bot.press(anna, confirm)
    services.ledger.correct_balance(
        "operator",
        "101",
        available_change=-20,
        total_change=-20,
        reason="Ошибка",
        idempotency_key="corr-0004",
    )

    text = bot.say(anna, "💰 Баланс")["text"]

    assert text.startswith(
        "<b>Баланс: 160 баллов</b>\n• доступно сейчас: 160\n• заморожено (период возврата): 0"
    )
    assert (
        "<b>Из чего складывается баланс</b>\n• за собственные покупки: 300\n"
        "• за 1-й уровень: 0\n• за 2-й уровень: 0\n• за 3-й уровень: 0\n"
        "• корректировки оператора: −20\n• в заявках на вывод: −120\n"
    ) in text
    assert breakdown_sum(text) == 160


def breakdown_sum(text: str) -> int:
    """The sum of the breakdown's lines (what follows its title), as the participant reads them."""
    _, _, lines = text.partition("Из чего складывается баланс")
    values = re.findall(r"^• [^:\n]+: ([+−]?[\d ]+)$", lines, flags=re.MULTILINE)
    return sum(int(value.replace(" ", "").replace("−", "-")) for value in values)


def test_the_main_menu_comes_back_after_a_withdrawal_is_confirmed(
    bot: Bot, services: Services, lookup: FakeLookup
) -> None:
    anna = TgUser(101, "Anna")
    confirm, _ = withdrawal_buttons(bot, services, lookup, anna, "3000.00", 200)
    bot.telegram.reset()

    bot.press(anna, confirm, message_id=77)
    asked = bot.say(anna, "Когда придут деньги?")

    [edited] = bot.telegram.calls_to("editMessageText", chat_id=101)
    [menu] = bot.telegram.calls_to("sendMessage", chat_id=101)
    assert edited.text.startswith("✅ Заявка на вывод принята")
    assert menu.text == "Главное меню — на кнопках ниже."
    assert menu.params["reply_markup"] == keyboards.main_menu("ru")
    assert asked["text"] == "✉️ Передано оператору. Ответ придёт сюда."  # a question, as the menu says


def test_the_main_menu_comes_back_after_a_withdrawal_is_cancelled(
    bot: Bot, services: Services, lookup: FakeLookup
) -> None:
    emma = TgUser(201, "Emma", language_code="en")
    _, cancel = withdrawal_buttons(bot, services, lookup, emma, "3000.00", 200)
    bot.telegram.reset()

    bot.press(emma, cancel, message_id=78)

    [edited] = bot.telegram.calls_to("editMessageText", chat_id=201)
    [menu] = bot.telegram.calls_to("sendMessage", chat_id=201)
    assert edited.text == "Withdrawal cancelled."
    assert menu.text == "The main menu is on the buttons below."
    assert menu.params["reply_markup"] == keyboards.main_menu("en")
    assert services.repos.withdrawals.withdrawals_of("201") == []


def test_a_plain_link_can_be_named_and_is_listed_by_its_name(bot: Bot, services: Services) -> None:
    anna, boris = TgUser(101, "Anna"), TgUser(102, "Boris")
    bot.register(anna, "111111111")
    bot.say(anna, "➕ Ссылка на товар")
    step = bot.say(anna, "Чат дома <№5>")
    created = bot.say(anna, "🔗 Без товара")

    assert "Нажмите «🔗 Без товара»" in step["text"]
    assert step["reply_markup"]["keyboard"] == [[{"text": "🔗 Без товара"}], [{"text": "✖️ Отмена"}]]
    code = LINK.search(created["text"])
    assert code is not None and created["text"].startswith("Ссылка «Чат дома &lt;№5&gt;» готова:")
    assert created["reply_markup"] == keyboards.main_menu("ru")
    [_, named] = services.links.links_of("101")
    assert (named.kind, named.name, named.product_name, named.product_ref) == (
        "named",
        "Чат дома <№5>",
        None,
        None,
    )

    bot.register(boris, "222222222", code.group(1))
    listed = bot.say(anna, "📋 Мои ссылки")["text"]

    assert "🏷 Чат дома &lt;№5&gt;" in listed
    boris_row = services.repos.participants.get_participant("102")
    assert boris_row is not None and boris_row.sponsor_id == "101"
    link = services.repos.links.get_link(code.group(1))
    assert link is not None and (link.clicks, link.registrations) == (1, 1)
    assert len(bot.telegram.calls_to("sendMessage", chat_id=102)) == 1  # a welcome, no product shown


def test_an_english_speaker_names_a_plain_link(bot: Bot, services: Services) -> None:
    emma = TgUser(201, "Emma", language_code="en")
    bot.register(emma, "222222222")
    bot.say(emma, "➕ Product link")
    bot.say(emma, "Instagram")

    created = bot.say(emma, "🔗 No product")

    assert created["text"].startswith("Your link “Instagram” is ready:")
    assert [link.name for link in services.links.links_of("201")] == [None, "Instagram"]
    assert "🏷 Instagram" in bot.say(emma, "📋 My links")["text"]


def test_a_suspended_participant_is_told_so_when_writing_and_at_start(bot: Bot, services: Services) -> None:
    anna = TgUser(101, "Anna", "anna")
    bot.register(anna, "111111111")
    services.participants.set_blocked("operator", "101", True, reason="spam")
    bot.telegram.reset()

    written = bot.say(anna, "Почему я не получаю баллы?")
    started = bot.say(anna, "/start")

    assert written["text"] == (
        "Ваше участие в программе приостановлено. Сообщение передано оператору, ответ придёт сюда."
    )
    [relayed] = bot.telegram.calls_to("sendMessage", chat_id=OPERATORS)  # support is still reachable
    assert relayed.params["message_thread_id"] == bot_state.topic_of("101")
    assert started["text"].startswith("Ваше участие в программе приостановлено: новые баллы не начисляются")
    assert "С возвращением" not in started["text"]


def test_a_suspended_english_speaker_is_told_in_english_and_an_unblocked_one_is_welcomed_back(
    bot: Bot, services: Services
) -> None:
    emma = TgUser(201, "Emma", language_code="en")
    bot.register(emma, "222222222")
    services.participants.set_blocked("operator", "201", True, reason="spam")

    written = bot.say(emma, "Hello?")
    services.participants.set_blocked("operator", "201", False, reason="resolved")
    started = bot.say(emma, "/start")

    assert written["text"].startswith(
        "Your participation in the program is suspended. Your message was passed"
    )
    assert started["text"] == "Welcome back! The menu is below."


def test_an_empty_network_level_shows_no_last_order_date(bot: Bot, services: Services) -> None:
    anna, boris = TgUser(101, "Anna"), TgUser(102, "Boris")
    bot.register(anna, "111111111")
    bot.register(boris, "222222222", personal_code(services, anna))
    bot.register(TgUser(103, "Carl"), "333333333", personal_code(services, boris))

    referrals = bot.say(anna, "👥 Мои рефералы")["text"]

    assert "<b>2-й уровень: 1</b> · 0 заказов на 0.00 ₽\n" in referrals + "\n"
    assert "<b>3-й уровень: 0</b> · 0 заказов на 0.00 ₽" in referrals
    assert "последний —" not in referrals.split("<b>2-й уровень")[1]
