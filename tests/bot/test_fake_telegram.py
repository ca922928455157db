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
