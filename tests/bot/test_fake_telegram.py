"""The local fake Bot API refuses what Telegram refuses, so markup and length mistakes fail tests."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from devtools.fake_telegram import FakeTelegram

TOKEN = "7000000001:AAFakeTokenForTests_abcdefghijklmnop"


def send(telegram: FakeTelegram, method: str = "sendMessage", **params: Any) -> tuple[int, dict[str, Any]]:
    response = requests.post(f"{telegram.url}/bot{TOKEN}/{method}", json=params, timeout=5)
    return response.status_code, response.json()


@pytest.mark.parametrize(
    ("text", "description"),
    [
        ("<b>bold", "Bad Request: can't parse entities: Can't find end tag corresponding to start tag \"b\""),
        (
            "a <script>x</script>",
            'Bad Request: can\'t parse entities: Unsupported start tag "script" at byte offset 2',
        ),
        ("1 < 2", "Bad Request: can't parse entities: Unsupported start tag at byte offset 2"),
        ("Tom & Jerry", "Bad Request: can't parse entities: Character '&' is reserved at byte offset 4"),
        ("<b><i>x</b></i>", 'Bad Request: can\'t parse entities: Unmatched end tag "b" at byte offset 7'),
        ("<b> </b>", "Bad Request: message text is empty"),
        ("x" * 4097, "Bad Request: message text is too long"),
        ("😀" * 2049, "Bad Request: message text is too long"),  # 4098 UTF-16 code units
        ("&lt;" * 4097, "Bad Request: message text is too long"),
    ],
)
def test_what_telegram_cannot_parse_or_show_is_refused(text: str, description: str) -> None:
    with FakeTelegram() as telegram:
        status, body = send(telegram, chat_id=1, text=text, parse_mode="HTML")

    assert (status, body) == (400, {"ok": False, "error_code": 400, "description": description})


def test_valid_html_up_to_the_limit_is_accepted() -> None:
    with FakeTelegram() as telegram:
        full = send(telegram, chat_id=1, text="&lt;" + "x" * 4094 + "&#62;", parse_mode="HTML")
        markup = send(
            telegram,
            chat_id=1,
            text='<b>a</b> <a href="https://t.me/x">b</a> &amp; &quot;c&quot;',
            parse_mode="HTML",
        )
        plain = send(telegram, chat_id=1, text="1 < 2 & 3")
        caption = send(telegram, "copyMessage", chat_id=1, from_chat_id=2, message_id=3, caption="y" * 1025)

    assert [full[0], markup[0], plain[0]] == [200, 200, 200]
    assert caption == (
        400,
        {"ok": False, "error_code": 400, "description": "Bad Request: message caption is too long"},
    )


def test_a_copy_needs_the_message_to_copy() -> None:
    with FakeTelegram() as telegram:
        refused = send(telegram, "copyMessage", chat_id=1, from_chat_id=2)
        copied = send(telegram, "copyMessage", chat_id=1, from_chat_id=2, message_id=3)

    assert refused == (
        400,
        {"ok": False, "error_code": 400, "description": "Bad Request: message to copy not found"},
    )
    assert copied[0] == 200 and "message_id" in copied[1]["result"]


def test_get_me_describes_the_bot() -> None:
    with FakeTelegram(bot_id=42, username="some_bot") as telegram:
        status, body = send(telegram, "getMe")

    assert status == 200
    assert body["result"]["id"] == 42 and body["result"]["username"] == "some_bot"
    assert body["result"]["is_bot"] is True


def test_webhook_info_follows_set_and_delete_and_reports_configured_trouble() -> None:
    with FakeTelegram() as telegram:
        before = send(telegram, "getWebhookInfo")[1]["result"]
        send(
            telegram,
            "setWebhook",
            url="https://x.example/hook",
            secret_token="s",
            allowed_updates=["message"],
        )
        telegram.set_webhook_trouble(
            pending_update_count=3,
            last_error_message="Wrong response from the webhook: 500",
            last_error_date=17,
        )
        troubled = send(telegram, "getWebhookInfo")[1]["result"]
        polled = send(telegram, "getUpdates")
        send(telegram, "deleteWebhook", drop_pending_updates=True)
        after = send(telegram, "getWebhookInfo")[1]["result"]
        plain_http = send(telegram, "setWebhook", url="http://x.example/hook")

    assert before == {"url": "", "has_custom_certificate": False, "pending_update_count": 0}
    assert troubled == {
        "url": "https://x.example/hook",
        "has_custom_certificate": False,
        "pending_update_count": 3,
        "allowed_updates": ["message"],
        "last_error_date": 17,
        "last_error_message": "Wrong response from the webhook: 500",
    }
    assert "secret_token" not in troubled
    assert polled[0] == 409 and polled[1]["description"].startswith("Conflict: can't use getUpdates")
    assert after["url"] == "" and after["pending_update_count"] == 0
    assert plain_http == (
        400,
        {
            "ok": False,
            "error_code": 400,
            "description": "Bad Request: bad webhook: An HTTPS URL must be provided for webhook",
        },
    )


def test_chats_and_members_are_what_the_test_configured() -> None:
    with FakeTelegram(bot_id=77) as telegram:
        telegram.add_chat(-100123, title="Operators", is_forum=True, can_manage_topics=True)
        chat = send(telegram, "getChat", chat_id=-100123)[1]["result"]
        bot = send(telegram, "getChatMember", chat_id=-100123, user_id=77)[1]["result"]
        stranger = send(telegram, "getChatMember", chat_id=-100123, user_id=5)[1]["result"]
        unknown = send(telegram, "getChat", chat_id=-100999)
        topic = send(telegram, "createForumTopic", chat_id=-100123, name="Anna")

    assert (chat["id"], chat["type"], chat["title"], chat["is_forum"]) == (
        -100123,
        "supergroup",
        "Operators",
        True,
    )
    assert bot["status"] == "administrator" and bot["can_manage_topics"] is True and bot["user"]["id"] == 77
    assert stranger["status"] == "left"
    assert unknown == (400, {"ok": False, "error_code": 400, "description": "Bad Request: chat not found"})
    assert topic[0] == 200 and topic[1]["result"]["name"] == "Anna"


@pytest.mark.parametrize(
    ("chat", "description"),
    [
        ({"is_forum": False}, "Bad Request: the chat is not a forum"),
        ({"can_manage_topics": False}, "Bad Request: not enough rights to create a topic"),
        ({"bot_status": "member"}, "Bad Request: not enough rights to create a topic"),
    ],
)
def test_a_topic_needs_a_forum_and_the_right_to_manage_topics(chat: dict[str, Any], description: str) -> None:
    with FakeTelegram(bot_id=77) as telegram:
        telegram.add_chat(-100123, **chat)
        refused = send(telegram, "createForumTopic", chat_id=-100123, name="Anna")

    assert refused == (400, {"ok": False, "error_code": 400, "description": description})


def test_any_method_can_be_rate_limited_for_a_number_of_calls() -> None:
    with FakeTelegram() as telegram:
        telegram.rate_limit(None, retry_after=9, times=2)
        first = send(telegram, "getWebhookInfo")
        second = send(telegram, "sendMessage", chat_id=1, text="hi")
        third = send(telegram, "sendMessage", chat_id=1, text="hi")

    limited = {
        "ok": False,
        "error_code": 429,
        "description": "Too Many Requests: retry after 9",
        "parameters": {"retry_after": 9},
    }
    assert first == (429, limited) and second == (429, limited)
    assert third[0] == 200


def test_a_group_can_be_rate_limited_while_other_chats_are_not() -> None:
    with FakeTelegram() as telegram:
        telegram.rate_limit("sendMessage", chat_id=-100123, retry_after=30, times=1_000)
        group = [send(telegram, chat_id=-100123, text="x")[0] for _ in range(3)]
        private = send(telegram, chat_id=5, text="x")[0]
        form = requests.post(
            f"{telegram.url}/bot{TOKEN}/sendMessage", data={"chat_id": "-100123", "text": "x"}, timeout=5
        )

    assert group == [429, 429, 429] and private == 200
    assert form.status_code == 429 and form.json()["parameters"] == {"retry_after": 30}


def test_a_form_text_that_reads_like_json_stays_a_text() -> None:
    with FakeTelegram() as telegram:
        requests.post(
            f"{telegram.url}/bot{TOKEN}/sendMessage",
            data={"chat_id": "5", "text": "true", "reply_markup": '{"remove_keyboard": true}'},
            timeout=5,
        )
        [call] = telegram.calls

    assert call.params == {"chat_id": 5, "text": "true", "reply_markup": {"remove_keyboard": True}}
    assert call.form and call.wire == {
        "chat_id": "5",
        "text": "true",
        "reply_markup": '{"remove_keyboard": true}',
    }
