"""Cold start of every function: its handler's import next to ``import boto3``, in the same process start.

Each run is a fresh interpreter that imports boto3 (timed), then the function's handler module (timed): the
handler pays only for what boto3 did not load, as in a Lambda container where boto3 comes with the runtime.
Goal: each handler ≤ ``GOAL`` × ``import boto3``. With ``AWS_LAMBDA_FUNCTION_NAME`` set, importing a handler
also reads its settings and composes its collaborators (the init phase); that is measured as a second
column, with placeholder settings (nothing is called over the network at init).
``python -m bench.cold_start [--runs N] [--function NAME ...]``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOAL = 1.5
SETTINGS = {
    "TABLE_NAME": "referral-bench",
    "TELEGRAM_BOT_TOKEN": "7000000001:AAFakeTokenForBench_abcdefghijklmnop",
    "TELEGRAM_BOT_USERNAME": "bench_bot",
    "TELEGRAM_WEBHOOK_SECRET": "bench-secret",
    "ADMIN_SESSION_SECRET": "bench-session-secret-of-at-least-32-characters",
    "AWS_DEFAULT_REGION": "eu-central-1",
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
    "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_SERVICE_NAME": "bench",
    "POWERTOOLS_METRICS_NAMESPACE": "ReferralBench",
}
"""Placeholder settings, so that the init (composition) can run; nothing is called with them."""


def functions() -> list[str]:
    return sorted(path.parent.name for path in (ROOT / "functions").glob("*/handler.py"))


@dataclass(frozen=True)
class Start:
    boto3_ms: float
    handler_ms: float

    @property
    def ratio(self) -> float:
        return self.handler_ms / self.boto3_ms


def one_start(function: str, *, init: bool) -> Start:
    code = (
        "import time; t = time.perf_counter(); import boto3; b = time.perf_counter(); "
        f"import functions.{function}.handler; h = time.perf_counter(); print(b - t, h - b)"
    )
    env = {
        **os.environ,
        **SETTINGS,
        "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "layers/shared/python")]),
    }
    env.pop("AWS_LAMBDA_FUNCTION_NAME", None)
    if init:
        env["AWS_LAMBDA_FUNCTION_NAME"] = function
    result = subprocess.run(  # noqa: S603 - our own interpreter, fixed code
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env, cwd=ROOT
    )
    boto3_s, handler_s = result.stdout.strip().splitlines()[-1].split()
    return Start(float(boto3_s) * 1000, float(handler_s) * 1000)


def median_start(function: str, *, runs: int, init: bool) -> Start:
    starts = [one_start(function, init=init) for _ in range(runs)]
    return Start(
        statistics.median(s.boto3_ms for s in starts), statistics.median(s.handler_ms for s in starts)
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=5, help="process starts per function (median)")
    parser.add_argument("--function", action="append", choices=functions(), help="only these functions")
    args = parser.parse_args(argv)
    print(f"cold start per function (median of {args.runs} process starts; goal: handler ≤ {GOAL} × boto3)\n")
    columns = ("import boto3", "handler import", "ratio", "with init", "ratio")
    header = f"{'function':16} " + " ".join(
        f"{c:>{w}}" for c, w in zip(columns, (13, 15, 6, 10, 6), strict=True)
    )
    print(header)
    print("-" * len(header))
    for function in args.function or functions():
        imported = median_start(function, runs=args.runs, init=False)
        initialised = median_start(function, runs=args.runs, init=True)
        verdict = "" if imported.ratio <= GOAL else "  above the goal"
        print(
            f"{function:16} {imported.boto3_ms:10.0f} ms {imported.handler_ms:12.0f} ms "
            f"{imported.ratio:5.2f}× {initialised.handler_ms:7.0f} ms {initialised.ratio:5.2f}×{verdict}",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
