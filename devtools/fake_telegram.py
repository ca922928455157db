"""A local fake of the Telegram Bot API: records every call and answers like Telegram does.

Serves ``POST /bot<token>/<method>`` on 127.0.0.1 (a random port by default), accepting JSON, form and
multipart bodies as the real API does. Every call is recorded with its method and parameters. Faults can
be scripted per method and chat: a 429 with ``retry_after`` or a 403 "bot was blocked by the user".
Updates queued with ``push_update`` are served by ``getUpdates`` with Telegram's long polling: ``offset``
confirms (forgets) the updates before it, ``timeout`` waits that many seconds for a new one.
Like Telegram, it refuses with 400 a text or caption that is too long or empty once its HTML is parsed,
and HTML that Telegram cannot parse (unsupported or unclosed tags, a bare ``<`` or ``&``).

    with FakeTelegram() as telegram:
        os.environ["TELEGRAM_API_URL"] = telegram.url
        ...
        assert telegram.calls_to("sendMessage")[0].params["text"] == "..."
"""

from __future__ import annotations

import itertools
import json
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

_INT_FIELDS = {"chat_id", "message_id", "message_thread_id", "from_chat_id", "user_id", "reply_to_message_id"}


@dataclass(frozen=True)
class Call:
    method: str
    params: dict[str, Any]
    token: str

    @property
    def chat_id(self) -> Any:
        return self.params.get("chat_id")

    @property
    def text(self) -> str:
        return str(self.params.get("text", ""))


@dataclass
class Fault:
    method: str
    chat_id: Any
    status: int
    description: str
    retry_after: int | None = None
    times: int = 1


@dataclass
class _State:
    calls: list[Call] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    message_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1000))
    thread_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(500))
    update_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    updates: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    updates_ready: threading.Condition = field(default_factory=threading.Condition)
    closing: bool = False


class FakeTelegram:
    """The fake server. ``bot_id``/``username`` describe the bot for ``getMe``."""

    def __init__(
        self, *, bot_id: int = 7000000001, username: str = "referral_test_bot", port: int = 0
    ) -> None:
        self.bot_id = bot_id
        self.username = username
        self._state = _State()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                fake._handle(self)

            def do_GET(self) -> None:
                fake._handle(self)

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    # --- lifecycle ---------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> FakeTelegram:
        self._thread = threading.Thread(target=self._server.serve_forever, name="fake-telegram", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        with self._state.updates_ready:
            self._state.closing = True
            self._state.updates_ready.notify_all()
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> FakeTelegram:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- inspection and scripting ---------------------------------------------------------------------

    @property
    def calls(self) -> list[Call]:
        with self._state.lock:
            return list(self._state.calls)

    def calls_to(self, method: str, chat_id: Any = None) -> list[Call]:
        return [c for c in self.calls if c.method == method and (chat_id is None or c.chat_id == chat_id)]

    def push_update(self, update: dict[str, Any]) -> int:
        """Queue an update for the bot's ``getUpdates``, numbered in order unless it has its own id."""
        with self._state.updates_ready:
            queued = {**update, "update_id": update.get("update_id") or next(self._state.update_ids)}
            self._state.updates.append(queued)
            self._state.updates_ready.notify_all()
        return int(queued["update_id"])

    def reset(self) -> None:
        with self._state.lock:
            self._state.calls.clear()
            self._state.faults.clear()
        with self._state.updates_ready:
            self._state.updates.clear()

    def fail(
        self,
        method: str,
        *,
        chat_id: Any = None,
        status: int,
        description: str,
        retry_after: int | None = None,
        times: int = 1,
    ) -> None:
        with self._state.lock:
            self._state.faults.append(Fault(method, chat_id, status, description, retry_after, times))

    def rate_limit(self, method: str = "sendMessage", *, chat_id: Any = None, retry_after: int = 3) -> None:
        self.fail(
            method,
            chat_id=chat_id,
            status=429,
            description=f"Too Many Requests: retry after {retry_after}",
            retry_after=retry_after,
        )

    def block(self, chat_id: int, *, times: int = 1_000_000) -> None:
        """The user blocked the bot: every message to them is refused with 403."""
        self.fail(
            "sendMessage",
            chat_id=chat_id,
            status=403,
            description="Forbidden: bot was blocked by the user",
            times=times,
        )

    # --- serving -------------------------------------------------------------------------------------

    def _handle(self, request: BaseHTTPRequestHandler) -> None:
        path = request.path.split("?", 1)[0].strip("/")
        token, _, method = path.partition("/")
        if not token.startswith("bot") or not method:
            self._answer(request, 404, {"ok": False, "error_code": 404, "description": "Not Found"})
            return
        length = int(request.headers.get("Content-Length") or 0)
        raw = request.rfile.read(length) if length else b""
        params = _parse(request.headers.get("Content-Type", ""), raw)
        call = Call(method, params, token.removeprefix("bot"))
        with self._state.lock:
            self._state.calls.append(call)
            fault = self._take_fault(call)
        if fault is not None:
            body: dict[str, Any] = {"ok": False, "error_code": fault.status, "description": fault.description}
            if fault.retry_after is not None:
                body["parameters"] = {"retry_after": fault.retry_after}
            self._answer(request, fault.status, body)
            return
        refusal = _refusal(call)
        if refusal is not None:
            self._answer(request, 400, {"ok": False, "error_code": 400, "description": refusal})
            return
        self._answer(request, 200, {"ok": True, "result": self._result(call)})

    def _take_fault(self, call: Call) -> Fault | None:
        for fault in self._state.faults:
            if fault.method == call.method and (fault.chat_id is None or fault.chat_id == call.chat_id):
                fault.times -= 1
                if fault.times <= 0:
                    self._state.faults.remove(fault)
                return fault
        return None

    def _result(self, call: Call) -> Any:
        p = call.params
        bot = {"id": self.bot_id, "is_bot": True, "first_name": self.username, "username": self.username}
        if call.method == "getMe":
            return {
                **bot,
                "can_join_groups": True,
                "can_read_all_group_messages": False,
                "supports_inline_queries": False,
            }
        if call.method in ("sendMessage", "editMessageText"):
            chat_id = p.get("chat_id")
            chat = {
                "id": chat_id,
                "type": "private" if isinstance(chat_id, int) and chat_id > 0 else "supergroup",
            }
            with self._state.lock:
                message_id = p.get("message_id") or next(self._state.message_ids)
            message: dict[str, Any] = {
                "message_id": message_id,
                "from": bot,
                "chat": chat,
                "date": int(time.time()),
                "text": p.get("text", ""),
            }
            if p.get("message_thread_id"):
                message["message_thread_id"] = p["message_thread_id"]
                message["is_topic_message"] = True
            if isinstance(p.get("reply_markup"), dict) and "inline_keyboard" in p["reply_markup"]:
                message["reply_markup"] = p["reply_markup"]
            return message
        if call.method == "createForumTopic":
            with self._state.lock:
                thread = next(self._state.thread_ids)
            return {"message_thread_id": thread, "name": p.get("name", ""), "icon_color": 7322096}
        if call.method == "copyMessage":
            with self._state.lock:
                return {"message_id": next(self._state.message_ids)}
        if call.method == "getUpdates":
            return self._updates(p)
        return True

    def _updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        limit = min(int(params.get("limit") or 100), 100)
        deadline = time.monotonic() + min(float(params.get("timeout") or 0), 50.0)
        state = self._state
        with state.updates_ready:
            while True:
                state.updates = [u for u in state.updates if u["update_id"] >= offset]
                remaining = deadline - time.monotonic()
                if state.updates or remaining <= 0 or state.closing:
                    return state.updates[:limit]
                state.updates_ready.wait(remaining)

    @staticmethod
    def _answer(request: BaseHTTPRequestHandler, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        try:
            request.send_response(status)
            request.send_header("Content-Type", "application/json")
            request.send_header("Content-Length", str(len(data)))
            request.end_headers()
            request.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            return  # the client gave up (a long poll of a bot that stopped): nothing to answer


def _parse(content_type: str, raw: bytes) -> dict[str, Any]:
    """Parameters as Telegram reads them: JSON body, or form fields whose objects are JSON-encoded."""
    if not raw:
        return {}
    if "application/json" in content_type:
        value = json.loads(raw)
        return value if isinstance(value, dict) else {}
    if "multipart/form-data" in content_type:
        return _parse_multipart(content_type, raw)
    return {k: _value(k, v) for k, v in parse_qsl(raw.decode(), keep_blank_values=True)}


def _parse_multipart(content_type: str, raw: bytes) -> dict[str, Any]:
    boundary = content_type.split("boundary=", 1)[-1].strip('"').encode()
    params: dict[str, Any] = {}
    for part in raw.split(b"--" + boundary):
        head, _, body = part.partition(b"\r\n\r\n")
        if b'name="' not in head:
            continue
        name = head.split(b'name="', 1)[1].split(b'"', 1)[0].decode()
        params[name] = _value(name, body.rstrip(b"\r\n").decode(errors="replace"))
    return params


def _value(name: str, value: str) -> Any:
    if name in _INT_FIELDS and value.lstrip("-").isdigit():
        return int(value)
    if value[:1] in "{[" or value in ("true", "false"):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


# --- what Telegram refuses -------------------------------------------------------------------------------

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


def _refusal(call: Call) -> str | None:
    """Telegram's 400 for a message it would not accept; None when it would."""
    p = call.params
    if call.method == "copyMessage" and not ("from_chat_id" in p and "message_id" in p):
        return "Bad Request: message to copy not found"
    if call.method in ("sendMessage", "editMessageText"):
        field, limit, name = "text", TEXT_LIMIT, "message text"
    elif call.method == "copyMessage" and "caption" in p:
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


if __name__ == "__main__":
    with FakeTelegram(port=8081) as server:
        print(f"fake Telegram Bot API on {server.url}")
        threading.Event().wait()
