"""Talk to the locally running bot as a Telegram user: ``python -m devtools.chat_console --user 5001``.

Type a message (or a command such as ``/start``) and see the bot's replies with their buttons. Reply-keyboard
buttons are sent by typing their text or ``#N``; inline buttons are pressed with ``!N``. Ctrl-D quits.
"""

from __future__ import annotations

import argparse
import html
import re
import sys
import time
from typing import Any

import requests

from devtools.local_run import RUNTIME_FILE, Runtime
from devtools.telegram_updates import LocalUser, callback_update, message_update, post_update

_TAG = re.compile(r"<[^>]+>")


class ChatConsole:
    def __init__(self, runtime: Runtime, user: LocalUser) -> None:
        self.runtime = runtime
        self.user = user
        self.seen = self._calls(0)["next"]
        self.reply_buttons: list[str] = []
        self.inline_buttons: list[tuple[str, str, int]] = []

    def _calls(self, after: int) -> dict[str, Any]:
        answer = requests.get(
            f"{self.runtime.gateway}/_local/telegram/calls",
            params={"chat_id": str(self.user.id), "after": str(after)},
            timeout=10,
        )
        answer.raise_for_status()
        data: dict[str, Any] = answer.json()
        return data

    def send(self, line: str) -> list[str]:
        """Send one line as the user would; return the bot's replies as printable text."""
        line = line.strip()
        if line.startswith("!") and line[1:].isdigit() and 0 < int(line[1:]) <= len(self.inline_buttons):
            _, data, message_id = self.inline_buttons[int(line[1:]) - 1]
            update = callback_update(self.user, data, message_id)
        else:
            if line.startswith("#") and line[1:].isdigit() and 0 < int(line[1:]) <= len(self.reply_buttons):
                line = self.reply_buttons[int(line[1:]) - 1]
            update = message_update(self.user, line)
        post_update(self.runtime.gateway, self.runtime.webhook_secret, update).raise_for_status()
        return self._replies()

    def _replies(self, settle: float = 0.3) -> list[str]:
        time.sleep(settle)
        data = self._calls(self.seen)
        self.seen = data["next"]
        return [self._render(call) for call in data["calls"]]

    def _render(self, call: dict[str, Any]) -> str:
        params = call["params"]
        text = html.unescape(_TAG.sub("", str(params.get("text") or params.get("caption") or "")))
        lines = [f"[{call['method']}] {text}".rstrip()]
        markup = params.get("reply_markup") or {}
        if isinstance(markup, str):
            import json

            markup = json.loads(markup)
        if markup.get("keyboard"):
            self.reply_buttons = [
                b["text"] if isinstance(b, dict) else str(b) for row in markup["keyboard"] for b in row
            ]
            lines.append("  keyboard: " + "  ".join(f"#{i} {t}" for i, t in enumerate(self.reply_buttons, 1)))
        if markup.get("inline_keyboard"):
            message_id = int(params.get("message_id") or 1)
            self.inline_buttons = [
                (b["text"], b.get("callback_data", ""), message_id)
                for row in markup["inline_keyboard"]
                for b in row
            ]
            lines.append(
                "  buttons: " + "  ".join(f"!{i} {t}" for i, (t, _, _) in enumerate(self.inline_buttons, 1))
            )
        return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--user", type=int, default=5101, help="Telegram user id to act as")
    parser.add_argument("--name", default="Тестовый участник")
    parser.add_argument("--username", default=None)
    parser.add_argument("--lang", default="ru")
    args = parser.parse_args(argv)
    if not RUNTIME_FILE.exists():
        print("The local system is not running: start it with `make run` first.", file=sys.stderr)
        return 1
    runtime = Runtime.read()
    if not runtime.fake_telegram:
        print("The local system talks to the real Telegram: use the Telegram app instead.", file=sys.stderr)
        return 1
    console = ChatConsole(runtime, LocalUser(args.user, args.name, args.username, args.lang))
    print(f"Chatting with @{runtime.bot_username} as {args.name} (id {args.user}). Ctrl-D to quit.")
    for line in sys.stdin:
        if not line.strip():
            continue
        for reply in console.send(line):
            print(reply)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
