"""The dialog with the operators is recorded as the bot relays it, once per update, media as references."""

from __future__ import annotations

from datetime import timedelta

import pytest
from referral.domain.conversations import Channel, DialogLine, Direction
from referral.read.conversations import dialog_page
from referral.repository import bot_state
from referral.services import Services

from devtools.fake_telegram import FakeTelegram
from functions.bot_webhook import handler as webhook
from tests.bot.conftest import OPERATORS, PHOTO, Bot, FakeLookup, TgUser
from tests.bot.test_withdrawal_and_operators import withdrawal_buttons
from tests.support.clock import FakeClock

WEB_APP = "https://admin.example.com/admin/app"


def dialog_of(participant_id: str) -> list[DialogLine]:
    lines, _ = dialog_page(participant_id, 100, None)
    return lines[::-1]  # oldest first


def test_a_participant_message_is_recorded_once_even_when_telegram_delivers_it_again(bot: Bot) -> None:
    anna = TgUser(101, "Anna", "anna", last_name="Lee")
    bot.register(anna, "111111111")
    update = bot.message(anna, "Где мои баллы?")

    bot.post(update)
    bot.post(update)  # Telegram did not get the answer and delivers it again

    [line] = dialog_of("101")
    assert (line.direction, line.channel, line.text) == (
        Direction.FROM_PARTICIPANT,
        Channel.TELEGRAM,
        "Где мои баллы?",
    )
    assert (line.author.user_id, line.author.name, line.author.username) == ("101", "Anna Lee", "anna")
    assert abs(line.at - bot.clock.now) < timedelta(seconds=1)
    assert len(bot.telegram.calls_to("sendMessage", chat_id=OPERATORS)) == 1


def test_a_participant_photo_is_recorded_as_a_reference_not_its_content(bot: Bot) -> None:
    anna = TgUser(101, "Anna", "anna")
    bot.register(anna, "111111111")

    bot.send(anna, PHOTO)

    [line] = dialog_of("101")
    assert line.text == PHOTO["caption"]
    [attachment] = line.attachments
    assert (attachment.kind, attachment.chat_id, attachment.file_id) == ("photo", "101", "AgACphoto")
    assert attachment.message_id > 0
    assert len(bot.telegram.calls_to("copyMessage", chat_id=OPERATORS)) == 1


def test_an_operator_answer_in_the_topic_is_recorded_once_with_its_author(bot: Bot) -> None:
    anna = TgUser(101, "Anna")
    bot.register(anna, "111111111")
    bot.say(anna, "Вопрос")
    thread = bot_state.topic_of("101")
    assert thread is not None
    bot.telegram.reset()
    message = {
        "message_id": 77,
        "from": {"id": 555, "is_bot": False, "first_name": "Olga", "username": "olga_support"},
        "chat": {"id": OPERATORS, "title": "Operators", "type": "supergroup", "is_forum": True},
        "date": int(bot.clock.now.timestamp()),
        "message_thread_id": thread,
        "is_topic_message": True,
        **PHOTO,
    }
    update = {"update_id": bot.next_update_id(), "message": message}

    bot.post(update)
    bot.post(update)

    question, answer = dialog_of("101")
    assert question.direction == Direction.FROM_PARTICIPANT
    assert (answer.direction, answer.text) == (Direction.TO_PARTICIPANT, PHOTO["caption"])
    assert (answer.author.user_id, answer.author.name, answer.author.username) == (
        "555",
        "Olga",
        "olga_support",
    )
    [attachment] = answer.attachments
    assert (attachment.chat_id, attachment.message_id, attachment.thread_id) == (str(OPERATORS), 77, thread)
    assert len(bot.telegram.calls_to("copyMessage", chat_id=101)) == 1


@pytest.fixture
def linked_bot(bot: Bot, lookup: FakeLookup, clock: FakeClock, monkeypatch: pytest.MonkeyPatch) -> Bot:
    """The bot with the web app's address configured."""
    monkeypatch.setenv("ADMIN_WEB_APP_URL", WEB_APP + "/")
    webhook.reset()
    webhook.runtime(posting_lookup=lookup, clock=clock)
    return bot


def announcement(telegram: FakeTelegram) -> str:
    [call] = [c for c in telegram.calls_to("sendMessage", chat_id=OPERATORS) if "Заявка на вывод" in c.text]
    return call.text


def test_the_announcement_of_a_request_links_to_it_in_the_web_app(
    linked_bot: Bot, services: Services, lookup: FakeLookup
) -> None:
    confirm, _ = withdrawal_buttons(linked_bot, services, lookup, TgUser(101, "Anna"), "3000.00", 250)
    linked_bot.press(TgUser(101, "Anna"), confirm)

    [withdrawal] = services.repos.withdrawals.withdrawals_of("101")
    link = f'<a href="{WEB_APP}/#/withdrawals/{withdrawal.withdrawal_id}">'
    assert link in announcement(linked_bot.telegram)


def test_without_the_web_app_address_the_announcement_has_no_link(
    bot: Bot, services: Services, lookup: FakeLookup
) -> None:
    confirm, _ = withdrawal_buttons(bot, services, lookup, TgUser(101, "Anna"), "3000.00", 250)
    bot.press(TgUser(101, "Anna"), confirm)

    assert "<a href" not in announcement(bot.telegram)
