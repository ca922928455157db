"""Talk to the locally running bot as a Telegram user: ``python -m devtools.chat_console --user 5001``.

Type a message (or a command such as ``/start``) and see the bot's replies with their buttons. Reply-keyboard
buttons are sent by typing their text or ``#N``; inline buttons are pressed with ``!N`` — only buttons the
bot has shown. Replies that come later (a notice after a sync, the outbox sweep) are printed as they
arrive. Ctrl-D quits.
"""

from __future__ import annotations

import argparse
import html
import json
import re
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

import requests

from devtools.local_run import RUNTIME_FILE, Runtime
from devtools.telegram_updates import LocalUser, callback_update, message_update, post_update

_TAG = re.compile(r"<[^>]+>")
_BUTTON = re.compile(r"^([#!])(\d+)$")


class RunnerUnavailable(RuntimeError):
    """The local system does not answer: it was stopped, or never started in this folder."""


class ChatConsole:
    """One Telegram user's chat with the local bot, through the gateway and the fake Bot API's record."""

    def __init__(self, runtime: Runtime, user: LocalUser) -> None:
        self.runtime = runtime
        self.user = user
        self.reply_buttons: list[str] = []
        self.inline_buttons: list[tuple[str, str, int]] = []
        self._lock = threading.Lock()
        self.seen = self._calls(0)["next"]

    def _request(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        try:
            answer = requests.request(method, url, timeout=30, **kwargs)
        except requests.ConnectionError:
            raise RunnerUnavailable(
                f"The local system at {self.runtime.gateway} does not answer: start it with `make run`."
            ) from None
        answer.raise_for_status()
        return answer

    def _calls(self, after: int) -> dict[str, Any]:
        answer = self._request(
            "GET",
            f"{self.runtime.gateway}/_local/telegram/calls",
            params={"chat_id": str(self.user.id), "after": str(after)},
        )
        data: dict[str, Any] = answer.json()
        return data

    def send(self, line: str, settle: float = 0.3) -> list[str]:
        """Send one line as the user would; return the bot's replies (or why nothing was sent)."""
        line = line.strip()
        button = _BUTTON.match(line)
        if button:
            kind, number = button.group(1), int(button.group(2))
            with self._lock:
                buttons = self.reply_buttons if kind == "#" else self.inline_buttons
                chosen = buttons[number - 1] if 0 < number <= len(buttons) else None
            if chosen is None:
                shown = "keyboard buttons" if kind == "#" else "inline buttons"
                return [f"(no button {line}: the bot has shown {len(buttons)} {shown}; nothing was sent)"]
            if isinstance(chosen, tuple):
                _, data, message_id = chosen
                update = callback_update(self.user, data, message_id)
            else:
                update = message_update(self.user, chosen)
        else:
            update = message_update(self.user, line)
        try:
            post_update(self.runtime.gateway, self.runtime.webhook_secret, update).raise_for_status()
        except requests.ConnectionError:
            raise RunnerUnavailable(
                f"The local system at {self.runtime.gateway} does not answer: start it with `make run`."
            ) from None
        time.sleep(settle)
        return self.poll()

    def poll(self) -> list[str]:
        """The bot's messages to this user since the last look, rendered; buttons are remembered."""
        with self._lock:
            data = self._calls(self.seen)
            self.seen = data["next"]
            return [self._render(call) for call in data["calls"]]

    def listen(
        self, show: Callable[[str], None], stop: threading.Event, every: float = 1.0
    ) -> threading.Thread:
        """Show late replies in the background until ``stop`` is set (or the runner goes away)."""

        def run() -> None:
            while not stop.wait(every):
                try:
                    replies = self.poll()
                except (RunnerUnavailable, requests.RequestException) as error:
                    show(f"({error})")
                    return
                for reply in replies:
                    show(reply)

        thread = threading.Thread(target=run, name="chat-replies", daemon=True)
        thread.start()
        return thread

    def _render(self, call: dict[str, Any]) -> str:
        params = call["params"]
        text = html.unescape(_TAG.sub("", str(params.get("text") or params.get("caption") or "")))
        lines = [f"[{call['method']}] {text}".rstrip()]
        markup = params.get("reply_markup") or {}
        if isinstance(markup, str):
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
    stop = threading.Event()
    try:
        console = ChatConsole(runtime, LocalUser(args.user, args.name, args.username, args.lang))
        print(f"Chatting with @{runtime.bot_username} as {args.name} (id {args.user}). Ctrl-D to quit.")
        console.listen(lambda text: print(text, flush=True), stop)
        for line in sys.stdin:
            if line.strip():
                for reply in console.send(line):
                    print(reply, flush=True)
    except RunnerUnavailable as error:
        print(error, file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
