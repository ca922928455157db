"""Immediate notices through the outbox, the scheduled sweep, digests, and users who blocked the bot."""

from __future__ import annotations

from datetime import timedelta

import pytest
from referral.clock import from_iso
from referral.domain.notifications import NotificationStatus
from referral.repository import bot_state, keys
from referral.repository.bot_state import DigestItem
from referral.repository.models import ParticipantItem
from referral.services import Services
from referral.telegram.bot_api import Pace

from functions.notify_digest.handler import send_due
from functions.notify_outbox.handler import sweep
from tests.bot.conftest import Bot, FakeLookup, TgUser
from tests.bot.test_registration import personal_code
from tests.support.builders import posting


def test_digest_preferences_are_chosen_with_buttons(bot: Bot, services: Services) -> None:
    anna = TgUser(101, "Anna")
    bot.register(anna, "111111111")

    menu = bot.say(anna, "🔔 Уведомления")
    bot.press(anna, "dg:weekly", message_id=55)

    assert "Сейчас: <b>выключен</b>." in menu["text"]
    assert [b["callback_data"] for b in menu["reply_markup"]["inline_keyboard"][0]] == [
        "dg:daily",
        "dg:weekly",
        "dg:off",
    ]
    [edited] = bot.telegram.calls_to("editMessageText")
    assert edited.params["message_id"] == 55 and "Сейчас: <b>еженедельно</b>." in edited.text
    assert edited.params["reply_markup"]["inline_keyboard"][0][1]["text"] == "• Еженедельно"
    assert bot_state.load_user("101").digest == "weekly"
    item = DigestItem.get("DIGEST#101", "DIGEST")
    assert (item.frequency, item.duepk) == ("weekly", "DIGEST")

    bot.press(anna, "dg:off", message_id=55)

    assert bot_state.load_user("101").digest is None
    assert DigestItem.get("DIGEST#101", "DIGEST").duepk is None


def test_a_notice_that_failed_at_once_is_delivered_by_the_sweep(bot: Bot, services: Services) -> None:
    anna, boris = TgUser(101, "Anna"), TgUser(102, "Boris", "boris")
    bot.register(anna, "111111111")
    bot.telegram.rate_limit(chat_id=101, retry_after=40)

    bot.register(boris, "222222222", personal_code(services, anna))

    [pending] = services.repos.outbox.due_notifications(bot.clock.now + timedelta(days=1), 10)
    assert (pending.status, pending.attempts, pending.last_error) == (
        NotificationStatus.PENDING,
        1,
        "Telegram 429: Too Many Requests: retry after 40",
    )
    assert sweep(clock=bot.clock).sent == 0  # not due before retry_after has passed
    bot.clock.advance(seconds=41)
    bot.telegram.reset()

    report = sweep(clock=bot.clock)

    assert report.sent == 1
    [notice] = bot.telegram.calls_to("sendMessage")
    assert (notice.chat_id, notice.text) == (101, "🎉 У вас новый реферал: Boris @boris.")
    assert sweep(clock=bot.clock).sent == 0  # never twice
    stored = services.repos.outbox.get_notification(pending.notification_id)
    assert stored is not None and stored.status == NotificationStatus.SENT


def test_a_participant_who_blocked_the_bot_is_marked_unreachable(bot: Bot, services: Services) -> None:
    anna, boris = TgUser(101, "Anna"), TgUser(102, "Boris")
    bot.register(anna, "111111111")
    bot.telegram.block(101)

    bot.register(boris, "222222222", personal_code(services, anna))

    assert bot_state.load_user("101").unreachable
    assert services.outbox.pending() == []  # given up, not retried forever
    bot.telegram.reset()
    bot.say(anna, "/start")  # writing to the bot again makes them reachable
    assert not bot_state.load_user("101").unreachable


def run_digests(bot: Bot, slept: list[float]) -> dict[str, int]:
    pace = Pace(rate=1000, clock=lambda: 0.0, sleep=slept.append)
    report = send_due(clock=bot.clock, pace=pace)
    return {"sent": report.sent, "empty": report.empty, "unreachable": report.unreachable}


def test_daily_digest_reports_the_period(bot: Bot, services: Services, lookup: FakeLookup) -> None:
    anna, boris = TgUser(101, "Anna"), TgUser(102, "Boris")
    bot.register(anna, "111111111")
    bot.say(anna, "🔔 Уведомления")
    bot.press(anna, "dg:daily")
    bot.register(boris, "222222222", personal_code(services, anna))
    bot.clock.advance(hours=1)
    lookup.postings["3000-0001-1"] = posting(
        bot.clock.now, "4000.00", number="3000-0001-1", customer_id="222222222"
    )
    bot.say(boris, "/claim")
    bot.say(boris, "3000-0001-1")
    slept: list[float] = []
    assert run_digests(bot, slept)["sent"] == 0  # not due yet
    bot.clock.advance(days=1)
    bot.telegram.reset()

    assert run_digests(bot, slept) == {"sent": 1, "empty": 0, "unreachable": 0}

    [digest] = bot.telegram.calls_to("sendMessage")
    assert digest.chat_id == 101
    assert digest.text == (
        "<b>Дайджест за день</b>\n• начислено баллов: 200\n• новых участников в сети: 1\n"
        "• покупок рефералов: 1 на 4 000.00 ₽\nБаланс: 200 (доступно 0)."
    )
    bot.clock.advance(days=1)
    assert run_digests(bot, slept) == {"sent": 0, "empty": 1, "unreachable": 0}  # a quiet day sends nothing


def test_digests_respect_retry_after_and_blocked_users(bot: Bot, services: Services) -> None:
    users = [TgUser(101, "Anna"), TgUser(102, "Boris")]
    for number, user in enumerate(users):
        bot.register(user, f"11111111{number}")
        bot.press(user, "dg:daily")
    bot.register(TgUser(103, "Carl"), "333333333", personal_code(services, users[0]))
    bot.register(TgUser(104, "Dana"), "444444444", personal_code(services, users[1]))
    bot.clock.advance(days=1, minutes=1)
    bot.telegram.reset()
    bot.telegram.rate_limit(chat_id=101, retry_after=7)
    bot.telegram.block(102)
    slept: list[float] = []

    report = run_digests(bot, slept)

    assert report == {"sent": 1, "empty": 0, "unreachable": 1}
    assert 7.0 in slept
    assert [c.chat_id for c in bot.telegram.calls_to("sendMessage")] == [101, 101, 102]
    assert bot_state.load_user("102").unreachable
    assert DigestItem.get("DIGEST#102", "DIGEST").duepk is None
    bot.clock.advance(days=1)
    assert run_digests(bot, slept)["unreachable"] == 0  # left the schedule


def test_digests_resume_when_a_participant_who_blocked_the_bot_writes_again(
    bot: Bot, services: Services
) -> None:
    anna = TgUser(101, "Anna")
    bot.register(anna, "111111111")
    bot.press(anna, "dg:daily")
    bot.register(TgUser(102, "Boris"), "222222222", personal_code(services, anna))
    bot.clock.advance(days=1, minutes=1)
    bot.telegram.block(101)
    slept: list[float] = []
    assert run_digests(bot, slept)["unreachable"] == 1
    bot.telegram.reset()

    bot.say(anna, "💰 Баланс")  # any message: she unblocked the bot
    bot.register(TgUser(103, "Carl"), "333333333", personal_code(services, anna))
    bot.clock.advance(days=1, minutes=1)
    bot.telegram.reset()

    assert not bot_state.load_user("101").unreachable
    assert run_digests(bot, slept) == {"sent": 1, "empty": 0, "unreachable": 0}
    [digest] = bot.telegram.calls_to("sendMessage", chat_id=101)
    assert "• новых участников в сети: 2" in digest.text  # nothing of the blocked period is lost


def test_a_digest_that_fails_is_retried_later_and_the_others_still_go_out(
    bot: Bot, services: Services, caplog: pytest.LogCaptureFixture
) -> None:
    anna, boris = TgUser(101, "Anna"), TgUser(102, "Boris")
    for number, user in enumerate((anna, boris)):
        bot.register(user, f"11111111{number}")
        bot.press(user, "dg:daily")
    bot.register(TgUser(103, "Carl"), "333333333", personal_code(services, anna))
    bot.register(TgUser(104, "Dana"), "444444444", personal_code(services, boris))
    ParticipantItem(keys.participant_pk("101"), keys.PROFILE).update(
        [ParticipantItem.registered_at.set("not a date")]  # Anna's profile cannot be read
    )
    bot.clock.advance(days=1, minutes=1)
    bot.telegram.reset()

    report = send_due(clock=bot.clock, pace=Pace(rate=1000, clock=lambda: 0.0, sleep=lambda _: None))

    assert (report.sent, report.failed) == (1, 1)
    assert [c.chat_id for c in bot.telegram.calls_to("sendMessage")] == [102]
    anna_digest = DigestItem.get("DIGEST#101", "DIGEST")
    assert anna_digest.next_at is not None  # put back for half an hour later, not skipped
    assert timedelta(minutes=29) < from_iso(anna_digest.next_at) - bot.clock.now <= timedelta(minutes=30)
    assert anna_digest.network_size == 0  # the period is still to be reported
    assert any("digest failed" in r.getMessage() and r.levelname == "ERROR" for r in caplog.records)


def test_an_unknown_digest_button_changes_nothing(bot: Bot) -> None:
    anna = TgUser(101, "Anna")
    bot.register(anna, "111111111")
    bot.press(anna, "dg:weekly")
    bot.telegram.reset()

    answer = bot.press(anna, "dg:monthly")

    assert answer["text"] == "Эта кнопка уже неактуальна."
    assert bot_state.load_user("101").digest == "weekly"
    assert bot.telegram.calls == []
