"""The typed pieces of a turn: Bot API calls serialised at one place, dialog states stored by value."""

from __future__ import annotations

from referral.repository import keys
from referral.repository.bot_state import BotState, ConversationItem, DialogState
from referral.telegram.calls import (
    AnswerCallbackQuery,
    CopyMessage,
    EditMessageText,
    SendMessage,
    params,
    webhook_answer,
)

from tests.bot.conftest import Bot, TgUser
from tests.support.clock import FakeClock


def test_calls_leave_out_what_is_unset_and_spell_options_as_the_bot_api_does() -> None:
    reply = SendMessage(101, "<b>Hi</b>", no_link_preview=True, reply_to_message_id=7, message_thread_id=3)

    assert webhook_answer(reply) == {
        "method": "sendMessage",
        "chat_id": 101,
        "text": "<b>Hi</b>",
        "parse_mode": "HTML",
        "message_thread_id": 3,
        "link_preview_options": {"is_disabled": True},
        "reply_parameters": {"message_id": 7, "allow_sending_without_reply": True},
    }
    assert webhook_answer(AnswerCallbackQuery("cb1")) == {
        "method": "answerCallbackQuery",
        "callback_query_id": "cb1",
    }
    assert params(SendMessage(5, "plain", parse_mode=None)) == {"chat_id": 5, "text": "plain"}
    assert params(EditMessageText(5, 9, "x", reply_markup={"inline_keyboard": []})) == {
        "chat_id": 5,
        "message_id": 9,
        "text": "x",
        "parse_mode": "HTML",
        "reply_markup": {"inline_keyboard": []},
    }
    assert params(CopyMessage(-100, 5, 9)) == {"chat_id": -100, "from_chat_id": 5, "message_id": 9}


def test_every_dialog_state_round_trips_through_the_table(table_name: str, clock: FakeClock) -> None:
    state = BotState()
    for update_id, step in enumerate(DialogState, start=1):
        assert state.save_conversation("101", step, {"points": 5}, clock(), update_id, if_new=True)

        conversation = state.load_user("101").conversation

        assert conversation.state is step
        assert conversation.data == {"points": 5}


def test_a_step_this_release_does_not_know_ends_the_dialog(table_name: str, clock: FakeClock) -> None:
    ConversationItem(
        keys.participant_pk("101"),
        keys.CONVERSATION_SK,
        user_id="101",
        state="await_something_retired",
        updated_at=clock().isoformat(),
    ).save()

    assert BotState().load_user("101").conversation.state is DialogState.IDLE


def test_a_dialog_step_is_stored_by_its_value(bot: Bot) -> None:
    anna = TgUser(101, "Anna")
    bot.register(anna, "111111111")

    bot.say(anna, "🧾 Моя покупка")

    item = ConversationItem.get(keys.participant_pk("101"), keys.CONVERSATION_SK)
    assert item.state == "await_order"
    assert BotState().load_user("101").conversation.state is DialogState.AWAIT_ORDER
