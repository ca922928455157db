"""Withdrawal with confirmation (R10), the operators' topics, and operators' replies relayed back."""

from __future__ import annotations

import html
from datetime import timedelta

import pytest
from referral.domain.withdrawals import WithdrawalStatus
from referral.repository import bot_state
from referral.services import Services

from tests.bot.conftest import LOCATION, OPERATORS, PHOTO, STICKER, Bot, FakeLookup, TgUser
from tests.support.builders import posting


def earn_available(bot: Bot, services: Services, lookup: FakeLookup, user: TgUser, amount: str) -> None:
    """The user claims an order that is then delivered and released: its points become available."""
    bot.clock.advance(hours=1)
    claimant = services.repos.participants.get_participant(str(user.id))
    assert claimant is not None
    order = posting(
        bot.clock.now - timedelta(minutes=5),
        amount,
        number=f"7{user.id}-0001-1",
        customer_id=claimant.ozon_id,
    )
    lookup.postings[order.posting_number] = order
    bot.say(user, "/claim")
    bot.say(user, order.posting_number)
    services.purchases.apply_status(order.with_status("delivered"))
    bot.clock.advance(days=31)
    assert services.release.release_matured().released >= 1
    bot.telegram.reset()


def own_rate(services: Services) -> None:
    services.settings.update("admin", {"own_rate": "100"})


def withdrawal_buttons(
    bot: Bot, services: Services, lookup: FakeLookup, user: TgUser, amount: str, points: int
) -> list[str]:
    """The user earns ``amount``'s points and asks to withdraw ``points``: the Confirm and Cancel buttons."""
    own_rate(services)
    bot.register(user, "111111111")
    earn_available(bot, services, lookup, user, amount)
    bot.say(user, "💸 Вывести баллы")
    confirm = bot.say(user, str(points))
    return [button["callback_data"] for button in confirm["reply_markup"]["inline_keyboard"][0]]


def test_withdrawal_is_confirmed_reserved_and_announced_to_operators(
    bot: Bot, services: Services, lookup: FakeLookup
) -> None:
    own_rate(services)
    anna = TgUser(101, "Anna <A>", "anna")
    bot.register(anna, "111111111")
    earn_available(bot, services, lookup, anna, "3000.00")  # 300 points

    ask = bot.say(anna, "💸 Вывести баллы")
    too_small = bot.say(anna, "50")
    too_much = bot.say(anna, "301")
    not_a_number = bot.say(anna, "сто")
    confirm = bot.say(anna, "250")

    assert ask["text"].startswith("Укажите, сколько баллов вы хотите вывести.")
    assert "Доступно: <b>300 баллов</b> (минимум 100 баллов). Сколько баллов вывести?" in ask["text"]
    assert ask["reply_markup"] == {"keyboard": [[{"text": "✖️ Отмена"}]], "resize_keyboard": True}
    assert too_small["text"] == "Минимальная сумма вывода — 100 баллов."
    assert too_much["text"] == "Столько нет: доступно 300 баллов."
    assert not_a_number["text"] == "Укажите целое число баллов, например 500."
    assert confirm["text"].startswith("Вывести <b>250 баллов</b> = <b>250.00 ₽</b> (курс 1 ₽ за балл)?")
    buttons = confirm["reply_markup"]["inline_keyboard"][0]
    assert [b["text"] for b in buttons] == ["✅ Подтвердить", "✖️ Отмена"]
    participant = services.repos.participants.get_participant("101")
    assert (
        participant is not None and participant.balances.reserved == 0
    )  # nothing reserved before confirming

    answer = bot.press(anna, buttons[0]["callback_data"], message_id=77)

    assert answer == {"method": "answerCallbackQuery", "callback_query_id": answer["callback_query_id"]}
    [edited] = bot.telegram.calls_to("editMessageText")
    assert (edited.chat_id, edited.params["message_id"]) == (101, 77)
    assert edited.text.startswith("✅ Заявка на вывод принята: 250 баллов (250.00 ₽), номер ")
    [topic] = bot.telegram.calls_to("createForumTopic")
    assert topic.params == {"chat_id": OPERATORS, "name": "Anna <A> · 101"}
    [announcement] = bot.telegram.calls_to("sendMessage", chat_id=OPERATORS)
    thread = bot_state.topic_of("101")
    assert announcement.params["message_thread_id"] == thread
    assert announcement.text.startswith("💸 <b>Заявка на вывод</b> ")
    assert (
        "Участник: Anna &lt;A&gt;, @anna, id 101\nБаллы: <b>250</b>\nСумма: <b>250.00 ₽</b>"
        in announcement.text
    )
    assert "Осталось доступно: 50, заморожено: 0" in announcement.text

    [withdrawal] = services.repos.withdrawals.withdrawals_of("101")
    assert (withdrawal.points, withdrawal.status) == (250, WithdrawalStatus.NEW)
    participant = services.repos.participants.get_participant("101")
    assert participant is not None
    assert (participant.balances.available, participant.balances.reserved) == (50, 250)

    again = bot.press(anna, buttons[0]["callback_data"], message_id=77)
    assert again["text"] == "Эта кнопка уже неактуальна."
    assert len(services.repos.withdrawals.withdrawals_of("101")) == 1
    assert services.reconciliation.run().clean


def test_withdrawal_is_not_offered_below_the_minimum(bot: Bot) -> None:
    anna = TgUser(101, "Anna")
    bot.register(anna, "111111111")

    answer = bot.say(anna, "/withdraw")

    assert answer["text"] == "Минимум для вывода — 100 баллов. Сейчас доступно: 0 баллов."


def test_a_withdrawal_can_be_cancelled_before_confirming(
    bot: Bot, services: Services, lookup: FakeLookup
) -> None:
    anna = TgUser(101, "Anna")
    _, cancel = withdrawal_buttons(bot, services, lookup, anna, "2000.00", 150)

    bot.press(anna, cancel, message_id=80)

    [edited] = bot.telegram.calls_to("editMessageText")
    assert edited.text == "Вывод отменён."
    assert services.repos.withdrawals.withdrawals_of("101") == []


def test_participant_messages_go_to_their_topic_and_operator_replies_come_back(bot: Bot) -> None:
    anna = TgUser(101, "Anna", "anna")
    bot.register(anna, "111111111")

    ack = bot.say(anna, "Где мои баллы? <script>")
    bot.say(anna, "И ещё вопрос")

    [topic] = bot.telegram.calls_to("createForumTopic")  # created once, then remembered
    assert topic.params["name"] == "Anna · 101"
    relayed = bot.telegram.calls_to("sendMessage", chat_id=OPERATORS)
    thread = bot_state.topic_of("101")
    assert thread is not None
    assert [c.params["message_thread_id"] for c in relayed] == [thread, thread]
    assert relayed[0].text == "👤 <b>Участник</b> Anna, @anna, id 101:\nГде мои баллы? &lt;script&gt;"
    assert ack["text"] == "✉️ Передано оператору. Ответ придёт сюда."
    bot.telegram.reset()

    bot.operator_says(thread, "Здравствуйте! Баллы <b>заморожены</b> 30 дней.")

    [reply] = bot.telegram.calls_to("sendMessage")
    assert reply.chat_id == 101
    assert reply.text == "💬 <b>Оператор:</b>\nЗдравствуйте! Баллы &lt;b&gt;заморожены&lt;/b&gt; 30 дней."


def test_an_operator_reply_to_a_participant_who_blocked_the_bot_is_reported(
    bot: Bot, services: Services
) -> None:
    anna = TgUser(101, "Anna")
    bot.register(anna, "111111111")
    bot.say(anna, "Вопрос")
    thread = bot_state.topic_of("101")
    assert thread is not None
    bot.telegram.reset()
    bot.telegram.block(101)

    bot.operator_says(thread, "Ответ")

    [note] = bot.telegram.calls_to("sendMessage", chat_id=OPERATORS)  # through the outbox
    assert note.params["message_thread_id"] == thread
    assert note.text == "⚠️ Не доставлено: участник заблокировал бота."
    assert bot_state.load_user("101").unreachable


def test_only_the_operators_topics_are_relayed(bot: Bot) -> None:
    anna = TgUser(101, "Anna")
    bot.register(anna, "111111111")
    bot.say(anna, "Вопрос")
    thread = bot_state.topic_of("101")
    assert thread is not None
    bot.telegram.reset()

    other_group = bot.operator_says(thread, "Привет", chat_id=-1009999999999)
    unknown_topic = bot.operator_says(thread + 1000, "Привет")
    location = bot.operator_says(thread, media=LOCATION)

    assert other_group == unknown_topic == location == {}
    [note] = bot.telegram.calls  # the note on the location, through the outbox
    assert (note.chat_id, note.params["message_thread_id"]) == (OPERATORS, thread)
    assert note.text == (
        "⚠️ Участнику пересылаются текст, фото, документы, видео, аудио, голосовые сообщения и стикеры; "
        "это сообщение не передано."
    )


def test_a_deleted_topic_is_recreated(bot: Bot) -> None:
    anna = TgUser(101, "Anna")
    bot.register(anna, "111111111")
    bot.say(anna, "Вопрос")
    first = bot_state.topic_of("101")
    bot.telegram.fail(
        "sendMessage", chat_id=OPERATORS, status=400, description="Bad Request: message thread not found"
    )

    bot.say(anna, "Ещё вопрос")

    second = bot_state.topic_of("101")
    assert second is not None and second != first
    assert bot.telegram.calls_to("sendMessage", chat_id=OPERATORS)[-1].params["message_thread_id"] == second
    assert bot_state.participant_of_thread(str(OPERATORS), second) == "101"


def test_a_withdrawal_is_confirmed_even_when_operators_cannot_be_told_at_once(
    bot: Bot, services: Services, lookup: FakeLookup, caplog: pytest.LogCaptureFixture
) -> None:
    anna = TgUser(101, "Anna")
    confirm, _ = withdrawal_buttons(bot, services, lookup, anna, "3000.00", 250)
    bot.telegram.fail("createForumTopic", status=500, description="Internal Server Error", times=5)

    answer = bot.press(anna, confirm, message_id=77)

    [withdrawal] = services.repos.withdrawals.withdrawals_of("101")
    assert answer == {"method": "answerCallbackQuery", "callback_query_id": answer["callback_query_id"]}
    [edited] = bot.telegram.calls_to("editMessageText")
    assert edited.text == (
        "✅ Заявка на вывод принята: 250 баллов (250.00 ₽), номер W-1. Оператор напишет вам в этом чате."
    )
    # no apology: only the main menu coming back
    assert [c.text for c in bot.telegram.calls_to("sendMessage") if c.chat_id == 101] == [
        "Главное меню — на кнопках ниже."
    ]
    assert bot.telegram.calls_to("sendMessage", chat_id=OPERATORS) == []
    [logged] = [r for r in caplog.records if r.levelname == "ERROR" and "not announced" in r.getMessage()]
    assert getattr(logged, "withdrawal_id", None) == withdrawal.withdrawal_id


def test_a_reply_from_an_anonymous_operator_is_relayed(bot: Bot) -> None:
    anna = TgUser(101, "Anna")
    bot.register(anna, "111111111")
    bot.say(anna, "Вопрос")
    thread = bot_state.topic_of("101")
    assert thread is not None
    bot.telegram.reset()
    anonymous = {
        "message_id": 9999,
        "from": {"id": 1087968824, "is_bot": True, "first_name": "Group", "username": "GroupAnonymousBot"},
        "sender_chat": {"id": OPERATORS, "title": "Operators", "type": "supergroup", "is_forum": True},
        "chat": {"id": OPERATORS, "title": "Operators", "type": "supergroup", "is_forum": True},
        "date": 1768046400,
        "message_thread_id": thread,
        "is_topic_message": True,
        "text": "Ответ",
    }

    bot.post({"update_id": bot.next_update_id(), "message": anonymous})
    bot.post(
        {
            "update_id": bot.next_update_id(),
            "message": {**anonymous, "sender_chat": {"id": -100777, "type": "channel", "title": "Other"}},
        }
    )

    [reply] = bot.telegram.calls_to("sendMessage")
    assert (reply.chat_id, reply.text) == (101, "💬 <b>Оператор:</b>\nОтвет")


def topic_of_a_participant_who_asked(bot: Bot, user: TgUser) -> int:
    bot.register(user, "111111111")
    bot.say(user, "Вопрос")
    thread = bot_state.topic_of(str(user.id))
    assert thread is not None
    bot.telegram.reset()
    return thread


def test_a_long_operator_reply_arrives_in_parts_that_fit(bot: Bot) -> None:
    thread = topic_of_a_participant_who_asked(bot, TgUser(101, "Anna"))
    answer = "\n".join(f"Строка {n}: <условие> & пояснение к нему." for n in range(150))  # ~6 000 characters

    bot.operator_says(thread, answer)

    parts = bot.telegram.calls_to("sendMessage", chat_id=101)
    assert len(parts) == 2
    assert all(part.text.startswith("💬 <b>Оператор:</b>\n") for part in parts)
    shown = [html.unescape(part.text.removeprefix("💬 <b>Оператор:</b>\n")) for part in parts]
    assert "\n".join(shown) == answer


@pytest.mark.parametrize(
    ("status", "description"),
    [(400, "Bad Request: chat not found"), (429, "Too Many Requests: retry after 5")],
)
def test_an_operator_reply_that_telegram_refuses_is_reported_in_the_topic(
    bot: Bot, status: int, description: str
) -> None:
    thread = topic_of_a_participant_who_asked(bot, TgUser(101, "Anna"))
    bot.telegram.fail("sendMessage", chat_id=101, status=status, description=description)

    bot.operator_says(thread, "Ответ")

    [note] = bot.telegram.calls_to("sendMessage", chat_id=OPERATORS)  # through the outbox
    assert note.params["message_thread_id"] == thread
    assert note.text.startswith("⚠️ Не доставлено участнику: ")
    assert description.split(": ", 1)[1].lower() in note.text.lower()
    assert not bot_state.load_user("101").unreachable


def test_a_question_that_cannot_reach_the_operators_is_said_so_and_logged(
    bot: Bot, caplog: pytest.LogCaptureFixture
) -> None:
    anna = TgUser(101, "Anna")
    bot.register(anna, "111111111")
    bot.telegram.fail(
        "createForumTopic", status=400, description="Bad Request: not enough rights to create a topic"
    )

    answer = bot.say(anna, "Где мои баллы?")

    assert answer["text"] == (
        "⚠️ Сейчас не получается передать сообщение оператору. Пожалуйста, повторите его чуть позже."
    )
    assert bot_state.topic_of("101") is None
    [logged] = [r for r in caplog.records if r.levelname == "ERROR" and "not relayed" in r.getMessage()]
    assert "not enough rights" in str(getattr(logged, "reason", "")).lower()


def test_photos_and_stickers_are_copied_both_ways_marked_with_who_sent_them(bot: Bot) -> None:
    anna = TgUser(101, "Anna", "anna")
    thread = topic_of_a_participant_who_asked(bot, anna)

    photo_ack = bot.send(anna, PHOTO)
    sticker_ack = bot.send(anna, STICKER)

    assert photo_ack["text"] == sticker_ack["text"] == "✉️ Передано оператору. Ответ придёт сюда."
    photo, sticker = bot.telegram.calls_to("copyMessage")
    assert photo.params == {
        "chat_id": OPERATORS,
        "from_chat_id": 101,
        "message_id": photo.params["message_id"],
        "message_thread_id": thread,
        "caption": "👤 <b>Участник</b> Anna, @anna, id 101:\nСкриншот заказа &lt;№1&gt;",
        "parse_mode": "HTML",
    }
    [mark] = bot.telegram.calls_to("sendMessage", chat_id=OPERATORS)  # a sticker takes no caption
    assert (mark.text, mark.params["message_thread_id"]) == ("👤 <b>Участник</b> Anna, @anna, id 101", thread)
    assert (sticker.params["from_chat_id"], sticker.params["message_thread_id"]) == (101, thread)
    assert "caption" not in sticker.params
    bot.telegram.reset()

    bot.operator_says(thread, media={**PHOTO, "caption": "Вот так"})
    bot.operator_says(thread, media=STICKER)

    back, sticker_back = bot.telegram.calls_to("copyMessage")
    assert (back.chat_id, back.params["from_chat_id"], back.params["caption"]) == (
        101,
        OPERATORS,
        "💬 <b>Оператор:</b>\nВот так",
    )
    [operator_mark] = bot.telegram.calls_to("sendMessage", chat_id=101)
    assert operator_mark.text == "💬 <b>Оператор</b>"
    assert (sticker_back.chat_id, "caption" in sticker_back.params) == (101, False)


def test_a_photo_in_the_middle_of_a_dialog_step_is_not_relayed(bot: Bot) -> None:
    anna = TgUser(101, "Anna")
    bot.register(anna, "111111111")
    bot.say(anna, "🧾 Моя покупка")

    answer = bot.send(anna, PHOTO)

    assert answer["text"] == "Пожалуйста, отправьте текстовое сообщение."
    assert bot.telegram.calls_to("copyMessage") == []


def test_cancel_from_the_menu_while_confirming_cancels_the_withdrawal(
    bot: Bot, services: Services, lookup: FakeLookup
) -> None:
    anna = TgUser(101, "Anna")
    confirm, _ = withdrawal_buttons(bot, services, lookup, anna, "2000.00", 150)

    cancelled = bot.say(anna, "✖️ Отмена")
    late = bot.press(anna, confirm)

    assert cancelled["text"] == "Вывод отменён."
    assert late["text"] == "Эта кнопка уже неактуальна."
    assert services.repos.withdrawals.withdrawals_of("101") == []
