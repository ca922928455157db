"""The one-line local actions (``make purchase``, ``make chat-operator``) against a running local system."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from devtools.telegram_updates import LocalUser, message_update, post_update
from tests.local.test_local_run import Runner, balance_of, bot_replies, runner_environment, runners  # noqa: F401


def action(folder: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own tool
        [sys.executable, "-m", "devtools.local_actions", *args],
        cwd=folder,
        env=runner_environment(),
        input=stdin,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def test_a_purchase_and_an_operators_reply_in_one_line_each(
    runners: Callable[..., Runner],  # noqa: F811 - the local runner tests' fixture
    tmp_path: Path,
) -> None:
    runtime = runners("--no-demo").started()
    gateway, secret = runtime["gateway"], runtime["webhook_secret"]
    anna = LocalUser(9001, "Анна")
    post_update(gateway, secret, message_update(anna, "/start")).raise_for_status()
    post_update(gateway, secret, message_update(anna, "900000001")).raise_for_status()
    post_update(gateway, secret, message_update(anna, "Когда начислят баллы?")).raise_for_status()

    bought = action(tmp_path, "purchase", "--ozon-id", "900000001", "--amount", "2000.00")
    _, seen = bot_replies(runtime, anna.id, 0)
    operator = action(
        tmp_path, "operator", "--participant", "9001", stdin="Баллы начислены, проверьте баланс\n"
    )

    assert bought.returncode == 0, bought.stderr
    assert "(2000.00 RUB, Ozon ID 900000001) added; sync:" in bought.stdout
    assert "attributed 1" in bought.stdout
    assert operator.returncode == 0, operator.stderr
    assert "[topic] 👤 Участник Анна, id 9001:\nКогда начислят баллы?" in operator.stdout
    replies, _ = bot_replies(runtime, anna.id, seen)
    assert "💬 Оператор:\nБаллы начислены, проверьте баланс" in replies
    assert any("Баланс: " in text for text in balance_of(runtime, anna))


def test_the_local_actions_say_what_to_do_when_nothing_runs(tmp_path: Path) -> None:
    bought = action(tmp_path, "purchase", "--ozon-id", "900000001")
    operator = action(tmp_path, "operator", "--participant", "9001")

    assert (bought.returncode, operator.returncode) == (1, 1)
    assert bought.stderr.strip() == "The local system is not running: start it with `make run` first."
    assert operator.stderr.strip() == "The local system is not running: start it with `make run` first."


def test_an_operator_cannot_answer_a_participant_without_a_topic(
    runners: Callable[..., Runner],  # noqa: F811 - the local runner tests' fixture
    tmp_path: Path,
) -> None:
    runners("--no-demo").started()

    operator = action(tmp_path, "operator", "--participant", "9009", stdin="Здравствуйте\n")

    assert operator.returncode == 1
    assert "Participant 9009 has no topic yet" in operator.stderr


def test_a_quick_restart_keeps_every_port_and_logs_readable_lines(
    runners: Callable[..., Runner],  # noqa: F811 - the local runner tests' fixture
    tmp_path: Path,
) -> None:
    first = runners("--no-demo")
    before = first.started()
    anna = LocalUser(9001, "Анна")
    post_update(
        before["gateway"], before["webhook_secret"], message_update(anna, "/start")
    ).raise_for_status()
    post_update(
        before["gateway"], before["webhook_secret"], message_update(anna, "900000001")
    ).raise_for_status()
    assert first.stop() == 0

    port = before["gateway"].rsplit(":", 1)[1]
    again = runners("--no-demo", "--port", port)
    after = again.started()

    assert [after[key] for key in PORTS] == [before[key] for key in PORTS]
    assert again.stop() == 0
    assert not [line for line in first.output.splitlines() if line.startswith("{")]  # no raw JSON


PORTS = ("gateway", "dynamodb", "telegram_api", "ozon_api")
