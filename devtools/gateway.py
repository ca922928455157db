"""A local stand-in for API Gateway: routes HTTP requests to the real Lambda handlers.

``POST /telegram/webhook`` → the bot, ``/admin/...`` → the admin API, each as an HTTP API payload v2
event. Like Telegram, the gateway executes a Bot API method the webhook returns in its response body.
``/_local/...`` are the local runner's own controls (health, running a scheduled function now, the fake
Bot API's record for the chat console), never part of the deployed API.
"""

from __future__ import annotations

import base64
import json
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests

from devtools.lambda_events import LocalLambdaContext, http_api_event

Handler = Callable[[dict[str, Any], Any], Any]
Control = Callable[[str, dict[str, Any], dict[str, list[str]]], tuple[int, Any]]


@dataclass
class LocalFunction:
    """A handler plus the lock that makes it behave like one Lambda container (one event at a time)."""

    name: str
    handler: Handler
    lock: threading.Lock = field(default_factory=threading.Lock)

    def invoke(self, event: dict[str, Any]) -> Any:
        with self.lock:
            return self.handler(event, LocalLambdaContext(self.name))


class Gateway:
    def __init__(
        self,
        *,
        bot: LocalFunction,
        admin: LocalFunction,
        bot_api_base: Callable[[], str],
        control: Control,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.bot = bot
        self.admin = admin
        self.bot_api_base = bot_api_base
        self.control = control
        gateway = self

        class RequestHandler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                gateway._handle(self)

            def do_POST(self) -> None:
                gateway._handle(self)

            def do_PUT(self) -> None:
                gateway._handle(self)

            def do_PATCH(self) -> None:
                gateway._handle(self)

            def do_DELETE(self) -> None:
                gateway._handle(self)

            def do_OPTIONS(self) -> None:
                gateway._handle(self)

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer((host, port), RequestHandler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, name="gateway", daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        name = host.decode() if isinstance(host, bytes) else str(host)
        return f"http://{name}:{port}"

    def start(self) -> Gateway:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _handle(self, request: BaseHTTPRequestHandler) -> None:
        length = int(request.headers.get("content-length") or 0)
        body = request.rfile.read(length) if length else b""
        path = urlsplit(request.path).path
        try:
            if path.startswith("/_local/"):
                payload = json.loads(body) if body else {}
                status, answer = self.control(path, payload, parse_qs(urlsplit(request.path).query))
                self._send(request, status, {"content-type": "application/json"}, json.dumps(answer).encode())
                return
            if path == "/telegram/webhook" and request.command == "POST":
                function, route = self.bot, "POST /telegram/webhook"
            elif path.startswith("/admin"):
                function, route = self.admin, "ANY /admin/{proxy+}"
            else:
                self._send(request, 404, {"content-type": "application/json"}, b'{"message":"Not Found"}')
                return
            event = http_api_event(request.command, request.path, dict(request.headers), body, route)
            response = function.invoke(event)
            if function is self.bot:
                self.run_webhook_answer(response)
            self._reply(request, response)
        except Exception as error:
            message = json.dumps({"message": "Internal Server Error", "detail": f"{type(error).__name__}"})
            self._send(request, 500, {"content-type": "application/json"}, message.encode())

    def run_webhook_answer(self, response: Any) -> None:
        """Telegram runs a method returned in the webhook's response body; so does the gateway."""
        if not isinstance(response, dict) or not response.get("body"):
            return
        try:
            answer = json.loads(response["body"])
        except ValueError:
            return
        if isinstance(answer, dict) and isinstance(answer.get("method"), str):
            method = answer.pop("method")
            result = requests.post(f"{self.bot_api_base()}/{method}", json=answer, timeout=10)
            if not result.ok:  # Telegram drops a failed webhook answer; the local run says so
                print(f"[telegram] {method} from the webhook answer failed: HTTP {result.status_code}",
                      file=sys.stderr)  # fmt: skip

    def _reply(self, request: BaseHTTPRequestHandler, response: Any) -> None:
        if not isinstance(response, dict) or "statusCode" not in response:
            body = response if isinstance(response, str) else json.dumps(response)
            self._send(request, 200, {"content-type": "application/json"}, body.encode())
            return
        raw = response.get("body") or ""
        data = base64.b64decode(raw) if response.get("isBase64Encoded") else str(raw).encode()
        headers = {str(k): str(v) for k, v in (response.get("headers") or {}).items()}
        for name, values in (response.get("multiValueHeaders") or {}).items():
            headers[name] = ", ".join(str(v) for v in values)
        self._send(request, int(response["statusCode"]), headers, data, cookies=response.get("cookies") or [])

    @staticmethod
    def _send(
        request: BaseHTTPRequestHandler,
        status: int,
        headers: dict[str, str],
        body: bytes,
        *,
        cookies: list[str] | None = None,
    ) -> None:
        request.send_response(status)
        for name, value in headers.items():
            if name.lower() not in ("content-length", "connection"):
                request.send_header(name, value)
        for cookie in cookies or []:
            request.send_header("Set-Cookie", cookie)
        request.send_header("Content-Length", str(len(body)))
        request.end_headers()
        request.wfile.write(body)
