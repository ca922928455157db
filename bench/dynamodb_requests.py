"""DynamoDB requests per domain operation, against budgets (``python -m bench.dynamodb_requests``).

The operations and their budgets are in ``devtools.request_budgets``, counted by ``devtools.request_meter``
(every DynamoDB client, PynamoDB's and Powertools'), on moto's in-process mock: a warm container first, then
the budgeted operations as the first request of a cold one.

Also printed: the import time of the ``release_frozen`` handler next to that of boto3 alone (fresh
interpreters), the peak memory of recording 200 purchases and the purchase throughput on moto (these
take a few minutes: moto is slow; ``--quick`` skips them, ``--purchases N`` changes the count).
Exit status 1 if an operation is over its budget.
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import subprocess
import sys
import time
import tracemalloc
import uuid
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from referral.domain.orders import Attribution
from referral.repository.models import Entity
from referral.repository.table import bind_table, create_table

from devtools.request_budgets import (
    BenchClock,
    Row,
    _forget_moto_instances,
    _one_snapshot_per_transaction,
    _posting,
    _register,
    measure,
    measure_cold,
    moto_mock,
    moto_table,
    warm_services,
)

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED_PACKAGE = REPO_ROOT / "layers" / "shared" / "python"

# --- import time, memory, throughput ------------------------------------------------------------------


def import_seconds(module: str, *, repeat: int = 3) -> float:
    """Median time to import ``module`` in a fresh interpreter (repo root and the layer on the path)."""
    code = f"import time; t=time.perf_counter(); import {module}; print(time.perf_counter()-t)"
    path = [str(REPO_ROOT), str(SHARED_PACKAGE)]
    if os.environ.get("PYTHONPATH"):
        path.append(os.environ["PYTHONPATH"])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(path)}
    samples = []
    for _ in range(repeat):
        done = subprocess.run(  # noqa: S603 - our own interpreter, fixed code
            [sys.executable, "-c", code], cwd=REPO_ROOT, env=env, capture_output=True, text=True, check=True
        )
        samples.append(float(done.stdout.strip().splitlines()[-1]))
    return statistics.median(samples)


PURCHASES = 200
BATCH = 10
"""Purchases per emptied table in the volume runs (see ``record_purchases``)."""


@dataclass(frozen=True)
class PurchaseRun:
    purchases: int
    seconds: float
    """Time spent in ``record_purchase`` alone (no setup)."""
    peak_bytes: int | None = None
    """tracemalloc's peak over the whole run, setup included; None when not traced."""
    retained_bytes: int | None = None
    """Still allocated at the end (after a garbage collection), relative to the start."""

    @property
    def per_second(self) -> float:
        return self.purchases / self.seconds


def record_purchases(count: int = PURCHASES, *, batch: int = BATCH, trace: bool = False) -> PurchaseRun:
    """Record ``count`` purchases of buyers with a 3-level chain, ``batch`` per emptied table.

    Needs moto's mock active. Three things of moto's own would otherwise swamp the measurement:
    its cost per transaction grows with the table (it snapshots the whole table for a rollback), so the
    table is dropped and created anew every ``batch`` purchases; it snapshots once per *item* of a
    transaction, so it is made to snapshot once per transaction (``_one_snapshot_per_transaction``);
    and it keeps every model instance it ever made, snapshots included, for its server's dashboard
    until the mock is reset, so that list is emptied between batches. Clients and the settings cache
    are warm before the run (and tracing) starts.
    """
    clock = BenchClock()
    seconds = 0.0
    with _one_snapshot_per_transaction():
        bind_table(f"referral-bench-{uuid.uuid4().hex[:8]}")
        create_table()
        services = warm_services(clock)
        if trace:
            gc.collect()
            tracemalloc.start()
        try:
            for first in range(0, count, batch):
                if first:
                    Entity.delete_table()
                    _forget_moto_instances()
                    create_table()
                top = _register(services)
                buyer = _register(services, _register(services, _register(services, top)))
                clock.advance(timedelta(hours=1))
                size = min(batch, count - first)
                postings = [_posting(buyer, clock.now - timedelta(seconds=size - i)) for i in range(size)]
                started = time.perf_counter()
                for posting in postings:
                    services.purchases.record_purchase(posting, buyer.id, Attribution.CUSTOMER_ID)
                seconds += time.perf_counter() - started
            Entity.delete_table()
            _forget_moto_instances()
            if not trace:
                return PurchaseRun(count, seconds)
            del postings
            gc.collect()
            current, peak = tracemalloc.get_traced_memory()
            return PurchaseRun(count, seconds, peak, current)
        finally:
            if trace:
                tracemalloc.stop()


def _mib(value: int | None) -> str:
    return "-" if value is None else f"{value / 1024 / 1024:.1f} MiB"


def render(rows: list[Row]) -> str:
    header = ("operation", "DynamoDB requests", "total", "budget", "verdict")
    lines = [header, *((r.operation, str(r.requests), str(r.total), r.budget_text, r.verdict) for r in rows)]
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]

    def fmt(line: tuple[str, ...]) -> str:
        return "| " + " | ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)) + " |"

    separator = "|" + "|".join("-" * (width + 2) for width in widths) + "|"
    return "\n".join([fmt(lines[0]), separator, *(fmt(line) for line in lines[1:])])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="only the requests table")
    parser.add_argument("--purchases", type=int, default=PURCHASES, help="purchases in the volume runs")
    args = parser.parse_args(argv)
    os.environ.setdefault("AWS_DEFAULT_REGION", "eu-central-1")
    os.environ.setdefault("AWS_REGION", os.environ["AWS_DEFAULT_REGION"])
    os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "true")
    os.environ.setdefault("POWERTOOLS_SERVICE_NAME", "referral-bench")
    with moto_table():
        rows = measure()
        cold_rows = measure_cold()
    print("DynamoDB requests per operation (moto; a warm container: clients built, settings cached)\n")
    print(render(rows), flush=True)
    print("\nThe budgeted operations as the first request of a cold container (settings not cached yet).")
    print("Reported only: the budgets above are for a warm container.\n")
    print(render(cold_rows), flush=True)

    if not args.quick:
        print(file=sys.stderr)
        print("measuring import times (fresh interpreters)...", file=sys.stderr, flush=True)
        handler = import_seconds("functions.release_frozen.handler")
        boto3_alone = import_seconds("boto3")
        print(f"recording {args.purchases} purchases, untraced then traced (moto-bound)...", file=sys.stderr)
        with moto_mock():
            volume = record_purchases(args.purchases)
        with moto_mock():
            traced = record_purchases(args.purchases, trace=True)
        print()
        print(
            f"import functions.release_frozen.handler: {handler * 1000:.0f} ms; "
            f"import boto3 alone: {boto3_alone * 1000:.0f} ms; ratio {handler / boto3_alone:.1f}x "
            "(fresh interpreters, median of 3)"
        )
        print(
            f"peak memory recording {traced.purchases} purchases (tracemalloc, moto's live table and "
            f"snapshots included): {_mib(traced.peak_bytes)}; still allocated after: "
            f"{_mib(traced.retained_bytes)}"
        )
        print(
            f"throughput: {volume.per_second:.1f} purchases/s ({volume.purchases} in {volume.seconds:.1f} s, "
            f"{BATCH} per emptied table) on moto's in-process mock: moto-bound, says nothing about DynamoDB"
        )

    over = [row for row in rows if row.over]
    for row in over:
        print(f"OVER BUDGET: {row.operation}: {'; '.join(row.over)} ({row.requests})", file=sys.stderr)
    return 1 if over else 0


if __name__ == "__main__":
    raise SystemExit(main())
