"""Building Telegram updates the way Telegram sends them (for the chat console and the demo seed)."""

from __future__ import annotations

import itertools
import json
import threading
import time
from dataclasses import dataclass
from typing import Any

import requests

_message_ids = itertools.count(1)


_EPOCH = 1_767_225_600  # 2026-01-01T00:00:00Z


class _UpdateIds:
    """Increasing update ids across processes, as Telegram numbers a bot's updates: the demo seed, the chat
    console and tests each make updates, and the bot refuses a dialog step from an update older than the
    last one it took. Milliseconds since 2026, and one more than the last where a process makes several in
    the same millisecond."""

    def __init__(self) -> None:
        self._last = 0
        self._lock = threading.Lock()

    def __next__(self) -> int:
        with self._lock:
            self._last = max(self._last + 1, int((time.time() - _EPOCH) * 1000))
            return self._last


_update_ids = _UpdateIds()


@dataclass(frozen=True)
class LocalUser:
    id: int
    first_name: str
    username: str | None = None
    language_code: str = "ru"

    def as_telegram(self) -> dict[str, Any]:
        user: dict[str, Any] = {
            "id": self.id,
            "is_bot": False,
            "first_name": self.first_name,
            "language_code": self.language_code,
        }
        if self.username:
            user["username"] = self.username
        return user

    def chat(self) -> dict[str, Any]:
        return {"id": self.id, "type": "private", "first_name": self.first_name}


def message_update(user: LocalUser, text: str) -> dict[str, Any]:
    message: dict[str, Any] = {
        "message_id": next(_message_ids),
        "from": user.as_telegram(),
        "chat": user.chat(),
        "date": int(time.time()),
        "text": text,
    }
    if text.startswith("/"):
        command = text.split()[0]
        message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
    return {"update_id": next(_update_ids), "message": message}


def callback_update(user: LocalUser, data: str, message_id: int = 1) -> dict[str, Any]:
    return {
        "update_id": next(_update_ids),
        "callback_query": {
            "id": str(next(_update_ids)),
            "from": user.as_telegram(),
            "chat_instance": str(user.id),
            "data": data,
            "message": {
                "message_id": message_id,
                "from": {"id": 123456789, "is_bot": True, "first_name": "Bot"},
                "chat": user.chat(),
                "date": int(time.time()),
                "text": "…",
            },
        },
    }


def post_update(gateway: str, secret: str, update: dict[str, Any]) -> requests.Response:
    return requests.post(
        f"{gateway}/telegram/webhook",
        data=json.dumps(update, ensure_ascii=False).encode(),
        headers={"content-type": "application/json", "x-telegram-bot-api-secret-token": secret},
        timeout=30,
    )
