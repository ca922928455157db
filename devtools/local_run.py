"""Run the whole system on this machine: ``python -m devtools.local_run`` (``make run``).

* DynamoDB: an embedded moto server with the table created from the one table definition.
* A local gateway routing ``POST /telegram/webhook`` and ``/admin/...`` to the real Lambda handlers.
* The operators' web app at ``/admin/app``, with a login by admin id (``ADMIN_DEV_LOGIN``, local only).
* The scheduled functions on timers (sync, release, outbox sweep, digests).
* Telegram: a local fake Bot API, unless ``TELEGRAM_BOT_TOKEN`` is set — then the same bot handler runs
  by long polling against Telegram (use a separate test bot: polling and a webhook exclude each other).
* Ozon: a local fake Seller API serving demo orders, unless ``OZON_CLIENT_ID`` and ``OZON_API_KEY`` are set.
* A small demo network is seeded; talk to the bot with ``python -m devtools.chat_console`` (``make chat``).

Ctrl-C stops everything.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import secrets
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

RUNTIME_FILE = Path(".local") / "runtime.json"
LOCAL_BOT_TOKEN = "123456789:LOCAL-development-token"  # noqa: S105 - the fake Bot API accepts any token
LOCAL_OPERATORS_CHAT = "-1001000000001"
LOCAL_ADMIN_ID = "100"
SCHEDULES = {  # function → seconds between runs locally
    "ozon_sync": 60,
    "release_frozen": 300,
    "notify_outbox": 15,
    "notify_digest": 3600,
}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Runtime:
    gateway: str
    dynamodb: str
    telegram_api: str
    ozon_api: str
    webhook_secret: str
    bot_username: str
    fake_telegram: bool
    fake_ozon: bool
    pid: int

    def write(self, path: Path = RUNTIME_FILE) -> None:
        path.parent.mkdir(exist_ok=True)
        path.write_text(json.dumps(self.__dict__, indent=2))

    @classmethod
    def read(cls, path: Path = RUNTIME_FILE) -> Runtime:
        return cls(**json.loads(path.read_text()))


def _configure_environment(moto_url: str) -> None:
    defaults = {
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_DEFAULT_REGION": "eu-central-1",
        "AWS_REGION": "eu-central-1",
        "TABLE_NAME": "referral-local",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_METRICS_NAMESPACE": "OzonReferralLocal",
        "POWERTOOLS_SERVICE_NAME": "local",
        "POWERTOOLS_LOG_LEVEL": "WARNING",
        "POWERTOOLS_METRICS_DISABLED": "true",
        "ADMIN_SESSION_SECRET": secrets.token_urlsafe(32),
        "BOOTSTRAP_ADMIN_IDS": LOCAL_ADMIN_ID,
        # Telegram cannot sign a Login Widget for localhost: the web app offers a login by id instead.
        "ADMIN_DEV_LOGIN": "1",
        "SETTINGS_CACHE_SECONDS": "5",
    }
    for name, value in defaults.items():
        os.environ.setdefault(name, value)
    os.environ["AWS_ENDPOINT_URL_DYNAMODB"] = moto_url


class LocalSystem:
    """Owns every local server and timer; ``stop`` leaves nothing running."""

    def __init__(self, *, port: int, seed_demo: bool, sync_seconds: int | None = None) -> None:
        self.port = port
        self.seed_demo = seed_demo
        self.intervals = dict(SCHEDULES)
        if sync_seconds is not None:
            self.intervals["ozon_sync"] = sync_seconds
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._closers: list[Callable[[], None]] = []
        self.functions: dict[str, Any] = {}

    # --- lifecycle -----------------------------------------------------------------------------------

    def start(self) -> Runtime:
        import logging

        from moto.server import ThreadedMotoServer

        logging.getLogger("werkzeug").setLevel(logging.ERROR)

        moto_port = free_port()
        moto = ThreadedMotoServer(ip_address="127.0.0.1", port=moto_port, verbose=False)
        moto.start()
        self._closers.append(moto.stop)
        _configure_environment(f"http://127.0.0.1:{moto_port}")

        from referral.repository.table import bind_table, create_table

        bind_table(os.environ["TABLE_NAME"], host=os.environ["AWS_ENDPOINT_URL_DYNAMODB"])
        create_table()

        telegram_url, fake_telegram = self._start_telegram()
        ozon_url, fake_ozon = self._start_ozon()
        self._load_functions()

        from devtools.gateway import Gateway, LocalFunction

        self.gateway = Gateway(
            bot=LocalFunction("bot_webhook", self.functions["bot_webhook"]),
            admin=LocalFunction("admin_api", self.functions["admin_api"]),
            bot_api_base=lambda: f"{os.environ['TELEGRAM_API_URL']}/bot{os.environ['TELEGRAM_BOT_TOKEN']}",
            control=self._control,
            port=self.port,
        ).start()
        self._closers.append(self.gateway.stop)
        self.scheduled = {
            name: LocalFunction(name, self.functions[name])
            for name in self.intervals
            if name in self.functions
        }
        runtime = Runtime(
            gateway=self.gateway.url,
            dynamodb=os.environ["AWS_ENDPOINT_URL_DYNAMODB"],
            telegram_api=telegram_url,
            ozon_api=ozon_url,
            webhook_secret=os.environ["TELEGRAM_WEBHOOK_SECRET"],
            bot_username=os.environ["TELEGRAM_BOT_USERNAME"],
            fake_telegram=fake_telegram,
            fake_ozon=fake_ozon,
            pid=os.getpid(),
        )
        if self.seed_demo:
            self._seed_demo()
        for name, seconds in self.intervals.items():
            if name in self.scheduled:
                self._spawn(f"timer-{name}", self._timer, name, seconds)
        if not fake_telegram:
            self._spawn("telegram-polling", self._poll_telegram)
        runtime.write()
        self.runtime = runtime
        return runtime

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=10)
        for close in reversed(self._closers):
            with contextlib.suppress(Exception):
                close()
        with contextlib.suppress(FileNotFoundError):
            RUNTIME_FILE.unlink()

    def _spawn(self, name: str, target: Callable[..., None], *args: Any) -> None:
        thread = threading.Thread(target=target, args=args, name=name, daemon=True)
        thread.start()
        self._threads.append(thread)

    # --- external services: real or fake -----------------------------------------------------------

    def _start_telegram(self) -> tuple[str, bool]:
        os.environ.setdefault("TELEGRAM_WEBHOOK_SECRET", secrets.token_urlsafe(24))
        os.environ.setdefault("OPERATORS_CHAT_ID", LOCAL_OPERATORS_CHAT)
        if os.environ.get("TELEGRAM_BOT_TOKEN") and not os.environ.get("TELEGRAM_API_URL"):
            os.environ["TELEGRAM_API_URL"] = "https://api.telegram.org"
            os.environ.setdefault("TELEGRAM_BOT_USERNAME", "")
            return os.environ["TELEGRAM_API_URL"], False
        from devtools.fake_telegram import FakeTelegram

        self.fake_telegram = FakeTelegram().start()
        self._closers.append(self.fake_telegram.stop)
        os.environ["TELEGRAM_API_URL"] = self.fake_telegram.url
        os.environ.setdefault("TELEGRAM_BOT_TOKEN", LOCAL_BOT_TOKEN)
        os.environ.setdefault("TELEGRAM_BOT_USERNAME", "referral_local_bot")
        return self.fake_telegram.url, True

    def _start_ozon(self) -> tuple[str, bool]:
        if (
            os.environ.get("OZON_CLIENT_ID")
            and os.environ.get("OZON_API_KEY")
            and not os.environ.get("OZON_API_URL")
        ):
            return "https://api-seller.ozon.ru", False
        from devtools.fake_ozon import FakeOzon

        self.fake_ozon = FakeOzon().start()
        self._closers.append(self.fake_ozon.stop)
        os.environ["OZON_API_URL"] = self.fake_ozon.url
        os.environ["OZON_CLIENT_ID"] = self.fake_ozon.client_id
        os.environ["OZON_API_KEY"] = self.fake_ozon.api_key
        return self.fake_ozon.url, True

    def _load_functions(self) -> None:
        from importlib import import_module

        for name in ("bot_webhook", "admin_api", *self.intervals):
            with contextlib.suppress(ModuleNotFoundError):
                self.functions[name] = import_module(f"functions.{name}.handler").handler

    # --- timers, polling, controls -----------------------------------------------------------------

    def run_scheduled(self, name: str) -> Any:
        from devtools.lambda_events import scheduled_event

        return self.scheduled[name].invoke(scheduled_event(f"local-{name}"))

    def _timer(self, name: str, seconds: int) -> None:
        while not self._stop.wait(seconds):
            try:
                self.run_scheduled(name)
            except Exception as error:
                print(f"[{name}] run failed: {type(error).__name__}: {error}", file=sys.stderr)

    def _poll_telegram(self) -> None:
        import requests

        from devtools.lambda_events import http_api_event

        base = f"{os.environ['TELEGRAM_API_URL']}/bot{os.environ['TELEGRAM_BOT_TOKEN']}"
        offset = 0
        while not self._stop.is_set():
            try:
                answer = requests.post(
                    f"{base}/getUpdates", json={"offset": offset, "timeout": 20}, timeout=30
                )
                data = answer.json()
            except (requests.RequestException, ValueError) as error:
                print(f"[telegram] polling failed: {error}", file=sys.stderr)
                self._stop.wait(5)
                continue
            if not data.get("ok"):
                print(f"[telegram] {data.get('description')}", file=sys.stderr)
                self._stop.wait(10)
                continue
            for update in data["result"]:
                offset = update["update_id"] + 1
                body = json.dumps(update).encode()
                headers = {
                    "content-type": "application/json",
                    "x-telegram-bot-api-secret-token": os.environ["TELEGRAM_WEBHOOK_SECRET"],
                }
                event = http_api_event("POST", "/telegram/webhook", headers, body, "POST /telegram/webhook")
                response = self.gateway.bot.invoke(event)
                self.gateway._execute_webhook_answer(response)

    def _control(self, path: str, payload: dict[str, Any], query: dict[str, list[str]]) -> tuple[int, Any]:
        parts = path.strip("/").split("/")[1:]
        if parts == ["health"]:
            return 200, {"ok": True, "functions": sorted(self.functions)}
        if len(parts) == 2 and parts[0] == "run" and parts[1] in self.scheduled:
            return 200, {"function": parts[1], "result": _jsonable(self.run_scheduled(parts[1]))}
        if parts == ["telegram", "calls"] and hasattr(self, "fake_telegram"):
            chat = query.get("chat_id", [None])[0]
            after = int(query.get("after", ["0"])[0])
            calls = self.fake_telegram.calls
            selected = [
                {"index": i, "method": c.method, "params": c.params}
                for i, c in enumerate(calls)
                if i >= after and (chat is None or str(c.chat_id) == chat)
            ]
            return 200, {"calls": selected, "next": len(calls)}
        if parts == ["ozon", "postings"] and hasattr(self, "fake_ozon"):
            number = _add_demo_posting(
                self.fake_ozon,
                customer_id=payload.get("customer_id"),
                amount=Decimal(str(payload.get("amount", "1000.00"))),
                scheme=str(payload.get("scheme", "FBS")),
                status=str(payload.get("status", "delivered")),
            )
            return 200, {"posting_number": number}
        return 404, {"message": f"unknown local control {path}"}

    # --- demo data ------------------------------------------------------------------------------------

    def _seed_demo(self) -> None:
        from devtools import demo

        people = demo.seed_network(self.gateway.url, os.environ["TELEGRAM_WEBHOOK_SECRET"])
        if hasattr(self, "fake_ozon"):
            time.sleep(0.01)  # orders count only when placed after their buyer registered (R6)
            for person in people:
                _add_demo_posting(self.fake_ozon, customer_id=person.ozon_id, amount=person.order_amount)
            self.run_scheduled("ozon_sync")


_posting_counter = iter(range(1, 1_000_000))


def _add_demo_posting(
    fake: Any, *, customer_id: Any, amount: Decimal, scheme: str = "FBS", status: str = "delivered"
) -> str:
    from devtools.fake_ozon import FakeProduct

    number = f"7{next(_posting_counter):07d}-0001-1"
    created = datetime.now(UTC)
    products = [FakeProduct(sku=100_000 + int(amount), name="Чай улун «Молочный»", price=amount, quantity=1)]
    if scheme == "FBO":
        fake.add_fbo(number, created, products, status=status)
    else:
        fake.add_fbs(
            number, created, products, status=status, customer_id=int(customer_id) if customer_id else None
        )
    return number


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))


@contextlib.contextmanager
def running(**options: Any) -> Iterator[LocalSystem]:
    system = LocalSystem(**options)
    try:
        system.start()
        yield system
    finally:
        system.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--port", type=int, default=int(os.environ.get("LOCAL_PORT", "8000")))
    parser.add_argument("--no-demo", action="store_true", help="start with an empty table")
    parser.add_argument("--sync-seconds", type=int, default=None, help="how often the Ozon sync runs")
    args = parser.parse_args(argv)

    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    signal.signal(signal.SIGINT, lambda *_: stopped.set())
    with running(port=args.port, seed_demo=not args.no_demo, sync_seconds=args.sync_seconds) as system:
        runtime = system.runtime
        print(
            "\n".join(
                [
                    "Ozon referral program is running locally.",
                    f"  HTTP API (gateway):   {runtime.gateway}  (POST /telegram/webhook, /admin/...)",
                    f"  Admin web app:        {runtime.gateway}/admin/app  (local login by admin id)",
                    f"  Admin API contract:   {runtime.gateway}/admin/openapi.json",
                    f"  DynamoDB (moto):      {runtime.dynamodb}  table {os.environ['TABLE_NAME']}",
                    f"  Telegram Bot API:     {runtime.telegram_api}"
                    + ("  (local fake)" if runtime.fake_telegram else "  (real, long polling)"),
                    f"  Ozon Seller API:      {runtime.ozon_api}"
                    + ("  (local fake)" if runtime.fake_ozon else ""),
                    f"  Local admin id:       {os.environ['BOOTSTRAP_ADMIN_IDS']}",
                    "  Talk to the bot:      make chat   (or: python -m devtools.chat_console --user 5001)",
                    "Press Ctrl-C to stop.",
                ]
            ),
            flush=True,
        )
        stopped.wait()
        print("Stopping…", flush=True)
    print("Stopped.", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
