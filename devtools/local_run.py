"""Run the whole system on this machine: ``python -m devtools.local_run`` (``make run``).

* DynamoDB: an embedded moto server with the table created from the one table definition.
* A local gateway routing ``POST /telegram/webhook`` and ``/admin/...`` to the real Lambda handlers.
* The operators' web app at ``/admin/app``, with a login by admin id (``ADMIN_DEV_LOGIN``, local only).
* The scheduled functions on timers (sync, release, outbox sweep, digests, dashboard rollup).
* Telegram: a local fake Bot API, unless ``TELEGRAM_BOT_TOKEN`` is set — then the same bot handler runs
  by long polling against ``TELEGRAM_API_URL`` (Telegram by default; use a separate test bot: polling and
  a webhook exclude each other). Polling needs ``OPERATORS_CHAT_ID``; the bot's username comes from
  ``getMe`` unless ``TELEGRAM_BOT_USERNAME`` is set.
* Ozon: a local fake Seller API serving demo orders, unless ``OZON_CLIENT_ID`` and ``OZON_API_KEY`` are set.
* A small demo network is seeded (with the local fake Bot API only: the demo people are not real Telegram
  users); talk to the bot with ``python -m devtools.chat_console`` (``make chat``).
* The services listen next to the gateway's port (8000): DynamoDB and Secrets Manager (moto) on 8001, the
  fake Bot API on 8002, the fake Seller API on 8003 — where ``infra/sam-local-env.json`` points
  ``sam local invoke``; the secrets are there under the names the stack uses.
* The table is saved to ``.local/snapshot.json`` on stop and loaded on the next start (``--no-snapshot``
  starts empty and saves nothing).
* The payout fingerprint key is a secret in the local Secrets Manager, as the stack makes it, so the shared
  payout signal works; its value is kept in ``.local/payout-fingerprint-key`` with the snapshot.

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
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from devtools.local_secrets import PAYOUT_KEY_FILE, payout_fingerprint_key, publish_secrets

RUNTIME_FILE = Path(".local") / "runtime.json"
SNAPSHOT_FILE = Path(".local") / "snapshot.json"
LOCAL_BOT_TOKEN = "123456789:LOCAL-development-token"  # noqa: S105 - the fake Bot API accepts any token
LOCAL_OPERATORS_CHAT = "-1001000000001"
LOCAL_ADMIN_ID = "100"
SCHEDULES = {  # function → seconds between runs locally
    "ozon_sync": 60,
    "release_frozen": 300,
    "notify_outbox": 15,
    "notify_digest": 3600,
    "statistics_rollup": 300,
    "reconcile": 3600,
}
SERVICE_PORT_OFFSETS = {"dynamodb": 1, "telegram": 2, "ozon": 3}
"""Each local service listens on the gateway's port plus its offset (see ``infra/sam-local-env.json``)."""
POLL_TIMEOUT = 10
POLL_BACKOFF_SECONDS = (1, 2, 5, 10, 30)


class StartupError(RuntimeError):
    """The local system cannot start as configured; the message says what to do."""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def port_is_free(port: int) -> bool:
    """Free for our servers, which bind with SO_REUSEADDR: a port a stopped run left in TIME_WAIT is free (so
    a quick restart keeps its ports), one something listens on is not."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def service_port(gateway_port: int, service: str) -> int:
    """Next to the gateway's port when free (so ``sam local`` finds it), else any free port."""
    wanted = gateway_port + SERVICE_PORT_OFFSETS[service]
    if gateway_port and wanted < 65536 and port_is_free(wanted):
        return wanted
    return free_port()


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
    payout_key_arn: str = ""

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
    # The key operators enter in the admin app is kept in Secrets Manager, the same moto server.
    os.environ["AWS_ENDPOINT_URL_SECRETS_MANAGER"] = moto_url


def _bot_username(api_url: str, token: str) -> str:
    """The bot's @username from ``getMe``: deep links need it, and a token tells only the bot's id."""
    import requests

    try:
        answer = requests.post(f"{api_url}/bot{token}/getMe", timeout=15).json()
    except (requests.RequestException, ValueError) as error:
        raise StartupError(
            f"Could not ask {api_url} who the bot is (getMe failed: {type(error).__name__}). "
            "Check the network, or set TELEGRAM_BOT_USERNAME."
        ) from None
    if not answer.get("ok"):
        raise StartupError(f"Telegram refused TELEGRAM_BOT_TOKEN (getMe: {answer.get('description')}).")
    return str(answer["result"]["username"])


def _dynamodb() -> Any:
    import boto3

    return boto3.client("dynamodb", endpoint_url=os.environ["AWS_ENDPOINT_URL_DYNAMODB"])


def _save_snapshot(path: Path = SNAPSHOT_FILE) -> int:
    """Every item of the table, as DynamoDB JSON; written whole, then moved into place."""
    items = [
        item
        for page in _dynamodb().get_paginator("scan").paginate(TableName=os.environ["TABLE_NAME"])
        for item in page["Items"]
    ]
    path.parent.mkdir(exist_ok=True)
    partial = path.with_suffix(".partial")
    partial.write_text(json.dumps({"table": os.environ["TABLE_NAME"], "items": items}, ensure_ascii=False))
    partial.replace(path)
    return len(items)


def _load_snapshot(path: Path = SNAPSHOT_FILE) -> bool:
    """Put the items of the last snapshot back into the (new, empty) table; False when there is none."""
    if not path.exists():
        return False
    items = json.loads(path.read_text())["items"]
    client, table = _dynamodb(), os.environ["TABLE_NAME"]
    for start in range(0, len(items), 25):
        pending = {table: [{"PutRequest": {"Item": item}} for item in items[start : start + 25]]}
        while pending:
            pending = client.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}
    return True


class LocalSystem:
    """Owns every local server and timer; ``stop`` leaves nothing running."""

    def __init__(
        self, *, port: int, seed_demo: bool, sync_seconds: int | None = None, snapshot: bool = True
    ) -> None:
        self.port = port
        self.seed_demo = seed_demo
        self.snapshot = snapshot
        self.intervals = dict(SCHEDULES)
        if sync_seconds is not None:
            self.intervals["ozon_sync"] = sync_seconds
        self._stop = threading.Event()
        self._threads: list[tuple[threading.Thread, float]] = []
        """Each thread with how long ``stop`` waits for it."""
        self._closers: list[Callable[[], None]] = []
        self.snapshot_loaded = False
        self.seeded_demo = False
        self.functions: dict[str, Any] = {}

    # --- lifecycle -----------------------------------------------------------------------------------

    def start(self) -> Runtime:
        """Start everything, or — if anything fails — stop what did start and raise."""
        try:
            return self._start()
        except BaseException:
            self._shut_down()
            raise

    def _start(self) -> Runtime:
        import logging

        from moto.server import ThreadedMotoServer

        if self.port and not port_is_free(self.port):
            raise StartupError(
                f"Port {self.port} is already in use (is another local system running?). "
                f"Choose another port: --port {self.port + 10}, or LOCAL_PORT={self.port + 10} make run"
            )
        if os.environ.get("TELEGRAM_BOT_TOKEN") and not os.environ.get("OPERATORS_CHAT_ID"):
            raise StartupError(
                "With TELEGRAM_BOT_TOKEN set the bot talks to Telegram and needs OPERATORS_CHAT_ID: the id "
                "(-100…) of the operators' forum supergroup where the bot is an admin with Manage topics."
            )
        logging.getLogger("werkzeug").setLevel(logging.ERROR)

        moto_port = service_port(self.port, "dynamodb")
        moto = ThreadedMotoServer(ip_address="127.0.0.1", port=moto_port, verbose=False)
        moto.start()
        self._closers.append(moto.stop)
        _configure_environment(f"http://127.0.0.1:{moto_port}")

        from referral.repository.table import bind_table, create_table

        bind_table(os.environ["TABLE_NAME"], host=os.environ["AWS_ENDPOINT_URL_DYNAMODB"])
        create_table()
        self.snapshot_loaded = self.snapshot and _load_snapshot()

        telegram_url, fake_telegram = self._start_telegram()
        ozon_url, fake_ozon = self._start_ozon()
        publish_secrets(os.environ["AWS_ENDPOINT_URL_DYNAMODB"])
        payout_key_arn = payout_fingerprint_key(PAYOUT_KEY_FILE if self.snapshot else None)
        self._load_functions()
        from devtools import readable_logs

        readable_logs.install()  # the functions' loggers exist now: lines a person reads, not JSON

        from devtools.gateway import Gateway, LocalFunction

        self.gateway = Gateway(
            bot=LocalFunction("bot_webhook", self.functions["bot_webhook"]),
            admin=LocalFunction("admin_api", self.functions["admin_api"]),
            bot_api_base=lambda: f"{os.environ['TELEGRAM_API_URL']}/bot{os.environ['TELEGRAM_BOT_TOKEN']}",
            control=self._control,
            port=self.port,
        ).start()
        self._closers.append(self.gateway.stop)
        # The operators' topics link to requests in the web app: its address is known once the gateway runs.
        os.environ.setdefault("ADMIN_WEB_APP_URL", f"{self.gateway.url}/admin/app")
        self.scheduled = {name: LocalFunction(name, self.functions[name]) for name in self.intervals}
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
            payout_key_arn=payout_key_arn,
        )
        if self.seed_demo and fake_telegram and not self.snapshot_loaded:
            self._seed_demo()
            self.seeded_demo = True
        for name, seconds in self.intervals.items():
            self._spawn(f"timer-{name}", self._timer, name, seconds)
        if not fake_telegram:
            self.start_polling()
        runtime.write()
        self.runtime = runtime
        return runtime

    def stop(self) -> None:
        """Stop the timers and servers, keeping the table in the snapshot first (unless opted out)."""
        self._stop.set()
        for thread, wait in self._threads:
            thread.join(timeout=wait)
        if self.snapshot and self.functions:
            try:
                _save_snapshot()
            except Exception as error:
                print(f"[snapshot] not saved: {type(error).__name__}: {error}", file=sys.stderr)
        self._shut_down()

    def _shut_down(self) -> None:
        self._stop.set()
        for close in reversed(self._closers):
            with contextlib.suppress(Exception):
                close()
        self._closers.clear()
        if hasattr(self, "runtime"):  # written by this system, not by another one already running here
            with contextlib.suppress(FileNotFoundError):
                RUNTIME_FILE.unlink()

    def _spawn(self, name: str, target: Callable[..., None], *args: Any, wait: float = 10) -> None:
        thread = threading.Thread(target=target, args=args, name=name, daemon=True)
        thread.start()
        self._threads.append((thread, wait))

    # --- external services: real or fake -----------------------------------------------------------

    def _start_telegram(self) -> tuple[str, bool]:
        os.environ.setdefault("TELEGRAM_WEBHOOK_SECRET", secrets.token_urlsafe(24))
        if os.environ.get("TELEGRAM_BOT_TOKEN"):
            api_url = os.environ.setdefault("TELEGRAM_API_URL", "https://api.telegram.org").rstrip("/")
            if not os.environ.get("TELEGRAM_BOT_USERNAME"):
                os.environ["TELEGRAM_BOT_USERNAME"] = _bot_username(api_url, os.environ["TELEGRAM_BOT_TOKEN"])
            return api_url, False
        from devtools.fake_telegram import FakeTelegram

        self.fake_telegram = FakeTelegram(
            username=os.environ.setdefault("TELEGRAM_BOT_USERNAME", "referral_local_bot"),
            port=service_port(self.port, "telegram"),
        ).start()
        self._closers.append(self.fake_telegram.stop)
        os.environ["TELEGRAM_API_URL"] = self.fake_telegram.url
        os.environ["TELEGRAM_BOT_TOKEN"] = LOCAL_BOT_TOKEN
        os.environ.setdefault("OPERATORS_CHAT_ID", LOCAL_OPERATORS_CHAT)
        # The operators' chat as a deployment needs it: a forum where the bot manages topics.
        self.fake_telegram.add_chat(int(os.environ["OPERATORS_CHAT_ID"]), title="Operators")
        return self.fake_telegram.url, True

    def _start_ozon(self) -> tuple[str, bool]:
        if (
            os.environ.get("OZON_CLIENT_ID")
            and os.environ.get("OZON_API_KEY")
            and not os.environ.get("OZON_API_URL")
        ):
            return "https://api-seller.ozon.ru", False
        from devtools.fake_ozon import FakeOzon

        self.fake_ozon = FakeOzon().start(port=service_port(self.port, "ozon"))
        self._closers.append(self.fake_ozon.stop)
        os.environ["OZON_API_URL"] = self.fake_ozon.url
        os.environ["OZON_CLIENT_ID"] = self.fake_ozon.client_id
        os.environ["OZON_API_KEY"] = self.fake_ozon.api_key
        return self.fake_ozon.url, True

    def _load_functions(self) -> None:
        """Each function as the stack deploys it: its folder and entry point from ``infra.catalog``."""
        from importlib import import_module

        from infra.catalog import FUNCTIONS

        specs = {spec.name: spec for spec in FUNCTIONS}
        for name in ("bot_webhook", "admin_api", *self.intervals):
            if name not in specs:
                raise StartupError(f"{name} runs on a local timer but infra/catalog.py does not list it")
            spec = specs[name]
            module_name, _, attribute = spec.entry.rpartition(".")
            path = f"functions/{spec.code_folder}/{module_name}.py"
            try:
                self.functions[name] = getattr(
                    import_module(f"functions.{spec.code_folder}.{module_name}"), attribute
                )
            except (ImportError, AttributeError) as error:
                raise StartupError(f"Cannot load {name} ({attribute} in {path}): {error}") from error

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

    def start_polling(self) -> None:
        # A long poll in progress is abandoned on stop: it handles nothing once the system is stopping.
        self._spawn("telegram-polling", self._poll_telegram, wait=1)

    def _poll_telegram(self) -> None:
        """Long polling as Telegram's webhook would deliver: a failure is logged, never the end of polling."""
        import requests

        token = os.environ["TELEGRAM_BOT_TOKEN"]
        base = f"{os.environ['TELEGRAM_API_URL']}/bot{token}"
        offset = 0
        failures = 0
        while not self._stop.is_set():
            try:
                answer = requests.post(
                    f"{base}/getUpdates",
                    json={"offset": offset, "timeout": POLL_TIMEOUT},
                    timeout=POLL_TIMEOUT + 10,
                )
                data = answer.json()
                if not data.get("ok"):
                    raise ValueError(data.get("description") or f"HTTP {answer.status_code}")
            except (requests.RequestException, ValueError) as error:
                delay = POLL_BACKOFF_SECONDS[min(failures, len(POLL_BACKOFF_SECONDS) - 1)]
                failures += 1
                message = str(error).replace(token, "<token>")
                print(
                    f"[telegram] getUpdates failed ({message}); again in {delay} s",
                    file=sys.stderr,
                    flush=True,
                )
                self._stop.wait(delay)
                continue
            failures = 0
            for update in data["result"]:
                if self._stop.is_set():
                    return
                offset = max(offset, int(update["update_id"]) + 1)
                self._deliver(update, token)

    def _deliver(self, update: dict[str, Any], token: str) -> None:
        from devtools.lambda_events import http_api_event

        headers = {
            "content-type": "application/json",
            "x-telegram-bot-api-secret-token": os.environ["TELEGRAM_WEBHOOK_SECRET"],
        }
        body = json.dumps(update).encode()
        event = http_api_event("POST", "/telegram/webhook", headers, body, "POST /telegram/webhook")
        try:
            self.gateway.run_webhook_answer(self.gateway.bot.invoke(event))
        except Exception as error:
            message = f"{type(error).__name__}: {error}".replace(token, "<token>")
            print(
                f"[telegram] update {update.get('update_id')} failed: {message}", file=sys.stderr, flush=True
            )

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
        self.run_scheduled("statistics_rollup")


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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--port", type=int, default=int(os.environ.get("LOCAL_PORT", "8000")), help="the gateway's port"
    )
    parser.add_argument("--no-demo", action="store_true", help="do not seed the demo network")
    parser.add_argument(
        "--no-snapshot", action="store_true", help=f"start empty and do not save {SNAPSHOT_FILE} on stop"
    )
    parser.add_argument("--sync-seconds", type=int, default=None, help="how often the Ozon sync runs")
    args = parser.parse_args(argv)

    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    signal.signal(signal.SIGINT, lambda *_: stopped.set())
    system = LocalSystem(
        port=args.port,
        seed_demo=not args.no_demo,
        sync_seconds=args.sync_seconds,
        snapshot=not args.no_snapshot,
    )
    try:
        system.start()
    except StartupError as error:
        print(f"Cannot start: {error}", file=sys.stderr, flush=True)
        return 2
    try:
        runtime = system.runtime
        demo = (
            "the saved snapshot (start with --no-snapshot for an empty table)"
            if system.snapshot_loaded
            else "the demo network (4 people, one order each)"
            if system.seeded_demo
            else "an empty table (the demo network needs the local fake Bot API)"
            if system.seed_demo
            else "an empty table"
        )
        print(
            "\n".join(
                [
                    "Ozon referral program is running locally.",
                    f"  HTTP API (gateway):   {runtime.gateway}  (POST /telegram/webhook, /admin/...)",
                    f"  Admin web app:        {runtime.gateway}/admin/app  (local login by admin id)",
                    f"  Admin API contract:   {runtime.gateway}/admin/openapi.json",
                    f"  DynamoDB (moto):      {runtime.dynamodb}  table {os.environ['TABLE_NAME']}",
                    f"  Telegram Bot API:     {runtime.telegram_api}"
                    + (
                        "  (local fake)"
                        if runtime.fake_telegram
                        else f"  (long polling as @{runtime.bot_username})"
                    ),
                    f"  Ozon Seller API:      {runtime.ozon_api}"
                    + ("  (local fake)" if runtime.fake_ozon else ""),
                    f"  Data:                 {demo}",
                    f"  Local admin id:       {os.environ['BOOTSTRAP_ADMIN_IDS']}",
                    "  Talk to the bot:      "
                    + (
                        "make chat   (or: python -m devtools.chat_console --user 5001)"
                        if runtime.fake_telegram
                        else f"in Telegram, @{runtime.bot_username}"
                    ),
                    "Press Ctrl-C to stop.",
                ]
            ),
            flush=True,
        )
        stopped.wait()
        print("Stopping…", flush=True)
    finally:
        system.stop()
    print("Stopped.", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
