"""Benchmark of the bot webhook: import time, Bot API calls and DynamoDB requests per menu command, memory.

Runs against a DynamoDB served by moto in a child process (so the measured process holds only what a
Lambda container would) and the local fake Bot API. ``python -m bench.bot_webhook``.

DynamoDB requests are counted on every client that talks to DynamoDB (PynamoDB's and the one Powertools'
settings provider builds), as ``devtools.request_meter`` counts them. The handler module defers its heavy
imports (the bot, the domain) to the first genuine update; that deferred cost is measured and printed too.
"""

from __future__ import annotations

import io
import json
import os
import resource
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, redirect_stdout
from typing import Any

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RUNS = 5
BURST = 1000
TOKEN = "7000000001:AAFakeTokenForBench_abcdefghijklmnop"  # noqa: S105 - a fake for the fake API
SECRET = "bench-secret"  # noqa: S105 - a fake for the local run


def _import_seconds(module: str) -> float:
    code = f"import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([ROOT, os.path.join(ROOT, "layers/shared/python")])}
    result = subprocess.run(  # noqa: S603 - our own interpreter, fixed arguments
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env, cwd=ROOT
    )
    return float(result.stdout.strip().splitlines()[-1])


DEFERRED = (
    "referral.telegram.app",
    "referral.repository.table",
    "referral.ozon.lookup",
    "referral.services",
    "referral.services.settings",
)
"""What ``functions.bot_webhook.handler.runtime`` imports on the first genuine update."""


def _import_after_boto3() -> tuple[float, float, float]:
    """One process start: ``import boto3``, then the handler (paying only for what boto3 did not load),
    then what the handler defers to the first update."""
    deferred = "; ".join(f"import {module}" for module in DEFERRED)
    code = (
        "import time; t = time.perf_counter(); import boto3; b = time.perf_counter(); "
        "import functions.bot_webhook.handler; h = time.perf_counter(); "
        f"{deferred}; d = time.perf_counter(); print(b - t, h - b, d - h)"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([ROOT, os.path.join(ROOT, "layers/shared/python")])}
    result = subprocess.run(  # noqa: S603 - our own interpreter, fixed arguments
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env, cwd=ROOT
    )
    first, second, third = result.stdout.strip().splitlines()[-1].split()
    return float(first), float(second), float(third)


def import_times() -> dict[str, float]:
    together = [_import_after_boto3() for _ in range(RUNS)]
    boto3 = [_import_seconds("boto3") for _ in range(RUNS)]
    handler = [_import_seconds("functions.bot_webhook.handler") for _ in range(RUNS)]
    bot = [_import_seconds("referral.telegram.app") for _ in range(RUNS)]
    return {
        "boto3_ms": statistics.median(boto3) * 1000,
        "handler_ms": statistics.median(handler) * 1000,
        "bot_package_ms": statistics.median(bot) * 1000,
        "same_start_boto3_ms": statistics.median(b for b, _, _ in together) * 1000,
        "same_start_handler_ms": statistics.median(h for _, h, _ in together) * 1000,
        "same_start_deferred_ms": statistics.median(d for _, _, d in together) * 1000,
    }


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def moto_server() -> Iterator[str]:
    port = _free_port()
    process = subprocess.Popen(  # noqa: S603 - moto's own server module
        [sys.executable, "-m", "moto.server", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def _event(update: dict[str, Any]) -> dict[str, Any]:
    return {
        "version": "2.0",
        "headers": {"x-telegram-bot-api-secret-token": SECRET},
        "body": json.dumps(update),
        "isBase64Encoded": False,
    }


class _Context:
    function_name = "bench"
    function_version = "$LATEST"
    memory_limit_in_mb = 128
    invoked_function_arn = "arn:aws:lambda:eu-central-1:000000000000:function:bench"
    aws_request_id = "bench"

    @staticmethod
    def get_remaining_time_in_millis() -> int:
        return 30_000


SCENARIOS: tuple[tuple[str, str | None], ...] = (
    ("💰 Баланс", None),
    ("🔗 Моя ссылка", None),
    ("❓ Помощь", None),
    ("👥 Мои рефералы", None),
    ("📋 Мои ссылки", None),
    ("🔔 Уведомления", None),
    ("🧾 Моя покупка", None),
    ("➕ Ссылка на товар", None),
    ("💸 Вывести баллы", None),
    ("/balance", None),
    ("👥 Мои рефералы", "🧾 Моя покупка"),
    ("📋 Мои ссылки", "🧾 Моя покупка"),
    ("❓ Помощь", "🧾 Моя покупка"),
    ("✖️ Отмена", "🧾 Моя покупка"),
)
"""Menu commands measured on a warm container: (command, the dialog step opened before it, if any)."""


class Driver:
    def __init__(self) -> None:
        self.update_id = 1

    def message(self, user_id: int, text: str) -> dict[str, Any]:
        self.update_id += 1
        message: dict[str, Any] = {
            "message_id": self.update_id,
            "from": {"id": user_id, "is_bot": False, "first_name": f"User{user_id}", "language_code": "ru"},
            "chat": {"id": user_id, "first_name": f"User{user_id}", "type": "private"},
            "date": int(time.time()),
            "text": text,
        }
        if text.startswith("/"):
            message["entities"] = [{"offset": 0, "length": len(text.split()[0]), "type": "bot_command"}]
        return {"update_id": self.update_id, "message": message}


def measure() -> dict[str, Any]:
    from devtools.fake_telegram import FakeTelegram

    results: dict[str, Any] = {}
    with moto_server() as dynamodb, FakeTelegram(username="bench_bot") as telegram:
        os.environ.update(
            AWS_ACCESS_KEY_ID="bench",
            AWS_SECRET_ACCESS_KEY="bench",  # noqa: S106 - moto's dummy credentials
            AWS_DEFAULT_REGION="eu-central-1",
            AWS_REGION="eu-central-1",
            AWS_ENDPOINT_URL_DYNAMODB=dynamodb,
            TABLE_NAME="referral-bench",
            TELEGRAM_API_URL=telegram.url,
            TELEGRAM_BOT_TOKEN=TOKEN,
            TELEGRAM_WEBHOOK_SECRET=SECRET,
            TELEGRAM_BOT_USERNAME="bench_bot",
            OPERATORS_CHAT_ID="-1001000000001",
            POWERTOOLS_TRACE_DISABLED="true",
            POWERTOOLS_METRICS_DISABLED="true",
            POWERTOOLS_METRICS_NAMESPACE="ReferralBench",
            POWERTOOLS_SERVICE_NAME="bot_webhook",
            POWERTOOLS_LOG_LEVEL="ERROR",
            SETTINGS_CACHE_SECONDS="60",
        )
        from referral.repository.table import bind_table_from_env, create_table

        from devtools.request_meter import counting, install
        from functions.bot_webhook import handler as webhook

        install()  # before the clients exist: PynamoDB's and the settings provider's are both counted
        bind_table_from_env()
        create_table()
        driver = Driver()
        context = _Context()

        def post(update: dict[str, Any]) -> dict[str, Any]:
            answer: dict[str, Any] = webhook.handler(_event(update), context)
            return answer

        started = time.perf_counter()
        post(driver.message(1, "/start"))
        results["first_update_ms"] = (time.perf_counter() - started) * 1000
        welcome = json.loads(post(driver.message(1, "100000001"))["body"])["text"]
        code = welcome.split("?start=", 1)[1].split()[0]
        for user_id in range(2, 51):  # ten of them invited by user 1
            post(driver.message(user_id, f"/start {code}" if user_id <= 11 else "/start"))
            post(driver.message(user_id, str(100_000_000 + user_id)))
        with counting() as probe:
            webhook.runtime().services.settings.current(force_fetch=True)
        if probe["Query"] < 1:
            raise RuntimeError(f"the request counter does not see the settings provider's client ({probe})")

        per_command: dict[str, dict[str, Any]] = {}
        for label, step in SCENARIOS:
            if step:
                post(driver.message(1, step))
            post(driver.message(1, label))  # warm this path once
            if step:
                post(driver.message(1, step))
            telegram.reset()
            with counting() as requests:
                answer = post(driver.message(1, label))
            per_command[f"{label} (step open: {step})" if step else label] = {
                "outbound_bot_api_calls": len(telegram.calls),
                "get_me_calls": len(telegram.calls_to("getMe")),
                "reply_in_webhook_answer": json.loads(answer["body"]).get("method"),
                "dynamodb_requests": requests.total,
                "dynamodb_operations": str(requests),
            }
        results["per_command"] = per_command
        results["get_me_total"] = len(telegram.calls_to("getMe"))

        labels = ["💰 Баланс", "🔗 Моя ссылка", "❓ Помощь", "/balance"]
        started = time.perf_counter()
        with redirect_stdout(io.StringIO()):  # each invocation's metrics (EMF lines) are still produced
            for n in range(BURST):
                post(driver.message(1 + n % 50, labels[n % len(labels)]))
        elapsed = time.perf_counter() - started
        results["burst"] = {
            "updates": BURST,
            "seconds": round(elapsed, 2),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        }
        webhook.reset()
    return results


def main() -> None:
    imports = import_times()
    print("== import time (median of fresh interpreters) ==")
    print(f"import boto3                          {imports['boto3_ms']:7.0f} ms")
    print(
        f"import functions.bot_webhook.handler  {imports['handler_ms']:7.0f} ms"
        f"  ({imports['handler_ms'] / imports['boto3_ms']:.2f}× boto3)"
    )
    print(
        f"import referral.telegram.app          {imports['bot_package_ms']:7.0f} ms"
        f"  ({imports['bot_package_ms'] / imports['boto3_ms']:.2f}× boto3; loaded on the first real update)"
    )
    print(
        f"same process start: import boto3 {imports['same_start_boto3_ms']:.0f} ms, then the handler "
        f"{imports['same_start_handler_ms']:.0f} ms "
        f"({imports['same_start_handler_ms'] / imports['same_start_boto3_ms']:.2f}× boto3), then what it "
        f"defers to the first genuine update {imports['same_start_deferred_ms']:.0f} ms "
        f"({imports['same_start_deferred_ms'] / imports['same_start_boto3_ms']:.2f}× boto3)"
    )
    results = measure()
    print(
        f"first genuine update in the benchmark process (the bot and PTB imported, the runtime built, "
        f"the update handled): {results['first_update_ms']:.0f} ms"
    )
    print("\n== per menu command, warm container (DynamoDB requests on every client) ==")
    for label, row in results["per_command"].items():
        print(
            f"{label:36} DynamoDB {row['dynamodb_requests']} ({row['dynamodb_operations']}); "
            f"Bot API HTTP calls {row['outbound_bot_api_calls']} (getMe {row['get_me_calls']}), "
            f"reply in webhook answer: {row['reply_in_webhook_answer']}"
        )
    print(f"getMe calls during the whole run: {results['get_me_total']}")
    burst = results["burst"]
    print(
        f"\n== burst ==\n{burst['updates']} updates in {burst['seconds']} s, "
        f"peak RSS of the process {burst['peak_rss_mb']} MB"
    )


if __name__ == "__main__":
    main()
