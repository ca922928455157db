"""The contract check itself: it finds what Telegram would refuse or misread, and only that."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.contracts import telegram_contract
from tests.contracts.telegram_contract import ContractMissing, TelegramContract

MARKUP = {"inline_keyboard": [[{"text": "✅", "callback_data": "wd:ok:1"}]]}


def test_a_valid_call_passes_as_json_and_as_a_form(telegram_contract: TelegramContract) -> None:
    as_json = {"chat_id": -1001, "text": "hi", "message_thread_id": 5, "reply_markup": MARKUP}
    as_form = {
        "chat_id": "-1001",
        "text": "true",  # a text that reads like JSON is still a text
        "message_thread_id": "5",
        "disable_notification": "true",
        "reply_markup": json.dumps(MARKUP),
        "link_preview_options": '{"is_disabled": true}',
    }

    assert telegram_contract.call_violations("sendMessage", as_json, form=False) == []
    assert telegram_contract.call_violations("sendMessage", as_form, form=True) == []
    assert telegram_contract.call_violations("getMe", {}, form=False) == []


@pytest.mark.parametrize(
    ("method", "params", "form", "violation"),
    [
        ("sendMesage", {"chat_id": 1, "text": "x"}, False, "unknown method 'sendMesage'"),
        ("sendMessage", {"chat_id": 1}, False, "text: required parameter missing"),
        (
            "sendMessage",
            {"chat_id": 1, "text": "x", "colour": "red"},
            False,
            "colour: not a parameter of sendMessage",
        ),
        ("sendMessage", {"chat_id": 1.5, "text": "x"}, False, "chat_id: expected Integer or String, got 1.5"),
        ("sendMessage", {"chat_id": 1, "text": 7}, False, "text: expected String, got 7"),
        (
            "answerCallbackQuery",
            {"callback_query_id": "1", "show_alert": 1},
            False,
            "show_alert: expected Boolean, got 1",
        ),
        ("getChatMember", {"chat_id": "1", "user_id": "x"}, True, "user_id: 'x' is not readable as Integer"),
        (
            "sendMessage",
            {"chat_id": "1", "text": "x", "protect_content": "yes"},
            True,
            "protect_content: 'yes' is not readable as Boolean",
        ),
        (
            "sendMessage",
            {"chat_id": 1, "text": "x", "reply_markup": {"inline_keyboard": [[{"text": "a", "data": "x"}]]}},
            False,
            "reply_markup.inline_keyboard[0][0].data: not a field of InlineKeyboardButton",
        ),
        (
            "sendMessage",
            {"chat_id": "1", "text": "x", "reply_markup": '{"inline_keyboard": [{"text": "a"}]}'},
            True,
            'reply_markup.inline_keyboard[0]: expected Array of InlineKeyboardButton, got {"text": "a"}',
        ),
        (
            "setWebhook",
            {"url": "https://x", "allowed_updates": "message"},
            False,
            'allowed_updates: expected Array of String, got "message"',
        ),
    ],
)
def test_what_telegram_would_refuse_or_misread_is_a_violation(
    telegram_contract: TelegramContract, method: str, params: dict[str, object], form: bool, violation: str
) -> None:
    assert violation in telegram_contract.call_violations(method, params, form=form)


def test_answers_are_checked_against_the_return_type_and_its_subtypes(
    telegram_contract: TelegramContract,
) -> None:
    user = {"id": 7, "is_bot": True, "first_name": "Bot"}
    left = {"status": "left", "user": user}
    admin_missing_rights = {"status": "administrator", "user": user, "can_manage_topics": True}
    wrong_status = {"status": "kicked", "user": user}

    assert telegram_contract.result_violations("getChatMember", left) == []
    assert telegram_contract.result_violations("getChatMember", admin_missing_rights) != []
    assert telegram_contract.result_violations("getChatMember", wrong_status) != []
    assert telegram_contract.result_violations("copyMessage", {"message_id": 5}) == []
    assert telegram_contract.result_violations("copyMessage", {"message_id": "5"}) == [
        'result.message_id: expected Integer, got "5"'
    ]
    assert telegram_contract.result_violations("editMessageText", True) == []
    assert telegram_contract.result_violations("getWebhookInfo", {"url": ""}) == [
        "result.has_custom_certificate: required field of WebhookInfo missing",
        "result.pending_update_count: required field of WebhookInfo missing",
    ]


def test_an_update_with_a_field_telegram_does_not_send_is_a_violation(
    telegram_contract: TelegramContract,
) -> None:
    chat = {"id": 1, "type": "private", "first_name": "A"}
    update = {"update_id": 1, "message": {"message_id": 1, "date": 0, "chat": chat, "text": "hi"}}
    odd = {"update_id": 1, "message": {"message_id": 1, "date": 0, "chat": {**chat, "is_private": True}}}

    assert telegram_contract.update_violations(update) == []
    assert telegram_contract.update_violations(odd) == ["update.message.chat.is_private: not a field of Chat"]
    assert telegram_contract.update_violations({"message": update["message"]}) == [
        "update.update_id: required field of Update missing"
    ]


def test_a_missing_contract_fails_with_where_it_was_looked_for(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CONTRACTS_DIR", str(tmp_path))

    with pytest.raises(ContractMissing, match="CONTRACTS_DIR") as missing:
        telegram_contract.contracts_dir()

    assert str(tmp_path / "telegram-bot-api.json") in str(missing.value)


def test_contracts_dir_names_the_directory_that_holds_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "telegram-bot-api.json").write_text("{}")
    monkeypatch.setenv("CONTRACTS_DIR", str(tmp_path))

    assert telegram_contract.contracts_dir() == tmp_path
