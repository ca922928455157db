"""Messages into the operators' group within Telegram's limits: a 429 delays them, never loses them."""

from __future__ import annotations

from datetime import timedelta

from referral.domain.notifications import MAX_ATTEMPTS, Notification, NotificationStatus
from referral.repository import bot_state, keys
from referral.repository.models import NotificationItem
from referral.services import Services

from functions.notify_outbox.handler import sweep
from tests.bot.conftest import OPERATORS, PHOTO, Bot, FakeLookup, TgUser
from tests.bot.test_registration import personal_code
from tests.bot.test_withdrawal_and_operators import withdrawal_buttons

RELAYED = "✉️ Передано оператору. Ответ придёт сюда."


def asked_once(bot: Bot, user: TgUser) -> int:
    """The participant registered and asked a first question: their topic exists."""
    bot.register(user, "111111111")
    bot.say(user, "Первый вопрос")
    thread = bot_state.topic_of(str(user.id))
    assert thread is not None
    bot.telegram.reset()
    return thread


def waiting(services: Services, bot: Bot) -> list[Notification]:
    """Notices still in the outbox, whenever they are due."""
    return services.repos.outbox.due_notifications(bot.clock.now + timedelta(days=1), 100)


def to_topic(bot: Bot, thread: int, method: str = "sendMessage") -> list[str]:
    return [
        call.text or str(call.params.get("caption", ""))
        for call in bot.telegram.calls_to(method, chat_id=OPERATORS)
        if call.params.get("message_thread_id") == thread
    ]


def test_a_rate_limited_relay_is_acknowledged_delayed_and_then_delivered_exactly_once(
    bot: Bot, services: Services
) -> None:
    thread = asked_once(bot, TgUser(101, "Anna"))
    bot.telegram.rate_limit("sendMessage", chat_id=OPERATORS, retry_after=3)

    ack = bot.say(TgUser(101, "Anna"), "Где мои баллы?")

    assert ack["text"] == RELAYED
    [held] = waiting(services, bot)
    assert (held.status, held.attempts) == (NotificationStatus.PENDING, 0)  # a delay is not an attempt
    assert held.next_attempt_at is not None and held.next_attempt_at >= bot.clock.now + timedelta(seconds=2)
    assert sweep(clock=bot.clock).sent == 0  # not before retry_after

    bot.clock.advance(seconds=3)
    report = sweep(clock=bot.clock)
    again = sweep(clock=bot.clock)

    assert (report.sent, again.sent) == (1, 0)
    question = "👤 <b>Участник</b> Anna, id 101:\nГде мои баллы?"
    assert to_topic(bot, thread) == [question, question]  # the refused call, then the delivered one
    assert waiting(services, bot) == []


def test_messages_held_by_the_rate_limit_reach_the_topic_in_the_order_they_were_written(
    bot: Bot, services: Services
) -> None:
    anna = TgUser(101, "Anna")
    thread = asked_once(bot, anna)
    bot.telegram.rate_limit("sendMessage", chat_id=OPERATORS, retry_after=30)

    answers = [bot.say(anna, f"Вопрос {n}") for n in range(1, 5)]

    assert {answer["text"] for answer in answers} == {RELAYED}
    assert len(bot.telegram.calls_to("sendMessage", chat_id=OPERATORS)) == 1  # held: no request per message
    bot.clock.advance(seconds=30)
    assert sweep(clock=bot.clock).sent == 4
    delivered = to_topic(bot, thread)[1:]
    assert [text.rsplit("\n", 1)[1] for text in delivered] == [f"Вопрос {n}" for n in range(1, 5)]


def test_rate_limits_never_make_the_outbox_give_up(bot: Bot, services: Services) -> None:
    anna = TgUser(101, "Anna")
    thread = asked_once(bot, anna)
    bot.telegram.fail(
        "sendMessage",
        chat_id=OPERATORS,
        status=429,
        description="Too Many Requests: retry after 5",
        retry_after=5,
        times=MAX_ATTEMPTS + 2,
    )

    bot.say(anna, "Вопрос")
    for _ in range(MAX_ATTEMPTS + 2):
        bot.clock.advance(seconds=5)
        sweep(clock=bot.clock)

    assert to_topic(bot, thread)[-1].endswith("Вопрос")
    assert len(to_topic(bot, thread)) == MAX_ATTEMPTS + 3
    assert waiting(services, bot) == []


def test_a_rate_limited_photo_is_copied_later_from_the_participants_chat_keeping_no_content(
    bot: Bot, services: Services
) -> None:
    anna = TgUser(101, "Anna", "anna")
    thread = asked_once(bot, anna)
    bot.telegram.rate_limit("copyMessage", chat_id=OPERATORS, retry_after=3)

    ack = bot.send(anna, PHOTO)

    assert ack["text"] == RELAYED
    [held] = waiting(services, bot)
    stored = NotificationItem.get(keys.notification_pk(held.notification_id), "NOTIFY").payload
    assert "Скриншот" not in stored and "AgACphoto" not in stored  # neither the caption nor the file
    first_try = bot.telegram.calls_to("copyMessage")[0]
    bot.telegram.reset()

    bot.clock.advance(seconds=3)
    assert sweep(clock=bot.clock).sent == 1

    [mark] = bot.telegram.calls_to("sendMessage", chat_id=OPERATORS)
    [copy] = bot.telegram.calls_to("copyMessage", chat_id=OPERATORS)
    assert (mark.text, mark.params["message_thread_id"]) == ("👤 <b>Участник</b> Anna, @anna, id 101", thread)
    assert copy.params == {
        "chat_id": OPERATORS,
        "from_chat_id": 101,
        "message_id": first_try.params["message_id"],
        "message_thread_id": thread,
    }  # Telegram keeps the photo's own caption


def test_a_rate_limited_withdrawal_announcement_arrives_later(
    bot: Bot, services: Services, lookup: FakeLookup
) -> None:
    anna = TgUser(101, "Anna")
    confirm, _ = withdrawal_buttons(bot, services, lookup, anna, "3000.00", 250)
    sweep(clock=bot.clock)  # what the setup's own changes left in the outbox
    bot.telegram.reset()
    bot.telegram.rate_limit("createForumTopic", retry_after=4)

    answer = bot.press(anna, confirm, message_id=77)

    assert answer["method"] == "answerCallbackQuery"
    [edited] = bot.telegram.calls_to("editMessageText")
    assert edited.text.startswith("✅ Заявка на вывод принята: 250 баллов")
    assert bot.telegram.calls_to("sendMessage", chat_id=OPERATORS) == []
    bot.clock.advance(seconds=4)
    assert sweep(clock=bot.clock).sent == 1
    [announcement] = bot.telegram.calls_to("sendMessage", chat_id=OPERATORS)
    assert announcement.text.startswith("💸 <b>Заявка на вывод</b> ")
    assert announcement.params["message_thread_id"] == bot_state.topic_of("101")


def test_a_group_that_refuses_for_good_is_not_retried(bot: Bot, services: Services) -> None:
    anna = TgUser(101, "Anna")
    bot.register(anna, "111111111")
    bot.telegram.fail(
        "createForumTopic", status=400, description="Bad Request: not enough rights to create a topic"
    )

    answer = bot.say(anna, "Где мои баллы?")

    assert answer["text"].startswith("⚠️ Сейчас не получается передать сообщение оператору.")
    assert waiting(services, bot) == []


def test_a_rate_limited_group_does_not_hold_back_participants_notices(bot: Bot, services: Services) -> None:
    anna = TgUser(101, "Anna")
    thread = asked_once(bot, anna)
    bot.telegram.rate_limit(None, chat_id=OPERATORS, retry_after=30, times=100)
    bot.say(anna, "Вопрос")

    bot.register(TgUser(102, "Boris", "boris"), "222222222", personal_code(services, anna))

    [notice] = bot.telegram.calls_to("sendMessage", chat_id=101)
    assert notice.text == "🎉 У вас новый реферал: Boris @boris."
    [held] = waiting(services, bot)
    assert held.participant_id == "101" and held.status == NotificationStatus.PENDING
    assert to_topic(bot, thread) == ["👤 <b>Участник</b> Anna, id 101:\nВопрос"]  # the one refused try
