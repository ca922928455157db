"""The README's first command: the whole system starts locally, works end to end, and stops cleanly."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from devtools.telegram_updates import LocalUser, message_update, post_update

REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def port_open(url: str) -> bool:
    host, port = url.removeprefix("http://").split(":")
    with socket.socket() as probe:
        probe.settimeout(1)
        return probe.connect_ex((host, int(port))) == 0


@pytest.fixture
def local_system(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], dict[str, Any]]]:
    port = free_port()
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "TELEGRAM_", "OZON_", "TABLE_NAME"))
    }
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), str(REPO / "layers" / "shared" / "python")])
    process = subprocess.Popen(  # noqa: S603 - our own runner
        [
            sys.executable,
            "-m",
            "devtools.local_run",
            "--port",
            str(port),
            "--no-demo",
            "--sync-seconds",
            "3600",
        ],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    runtime_file = tmp_path / ".local" / "runtime.json"
    deadline = time.monotonic() + 120
    while not runtime_file.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            output = process.stdout.read() if process.stdout else ""
            pytest.fail(f"the local runner did not start:\n{output[-3000:]}")
        time.sleep(0.5)
    runtime = json.loads(runtime_file.read_text())
    try:
        yield process, runtime
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)


def bot_replies(runtime: dict[str, Any], chat_id: int, after: int) -> tuple[list[str], int]:
    answer = requests.get(
        f"{runtime['gateway']}/_local/telegram/calls",
        params={"chat_id": str(chat_id), "after": str(after)},
        timeout=10,
    ).json()
    texts = [re.sub(r"<[^>]+>", "", str(c["params"].get("text", ""))) for c in answer["calls"]]
    return texts, int(answer["next"])


def test_the_local_system_runs_a_referral_end_to_end_and_stops_cleanly(
    local_system: tuple[subprocess.Popen[str], dict[str, Any]], tmp_path: Path
) -> None:
    process, runtime = local_system
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
    _, seen = bot_replies(runtime, anna.id, 0)
    post_update(gateway, secret, message_update(anna, "💰 Баланс")).raise_for_status()
    texts, _ = bot_replies(runtime, anna.id, seen)
    assert any(
        "Баланс: 100 баллов" in text and "заморожено (период возврата): 100" in text for text in texts
    ), texts

    # Ctrl-C stops everything and leaves nothing behind
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=60) == 0
    output = process.stdout.read() if process.stdout else ""
    assert "Stopped." in output
    for url in (gateway, runtime["dynamodb"], runtime["telegram_api"], runtime["ozon_api"]):
        assert not port_open(url), f"{url} still listening"
    assert not (tmp_path / ".local" / "runtime.json").exists()
