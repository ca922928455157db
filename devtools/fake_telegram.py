"""A local fake of the Telegram Bot API: records every call and answers like Telegram does.

Serves ``POST /bot<token>/<method>`` on 127.0.0.1 (a random port by default), accepting JSON, form and
multipart bodies as the real API does. Every call is recorded with its method and parameters. Faults can
be scripted per method (or for every method) and chat: a 429 with ``parameters.retry_after`` for a number of
calls or for a chat (a group's limit), or a 403 "bot was blocked by the user".
Updates queued with ``push_update`` are served by ``getUpdates`` with Telegram's long polling: ``offset``
confirms (forgets) the updates before it, ``timeout`` waits that many seconds for a new one; while a webhook
is set, ``getUpdates`` is refused with 409 as Telegram does.
The webhook (``setWebhook``/``deleteWebhook``/``getWebhookInfo``, with delivery trouble tests can set), chats
(``getChat``) and their members (``getChatMember``) are state tests configure with ``set_webhook_trouble``,
``add_chat`` and ``set_member``.
Given a ``contract`` (the published Bot API description), every call, every answer and every queued update
is checked against it and what does not match is kept in ``violations``.
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
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol
from urllib.parse import parse_qsl

from devtools.telegram_refusals import refusal_of

_INT_FIELDS = {"chat_id", "message_id", "message_thread_id", "from_chat_id", "user_id", "reply_to_message_id"}
_TEXT_FIELDS = {"text", "caption", "name", "callback_query_id", "url", "secret_token", "parse_mode", "data"}
"""Free text: kept as sent even when it reads like JSON (a participant may well write ``true`` or ``[1]``)."""


class Contract(Protocol):
    """What the fake checks calls, answers and updates against (e.g. the published Bot API description)."""

    def knows(self, method: str) -> bool: ...

    def call_violations(self, method: str, params: Mapping[str, Any], *, form: bool) -> list[str]: ...

    def result_violations(self, method: str, result: Any) -> list[str]: ...

    def update_violations(self, update: Mapping[str, Any]) -> list[str]: ...


@dataclass(frozen=True)
class Call:
    method: str
    params: dict[str, Any]
    token: str
    wire: dict[str, Any] = field(default_factory=dict)
    """The parameters as sent: JSON values, or a form's strings (``form``) before Telegram decodes them."""
    form: bool = False

    @property
    def chat_id(self) -> Any:
        return self.params.get("chat_id")

    @property
    def text(self) -> str:
        return str(self.params.get("text", ""))


@dataclass
class Fault:
    method: str | None
    """None: every method."""
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
    webhook: dict[str, Any] = field(default_factory=dict)
    webhook_trouble: dict[str, Any] = field(default_factory=dict)
    chats: dict[int, dict[str, Any]] = field(default_factory=dict)
    members: dict[tuple[int, int], dict[str, Any]] = field(default_factory=dict)
    violations: list[str] = field(default_factory=list)
    checked: list[tuple[str, str]] = field(default_factory=list)


class FakeTelegram:
    """The fake server. ``bot_id``/``username`` describe the bot for ``getMe``; a ``contract`` checks every
    call, answer and update against the published Bot API."""

    def __init__(
        self,
        *,
        bot_id: int = 7000000001,
        username: str = "referral_test_bot",
        port: int = 0,
        contract: Contract | None = None,
    ) -> None:
        self.bot_id = bot_id
        self.username = username
        self.contract = contract
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

    # --- inspection ----------------------------------------------------------------------------------

    @property
    def bot_user(self) -> dict[str, Any]:
        return {"id": self.bot_id, "is_bot": True, "first_name": self.username, "username": self.username}

    @property
    def calls(self) -> list[Call]:
        with self._state.lock:
            return list(self._state.calls)

    def calls_to(self, method: str, chat_id: Any = None) -> list[Call]:
        return [c for c in self.calls if c.method == method and (chat_id is None or c.chat_id == chat_id)]

    @property
    def violations(self) -> list[str]:
        """Where calls, answers, updates or webhook answers departed from the contract (empty without one)."""
        with self._state.lock:
            return list(self._state.violations)

    @property
    def checked(self) -> list[tuple[str, str]]:
        """What was checked against the contract: (``call``, ``answer``, ``webhook answer`` or ``update``,
        the method or the update's kind). Like ``violations``, kept across ``reset`` until
        ``reset_contract_log``."""
        with self._state.lock:
            return list(self._state.checked)

    def reset_contract_log(self) -> None:
        with self._state.lock:
            self._state.violations.clear()
            self._state.checked.clear()

    def check_webhook_answer(self, body: Mapping[str, Any]) -> list[str]:
        """Telegram makes the call a webhook answer carries: check it like a call sent as JSON."""
        params = {key: value for key, value in body.items() if key != "method"}
        method = str(body.get("method", ""))
        found: list[str] = []
        if self.contract is not None:
            if not self.contract.knows(method):
                found = [f"webhook answer: unknown method {method!r}"]
            else:
                found = [
                    f"webhook answer {method}: {problem}"
                    for problem in self.contract.call_violations(method, params, form=False)
                ]
        self._record(found, ("webhook answer", method) if self.contract is not None else None)
        return found

    # --- scripting ------------------------------------------------------------------------------------

    def push_update(self, update: dict[str, Any]) -> int:
        """Queue an update for the bot's ``getUpdates``, numbered in order unless it has its own id."""
        with self._state.updates_ready:
            queued = {**update, "update_id": update.get("update_id") or next(self._state.update_ids)}
            self._state.updates.append(queued)
            self._state.updates_ready.notify_all()
        if self.contract is not None:
            kind = next((key for key in queued if key != "update_id"), "")
            self._record([f"update: {p}" for p in self.contract.update_violations(queued)], ("update", kind))
        return int(queued["update_id"])

    def reset(self) -> None:
        """Forget calls, faults and configured state (what the contract check found stays)."""
        with self._state.lock:
            self._state.calls.clear()
            self._state.faults.clear()
            self._state.webhook.clear()
            self._state.webhook_trouble.clear()
            self._state.chats.clear()
            self._state.members.clear()
        with self._state.updates_ready:
            self._state.updates.clear()

    def fail(
        self,
        method: str | None,
        *,
        chat_id: Any = None,
        status: int,
        description: str,
        retry_after: int | None = None,
        times: int = 1,
    ) -> None:
        """The next ``times`` calls of ``method`` (None: of any method), to ``chat_id`` if given, fail."""
        with self._state.lock:
            self._state.faults.append(Fault(method, chat_id, status, description, retry_after, times))

    def rate_limit(
        self, method: str | None = "sendMessage", *, chat_id: Any = None, retry_after: int = 3, times: int = 1
    ) -> None:
        """Telegram's flood limit: 429 with ``parameters.retry_after`` for the next ``times`` calls of
        ``method`` (None: any method), or only for calls to ``chat_id`` (a group's own limit)."""
        self.fail(
            method,
            chat_id=chat_id,
            status=429,
            description=f"Too Many Requests: retry after {retry_after}",
            retry_after=retry_after,
            times=times,
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

    def set_webhook_trouble(
        self,
        *,
        pending_update_count: int = 0,
        last_error_message: str | None = None,
        last_error_date: int | None = None,
    ) -> None:
        """What ``getWebhookInfo`` reports about delivery: updates waiting and the last failure, if any."""
        trouble: dict[str, Any] = {"pending_update_count": pending_update_count}
        if last_error_message is not None:
            trouble["last_error_message"] = last_error_message
            trouble["last_error_date"] = last_error_date if last_error_date is not None else int(time.time())
        with self._state.lock:
            self._state.webhook_trouble = trouble

    def add_chat(
        self,
        chat_id: int,
        *,
        type: str = "supergroup",
        title: str = "Operators",
        is_forum: bool = True,
        bot_status: str = "administrator",
        can_manage_topics: bool = True,
    ) -> None:
        """A chat ``getChat`` knows, with the bot in it (``bot_status`` and, for an admin, its topic right).

        Once a chat is known, ``createForumTopic`` there needs a forum and that right, as in Telegram."""
        chat: dict[str, Any] = {"id": chat_id, "type": type}
        if type == "private":
            chat["first_name"] = title
        else:
            chat.update(title=title, is_forum=is_forum)
        with self._state.lock:
            self._state.chats[chat_id] = chat
        self.set_member(chat_id, self.bot_id, status=bot_status, can_manage_topics=can_manage_topics)

    def set_member(
        self, chat_id: int, user_id: int, *, status: str = "member", can_manage_topics: bool = False
    ) -> None:
        """``getChatMember``'s answer for ``user_id`` in ``chat_id``: a status, and an admin's topic right."""
        user = (
            self.bot_user
            if user_id == self.bot_id
            else {"id": user_id, "is_bot": False, "first_name": f"User {user_id}"}
        )
        with self._state.lock:
            self._state.members[(chat_id, user_id)] = _chat_member(user, status, can_manage_topics)

    # --- serving -------------------------------------------------------------------------------------

    def _record(self, violations: list[str], checked: tuple[str, str] | None = None) -> None:
        with self._state.lock:
            self._state.violations.extend(violations)
            if checked is not None:
                self._state.checked.append(checked)

    def _handle(self, request: BaseHTTPRequestHandler) -> None:
        path = request.path.split("?", 1)[0].strip("/")
        token, _, method = path.partition("/")
        if not token.startswith("bot") or not method:
            self._answer(request, 404, _error(404, "Not Found"))
            return
        length = int(request.headers.get("Content-Length") or 0)
        raw = request.rfile.read(length) if length else b""
        params, wire, form = _parse(request.headers.get("Content-Type", ""), raw)
        call = Call(method, params, token.removeprefix("bot"), wire, form)
        with self._state.lock:
            self._state.calls.append(call)
            fault = self._take_fault(call)
        status, body = self._respond(call, fault)
        self._answer(request, status, body)

    def _respond(self, call: Call, fault: Fault | None) -> tuple[int, dict[str, Any]]:
        if self.contract is not None:
            if not self.contract.knows(call.method):
                self._record([f"unknown method {call.method!r}"], ("call", call.method))
                return 404, _error(404, "Not Found")
            problems = self.contract.call_violations(call.method, call.wire, form=call.form)
            self._record([f"{call.method}: {problem}" for problem in problems], ("call", call.method))
        if fault is not None:
            body = _error(fault.status, fault.description)
            if fault.retry_after is not None:
                body["parameters"] = {"retry_after": fault.retry_after}
            return fault.status, body
        refusal = refusal_of(call.method, call.params) or self._state_refusal(call)
        if refusal is not None:
            status = 409 if refusal.startswith("Conflict") else 400
            return status, _error(status, refusal)
        result = self._result(call)
        if self.contract is not None:
            problems = self.contract.result_violations(call.method, result)
            self._record(
                [f"{call.method} answer: {problem}" for problem in problems], ("answer", call.method)
            )
        return 200, {"ok": True, "result": result}

    def _take_fault(self, call: Call) -> Fault | None:
        for fault in self._state.faults:
            if fault.method in (None, call.method) and (
                fault.chat_id is None or fault.chat_id == call.chat_id
            ):
                fault.times -= 1
                if fault.times <= 0:
                    self._state.faults.remove(fault)
                return fault
        return None

    def _state_refusal(self, call: Call) -> str | None:
        """Telegram's refusals that depend on the configured webhook, chats and rights."""
        p = call.params
        with self._state.lock:
            webhook_set = bool(self._state.webhook.get("url"))
            chat = self._state.chats.get(_int(p.get("chat_id")))
            bot = self._state.members.get((_int(p.get("chat_id")), self.bot_id), {})
        if call.method == "getUpdates" and webhook_set:
            return (
                "Conflict: can't use getUpdates method while webhook is active;"
                " use deleteWebhook to delete the webhook first"
            )
        if call.method == "setWebhook" and p.get("url") and not str(p["url"]).startswith("https://"):
            return "Bad Request: bad webhook: An HTTPS URL must be provided for webhook"
        if call.method in ("getChat", "getChatMember") and chat is None:
            return "Bad Request: chat not found"
        if call.method == "createForumTopic" and chat is not None:
            if not chat.get("is_forum"):
                return "Bad Request: the chat is not a forum"
            if bot.get("status") != "creator" and not bot.get("can_manage_topics"):
                return "Bad Request: not enough rights to create a topic"
        return None

    def _result(self, call: Call) -> Any:
        p = call.params
        if call.method == "getMe":
            return {
                **self.bot_user,
                "can_join_groups": True,
                "can_read_all_group_messages": False,
                "supports_inline_queries": False,
            }
        if call.method in ("sendMessage", "editMessageText"):
            return self._message(p)
        if call.method == "createForumTopic":
            with self._state.lock:
                thread = next(self._state.thread_ids)
            return {"message_thread_id": thread, "name": p.get("name", ""), "icon_color": 7322096}
        if call.method == "copyMessage":
            with self._state.lock:
                return {"message_id": next(self._state.message_ids)}
        if call.method == "getUpdates":
            return self._updates(p)
        if call.method in ("setWebhook", "deleteWebhook", "getWebhookInfo"):
            return self._webhook(call.method, p)
        if call.method in ("getChat", "getChatMember"):
            return self._chat(call.method, p)
        return True

    def _message(self, p: dict[str, Any]) -> dict[str, Any]:
        chat_id = p.get("chat_id")
        with self._state.lock:
            chat = self._state.chats.get(_int(chat_id))
            message_id = p.get("message_id") or next(self._state.message_ids)
        if chat is None:
            chat = {
                "id": chat_id,
                "type": "private" if isinstance(chat_id, int) and chat_id > 0 else "supergroup",
            }
        message: dict[str, Any] = {
            "message_id": message_id,
            "from": self.bot_user,
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

    def _webhook(self, method: str, p: dict[str, Any]) -> Any:
        with self._state.lock:
            webhook, trouble = self._state.webhook, self._state.webhook_trouble
            if method == "setWebhook":
                webhook.clear()
                webhook.update({k: p[k] for k in ("url", "max_connections", "allowed_updates") if k in p})
            elif method == "deleteWebhook":
                webhook.clear()
            if method != "getWebhookInfo":
                if p.get("drop_pending_updates"):
                    trouble["pending_update_count"] = 0
                return True
            info: dict[str, Any] = {"url": "", "has_custom_certificate": False, "pending_update_count": 0}
            return {**info, **webhook, **trouble}

    def _chat(self, method: str, p: dict[str, Any]) -> dict[str, Any]:
        chat_id, user_id = _int(p.get("chat_id")), _int(p.get("user_id"))
        with self._state.lock:
            chat = self._state.chats[chat_id]
            member = self._state.members.get((chat_id, user_id))
        if method == "getChatMember":
            user = {"id": user_id, "is_bot": False, "first_name": f"User {user_id}"}
            return member or _chat_member(user, "left", False)
        return {
            **chat,
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        }

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


_ADMIN_RIGHTS = (
    "can_be_edited",
    "is_anonymous",
    "can_manage_chat",
    "can_delete_messages",
    "can_manage_video_chats",
    "can_restrict_members",
    "can_promote_members",
    "can_change_info",
    "can_invite_users",
    "can_post_stories",
    "can_edit_stories",
    "can_delete_stories",
)


def _chat_member(user: dict[str, Any], status: str, can_manage_topics: bool) -> dict[str, Any]:
    """A ``ChatMember`` of the subtype ``status`` names; an administrator has the usual rights."""
    member: dict[str, Any] = {"status": status, "user": user}
    if status == "administrator":
        member.update({right: right in ("can_manage_chat", "can_delete_messages") for right in _ADMIN_RIGHTS})
        member.update(can_pin_messages=True, can_manage_topics=can_manage_topics)
    elif status == "creator":
        member["is_anonymous"] = False
    return member


def _error(status: int, description: str) -> dict[str, Any]:
    return {"ok": False, "error_code": status, "description": description}


def _int(value: Any) -> int:
    """A chat or user id as Telegram reads it, whether sent as a number or a string (0 when it is neither)."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def _parse(content_type: str, raw: bytes) -> tuple[dict[str, Any], dict[str, Any], bool]:
    """Parameters as Telegram reads them (JSON body, or form fields whose objects are JSON-encoded), the
    parameters as sent, and whether they came as a form."""
    if not raw:
        return {}, {}, False
    if "application/json" in content_type:
        value = json.loads(raw)
        params = value if isinstance(value, dict) else {}
        return params, params, False
    if "multipart/form-data" in content_type:
        wire = _parse_multipart(content_type, raw)
    else:
        wire = dict(parse_qsl(raw.decode(), keep_blank_values=True))
    return {k: _value(k, v) for k, v in wire.items()}, wire, True


def _parse_multipart(content_type: str, raw: bytes) -> dict[str, str]:
    boundary = content_type.split("boundary=", 1)[-1].strip('"').encode()
    params: dict[str, str] = {}
    for part in raw.split(b"--" + boundary):
        head, _, body = part.partition(b"\r\n\r\n")
        if b'name="' not in head:
            continue
        name = head.split(b'name="', 1)[1].split(b'"', 1)[0].decode()
        params[name] = body.rstrip(b"\r\n").decode(errors="replace")
    return params


def _value(name: str, value: str) -> Any:
    if name in _TEXT_FIELDS:
        return value
    if name in _INT_FIELDS and value.lstrip("-").isdigit():
        return int(value)
    if value[:1] in "{[" or value in ("true", "false"):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


if __name__ == "__main__":
    with FakeTelegram(port=8081) as server:
        print(f"fake Telegram Bot API on {server.url}")
        threading.Event().wait()
