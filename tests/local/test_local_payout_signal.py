"""``make run`` makes the payout fingerprint key as the stack does, so the shared payout signal works
locally, and keeps it with the snapshot so a reloaded table's fingerprints still match."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests

from devtools.local_run import Runtime
from devtools.telegram_updates import LocalUser, message_update, post_update
from tests.local.test_local_run import Runner, runners  # noqa: F401 - the runner fixture

CARD = "4276 3800 1234 5679"


def register_and_write(runtime: Runtime, user: LocalUser, ozon_id: str, text: str) -> None:
    for said in ("/start", ozon_id, text):
        post_update(runtime.gateway, runtime.webhook_secret, message_update(user, said)).raise_for_status()


def shared_payout_flags(runtime: Runtime) -> list[dict[str, Any]]:
    token = requests.post(f"{runtime.gateway}/admin/auth/dev", json={"telegram_id": "100"}, timeout=30)
    answer = requests.get(
        f"{runtime.gateway}/admin/risks",
        params={"kind": "shared_payout"},
        headers={"authorization": f"Bearer {token.json()['token']}"},
        timeout=30,
    )
    answer.raise_for_status()
    items: list[dict[str, Any]] = answer.json()["items"]
    return items


def test_the_shared_payout_signal_works_in_the_local_system_across_restarts(
    runners: Callable[..., Runner],  # noqa: F811 - the fixture imported above
    tmp_path: Path,
) -> None:
    runner = runners("--no-demo")
    runtime = Runtime(**runner.started())
    assert runtime.payout_key_arn.startswith("arn:aws:secretsmanager:")
    register_and_write(runtime, LocalUser(6101, "Анна"), "810000001", f"карта {CARD}")
    register_and_write(runtime, LocalUser(6102, "Борис"), "810000002", CARD.replace(" ", "-"))

    [flag] = shared_payout_flags(runtime)
    assert flag["participant_ids"] == ["6101", "6102"]
    assert (flag["evidence"]["kind"], flag["evidence"]["last4"]) == ("card", "5679")
    assert runner.stop() == 0
    key_file = tmp_path / ".local" / "payout-fingerprint-key"
    assert key_file.exists() and key_file.stat().st_mode & 0o077 == 0

    again = runners("--no-demo")
    runtime = Runtime(**again.started())
    register_and_write(runtime, LocalUser(6103, "Вера"), "810000003", CARD.replace(" ", ""))

    [flag] = shared_payout_flags(runtime)
    assert flag["participant_ids"] == ["6101", "6102", "6103"]
    assert flag["raised_times"] == 2
    assert key_file.read_text() not in again.output
    assert again.stop() == 0
