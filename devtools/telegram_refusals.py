"""What Telegram refuses with 400 whatever the state: texts and captions too long or empty once their HTML
is parsed, HTML Telegram cannot parse, a copy without the message to copy."""

from __future__ import annotations

import re
from typing import Any

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
_HTML_TAGS = frozenset(
    [
        "b",
        "strong",
        "i",
        "em",
        "u",
        "ins",
        "s",
        "strike",
        "del",
        "span",
        "tg-spoiler",
        "a",
        "tg-emoji",
        "code",
        "pre",
        "blockquote",
    ]
)
_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[^<>]*)?)>")
_ENTITY = re.compile(r"&(?:lt|gt|amp|quot|#\d{1,7}|#x[0-9a-fA-F]{1,6});")
_NAMED = {"&lt;": "<", "&gt;": ">", "&amp;": "&", "&quot;": '"'}


class _Unparsable(ValueError):
    pass


def refusal_of(method: str, p: dict[str, Any]) -> str | None:
    """Telegram's 400 for a message it would not accept; None when it would."""
    if method == "copyMessage" and not ("from_chat_id" in p and "message_id" in p):
        return "Bad Request: message to copy not found"
    if method in ("sendMessage", "editMessageText"):
        field, limit, name = "text", TEXT_LIMIT, "message text"
    elif method == "copyMessage" and "caption" in p:
        field, limit, name = "caption", CAPTION_LIMIT, "message caption"
    else:
        return None
    raw = str(p.get(field, ""))
    try:
        shown = _parsed_html(raw) if str(p.get("parse_mode", "")).upper() == "HTML" else raw
    except _Unparsable as error:
        return f"Bad Request: can't parse entities: {error}"
    length = len(shown.encode("utf-16-le")) // 2  # Telegram counts UTF-16 code units
    if field == "text" and not shown.strip():
        return "Bad Request: message text is empty"
    if length > limit:
        return f"Bad Request: {name} is too long"
    return None


def _parsed_html(text: str) -> str:
    """The text a user sees, checked the way Telegram parses ``parse_mode=HTML``."""
    shown: list[str] = []
    open_tags: list[str] = []
    at = 0
    while at < len(text):
        char = text[at]
        if char == "<":
            tag = _TAG.match(text, at)
            if tag is None:
                raise _Unparsable(f"Unsupported start tag at byte offset {len(text[:at].encode())}")
            closing, name = tag.group(1), tag.group(2).lower()
            if name not in _HTML_TAGS:
                raise _Unparsable(f'Unsupported start tag "{name}" at byte offset {len(text[:at].encode())}')
            if not closing:
                open_tags.append(name)
            elif not open_tags or open_tags.pop() != name:
                raise _Unparsable(f'Unmatched end tag "{name}" at byte offset {len(text[:at].encode())}')
            at = tag.end()
        elif char == "&":
            entity = _ENTITY.match(text, at)
            if entity is None:
                raise _Unparsable(f"Character '&' is reserved at byte offset {len(text[:at].encode())}")
            value = entity.group(0)
            if value in _NAMED:
                shown.append(_NAMED[value])
            else:
                hexadecimal = value.startswith("&#x")
                code = int(value[3:-1] if hexadecimal else value[2:-1], 16 if hexadecimal else 10)
                if code > 0x10FFFF:
                    raise _Unparsable(f"Invalid character reference at byte offset {len(text[:at].encode())}")
                shown.append(chr(code))
            at = entity.end()
        else:
            if char == ">":
                raise _Unparsable(f"Character '>' is reserved at byte offset {len(text[:at].encode())}")
            shown.append(char)
            at += 1
    if open_tags:
        raise _Unparsable(f'Can\'t find end tag corresponding to start tag "{open_tags[-1]}"')
    return "".join(shown)
