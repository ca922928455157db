"""The README's first command: the whole system starts locally, works end to end, and stops cleanly."""

from __future__ import annotations

import json
import os
import random
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from devtools.chat_console import ChatConsole, RunnerUnavailable
from devtools.fake_telegram import FakeTelegram
from devtools.gateway import Gateway, LocalFunction
from devtools.local_run import LocalSystem, Runtime, StartupError
from devtools.telegram_updates import LocalUser, message_update, post_update
from infra.catalog import FUNCTIONS, FunctionSpec

REPO = Path(__file__).resolve().parents[2]
STARTUP_SECONDS = 120


def free_port() -> int:
    """A gateway port whose three neighbours (DynamoDB, Bot API, Seller API) are free too, below the
    ephemeral range, so that no test's outgoing connection takes one of them between a stop and a start."""
    while True:
        base = random.randrange(20_000, 32_000)
        if all(_bindable(port) for port in range(base, base + 4)):
            return base


def _bindable(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def port_open(url: str) -> bool:
    host, port = url.removeprefix("http://").split(":")
    with socket.socket() as probe:
        probe.settimeout(1)
        return probe.connect_ex((host, int(port))) == 0


def runner_environment(**extra: str) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "TELEGRAM_", "OZON_", "TABLE_NAME"))
    }
    env.pop("OPERATORS_CHAT_ID", None)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), str(REPO / "layers" / "shared" / "python")])
    env["PYTHONUNBUFFERED"] = "1"
    return {**env, **extra}


class Runner:
    """``python -m devtools.local_run`` as a child process in its own folder."""

    def __init__(self, folder: Path, *args: str, **env: str) -> None:
        self.folder = folder
        self.log = folder / f"runner-{time.monotonic_ns()}.log"
        with self.log.open("wb") as output:
            self.process = subprocess.Popen(  # noqa: S603 - our own runner
                [sys.executable, "-m", "devtools.local_run", "--sync-seconds", "3600", *args],
                cwd=folder,
                env=runner_environment(**env),
                stdout=output,
                stderr=subprocess.STDOUT,
            )

    @property
    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def started(self) -> dict[str, Any]:
        runtime_file = self.folder / ".local" / "runtime.json"
        deadline = time.monotonic() + STARTUP_SECONDS
        while "Press Ctrl-C" not in self.output or not runtime_file.exists():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.kill()
                pytest.fail(f"the local runner did not start:\n{self.output[-3000:]}")
            time.sleep(0.3)
        runtime: dict[str, Any] = json.loads(runtime_file.read_text())
        return runtime

    def stop(self) -> int:
        self.process.send_signal(signal.SIGINT)
        return self.process.wait(timeout=60)

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)


@pytest.fixture
def runners(tmp_path: Path) -> Iterator[Callable[..., Runner]]:
    started: list[Runner] = []

    def start(*args: str, folder: Path = tmp_path, **env: str) -> Runner:
        runner = Runner(folder, "--port", str(free_port()), *args, **env)
        started.append(runner)
        return runner

    yield start
    for runner in started:
        runner.kill()


def bot_replies(runtime: dict[str, Any], chat_id: int, after: int) -> tuple[list[str], int]:
    answer = requests.get(
        f"{runtime['gateway']}/_local/telegram/calls",
        params={"chat_id": str(chat_id), "after": str(after)},
        timeout=10,
    ).json()
    texts = [re.sub(r"<[^>]+>", "", str(c["params"].get("text", ""))) for c in answer["calls"]]
    return texts, int(answer["next"])


def balance_of(runtime: dict[str, Any], user: LocalUser) -> list[str]:
    _, seen = bot_replies(runtime, user.id, 0)
    post_update(runtime["gateway"], runtime["webhook_secret"], message_update(user, "💰 Баланс"))
    return bot_replies(runtime, user.id, seen)[0]


def test_the_local_system_runs_a_referral_end_to_end_and_stops_cleanly(
    runners: Callable[..., Runner], tmp_path: Path
) -> None:
    runner = runners("--no-demo")
    runtime = runner.started()
    gateway, secret = runtime["gateway"], runtime["webhook_secret"]
    assert requests.get(f"{gateway}/_local/health", timeout=10).json()["ok"] is True
    assert runtime["fake_telegram"] and runtime["fake_ozon"]

    # two people register through the bot; the second by the first one's link
    anna, boris = LocalUser(9001, "Анна"), LocalUser(9002, "Борис")
    post_update(gateway, secret, message_update(anna, "/start")).raise_for_status()
    post_update(gateway, secret, message_update(anna, "900000001")).raise_for_status()
    texts, _ = bot_replies(runtime, anna.id, 0)
    [code] = re.findall(r"\?start=([A-Za-z0-9_-]+)", texts[-1])
    post_update(gateway, secret, message_update(boris, f"/start {code}")).raise_for_status()
    post_update(gateway, secret, message_update(boris, "900000002")).raise_for_status()

    # Boris buys for 2000 RUB on Ozon; the sync picks it up
    added = requests.post(
        f"{gateway}/_local/ozon/postings", json={"customer_id": "900000002", "amount": "2000.00"}, timeout=10
    )
    assert added.status_code == 200
    synced = requests.post(f"{gateway}/_local/run/ozon_sync", json={}, timeout=120).json()
    assert synced["result"]["attributed"] == 1

    # Anna's balance, as the bot shows it: 50 points per 1000 RUB at level 1, frozen
    expected = "заморожено (период возврата): 100"
    assert any("Баланс: 100 баллов" in t and expected in t for t in balance_of(runtime, anna))

    # Ctrl-C stops everything, leaves nothing behind but the snapshot of the table
    assert runner.stop() == 0
    assert "Stopped." in runner.output
    for url in (gateway, runtime["dynamodb"], runtime["telegram_api"], runtime["ozon_api"]):
        assert not port_open(url), f"{url} still listening"
    assert not (tmp_path / ".local" / "runtime.json").exists()
    assert (tmp_path / ".local" / "snapshot.json").exists()

    # the next start has the same people and points; --no-snapshot starts empty
    again = runners("--no-demo")
    runtime = again.started()
    assert "the saved snapshot" in again.output
    assert any("Баланс: 100 баллов" in t for t in balance_of(runtime, anna))
    assert again.stop() == 0
    empty = runners("--no-demo", "--no-snapshot")
    runtime = empty.started()
    assert "an empty table" in empty.output
    assert not any("Баланс" in t for t in balance_of(runtime, anna))
    assert empty.stop() == 0


def test_the_demo_network_and_the_chat_console(runners: Callable[..., Runner]) -> None:
    runner = runners()
    runtime = Runtime(**runner.started())
    assert "the demo network" in runner.output

    # the dashboard is rolled up at start: the demo's registrations and orders are on it
    login = requests.post(f"{runtime.gateway}/admin/auth/dev", json={"telegram_id": "100"}, timeout=30)
    token = login.json()["token"]
    dashboard = requests.get(
        f"{runtime.gateway}/admin/statistics/dashboard",
        headers={"authorization": f"Bearer {token}"},
        timeout=30,
    ).json()
    assert dashboard["updated_at"] is not None
    assert any(value > 0 for series in dashboard["series"].values() for value in series), dashboard

    # Anna (the top of the demo chain) asks for her balance from a fresh console
    anna = ChatConsole(runtime, LocalUser(5001, "Анна", "anna_demo"))
    before = anna.seen
    [refused] = anna.send("#3")
    assert "no button #3" in refused
    assert anna.poll() == [] and anna.seen == before, "nothing was sent for a button never shown"
    [balance] = anna.send("💰 Баланс")
    assert "Баланс: 303 балла" in balance

    # a reply that comes later (a notice after Boris's next order) is shown without typing anything
    shown: list[str] = []
    stop = threading.Event()
    anna.listen(shown.append, stop, every=0.2)
    requests.post(
        f"{runtime.gateway}/_local/ozon/postings",
        json={"customer_id": "500000002", "amount": "1000.00"},
        timeout=10,
    ).raise_for_status()
    requests.post(f"{runtime.gateway}/_local/run/ozon_sync", json={}, timeout=120).raise_for_status()
    requests.post(f"{runtime.gateway}/_local/run/notify_outbox", json={}, timeout=120).raise_for_status()
    deadline = time.monotonic() + 30
    while not shown and time.monotonic() < deadline:
        time.sleep(0.2)
    stop.set()
    assert shown and "[sendMessage]" in shown[0], shown

    # once the system is stopped, the console says so instead of failing
    assert runner.stop() == 0
    with pytest.raises(RunnerUnavailable, match="make run"):
        anna.send("💰 Баланс")


def test_with_a_bot_token_the_bot_polls_the_bot_api(runners: Callable[..., Runner]) -> None:
    """The long-polling mode, against the fake Bot API standing in for Telegram."""
    with FakeTelegram(username="polled_referral_bot") as telegram:
        telegram.fail("getUpdates", status=502, description="Bad Gateway", times=2)
        runner = runners(
            TELEGRAM_BOT_TOKEN="4242:AAH-real-looking-token",
            TELEGRAM_API_URL=telegram.url,
            OPERATORS_CHAT_ID="-1009999999999",
        )
        runtime = runner.started()
        assert runtime["bot_username"] == "polled_referral_bot"  # learned with getMe
        assert not runtime["fake_telegram"] and "long polling as @polled_referral_bot" in runner.output

        telegram.push_update(message_update(LocalUser(8001, "Ира"), "/start"))
        deadline = time.monotonic() + 60
        while not telegram.calls_to("sendMessage", 8001) and time.monotonic() < deadline:
            time.sleep(0.3)
        assert telegram.calls_to("sendMessage", 8001), runner.output
        assert all(c.token == "4242:AAH-real-looking-token" for c in telegram.calls)
        assert {c.chat_id for c in telegram.calls_to("sendMessage")} == {8001}, "no demo messages"
        assert "getUpdates failed" in runner.output and "AAH-real-looking" not in runner.output
        assert runner.stop() == 0


def test_an_update_that_fails_is_logged_and_polling_goes_on(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    handled: list[int] = []

    def bot(event: dict[str, Any], context: Any) -> dict[str, Any]:
        """A webhook whose first update fails, as when DynamoDB or Telegram is briefly unreachable."""
        update = json.loads(event["body"])
        handled.append(update["update_id"])
        if len(handled) == 1:
            raise ConnectionError("DynamoDB is unreachable")
        chat = update["message"]["chat"]["id"]
        return {
            "statusCode": 200,
            "body": json.dumps({"method": "sendMessage", "chat_id": chat, "text": "ok"}),
        }

    with FakeTelegram() as telegram:
        monkeypatch.setenv("TELEGRAM_API_URL", telegram.url)
        monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "4242:AAH-real-looking-token")
        monkeypatch.setenv("TELEGRAM_WEBHOOK_SECRET", "webhook-secret")
        system = LocalSystem(port=0, seed_demo=False, snapshot=False)
        system.gateway = Gateway(
            bot=LocalFunction("bot_webhook", bot),
            admin=LocalFunction("admin_api", bot),
            bot_api_base=lambda: f"{telegram.url}/bot4242:AAH-real-looking-token",
            control=lambda *_: (404, {}),
        ).start()
        try:
            system.start_polling()
            telegram.push_update(message_update(LocalUser(8101, "Первый"), "/start"))
            telegram.push_update(message_update(LocalUser(8102, "Второй"), "/start"))
            deadline = time.monotonic() + 30
            while not telegram.calls_to("sendMessage", 8102) and time.monotonic() < deadline:
                time.sleep(0.1)
        finally:
            system.stop()
            system.gateway.stop()
    assert len(handled) == 2 and telegram.calls_to("sendMessage", 8102)
    assert f"update {handled[0]} failed: ConnectionError: DynamoDB is unreachable" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("setup", "expected"),
    [
        ({}, "needs OPERATORS_CHAT_ID"),
        ({"OPERATORS_CHAT_ID": "-1009999999999"}, "Telegram refused TELEGRAM_BOT_TOKEN"),
    ],
)
def test_polling_without_what_it_needs_stops_with_a_clear_message(
    runners: Callable[..., Runner], setup: dict[str, str], expected: str
) -> None:
    with FakeTelegram() as telegram:
        telegram.fail("getMe", status=401, description="Unauthorized")
        runner = runners(TELEGRAM_BOT_TOKEN="4242:revoked", TELEGRAM_API_URL=telegram.url, **setup)
        assert runner.process.wait(timeout=60) == 2
    assert "Cannot start: " in runner.output and expected in runner.output
    assert "Traceback" not in runner.output


def test_a_busy_port_is_reported_with_what_to_do(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        runner = Runner(tmp_path, "--port", str(port))
        assert runner.process.wait(timeout=60) == 2
    assert f"Port {port} is already in use" in runner.output and "LOCAL_PORT=" in runner.output
    assert "Traceback" not in runner.output


def test_a_function_that_cannot_be_loaded_stops_the_start_with_its_name(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    moved = [
        FunctionSpec(spec.name, spec.description, folder="release_frozen_v2")
        if spec.name == "release_frozen"
        else spec
        for spec in FUNCTIONS
    ]
    monkeypatch.setattr("infra.catalog.FUNCTIONS", tuple(moved))
    with pytest.raises(
        StartupError, match=r"release_frozen \(handler in functions/release_frozen_v2/handler.py\)"
    ):
        LocalSystem(port=0, seed_demo=False)._load_functions()

    monkeypatch.setattr("infra.catalog.FUNCTIONS", FUNCTIONS)
    system = LocalSystem(port=0, seed_demo=False)
    system.intervals["nightly_report"] = 60
    with pytest.raises(StartupError, match=r"nightly_report runs on a local timer but infra/catalog\.py"):
        system._load_functions()
