"""Admin API read costs at scale (``python -m bench.admin_api [participants]``, default 100,000).

Seeds participants (with their list sort keys) and 13 monthly rollups into moto's in-process DynamoDB
with batch writes, then measures the first page of the participants list sorted by balance, by
registration date and by purchase sum, the dashboard, a name search and a filter no index serves (its
read budget), and a plain one-page Query of the base table as the yardstick. For each: DynamoDB requests
(botocore ``before-call``), consumed read capacity as moto reports it and as DynamoDB would bill it
(estimated from the returned item sizes), and time relative to the plain Query.

moto answers an index Query by scanning every item of the table, so its times grow with the table while
DynamoDB's do not: requests and read units are the figures that carry over.
"""

from __future__ import annotations

import json
import math
import os
import random
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")
os.environ.setdefault("AWS_DEFAULT_REGION", "eu-central-1")
os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "true")

from botocore.handlers import BUILTIN_HANDLERS
from moto import mock_aws
from referral.clock import month_of, previous_month, to_iso
from referral.read.feeds import LedgerFilter, participant_ledger
from referral.read.participants import ParticipantFilter, participants_page
from referral.repository import keys
from referral.repository.models import LedgerEntryItem, ParticipantItem, RollupItem
from referral.repository.participants import list_keys
from referral.repository.table import bind_table, create_table
from referral.services.statistics import StatisticsService

PAGE = 50
NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)


@dataclass
class Meter:
    """Requests and read units seen on the DynamoDB client between ``reset`` calls."""

    calls: Counter[str] = field(default_factory=Counter)
    reported: float = 0.0
    estimated: float = 0.0

    def reset(self) -> None:
        self.calls.clear()
        self.reported = self.estimated = 0.0

    def before_parameters(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        if "ReturnConsumedCapacity" in model.input_shape.members:
            params["ReturnConsumedCapacity"] = "TOTAL"

    def before_call(self, model: Any, **_: Any) -> None:
        self.calls[model.name] += 1

    def after_call(self, model: Any, parsed: dict[str, Any], **_: Any) -> None:
        capacity = parsed.get("ConsumedCapacity")
        for entry in capacity if isinstance(capacity, list) else [capacity] if capacity else []:
            self.reported += float(entry.get("CapacityUnits") or 0)
        if model.name == "Query":
            size = sum(_item_size(item) for item in parsed.get("Items", []))
            self.estimated += max(1, math.ceil(size / 4096)) * 0.5
        elif model.name == "BatchGetItem":
            items = [i for found in parsed.get("Responses", {}).values() for i in found]
            self.estimated += sum(math.ceil(_item_size(i) / 4096) * 0.5 for i in items)
        elif model.name == "GetItem":
            self.estimated += math.ceil(_item_size(parsed.get("Item", {})) / 4096) * 0.5


def _item_size(item: dict[str, Any]) -> int:
    """DynamoDB's item size: attribute names plus values (close enough for a read-unit estimate)."""
    return sum(len(name) + len(json.dumps(value)) for name, value in item.items())


def seed(participants: int, *, report: Callable[[str], None]) -> None:
    rng = random.Random(7)
    start = NOW - timedelta(days=365)
    with ParticipantItem.batch_write() as batch:
        for n in range(participants):
            pid = str(1_000_000 + n)
            registered = start + timedelta(seconds=int(365 * 86400 * n / max(participants, 1)))
            sponsor = str(1_000_000 + rng.randrange(n)) if n and rng.random() < 0.8 else None
            frozen, available = rng.randrange(0, 2000), rng.randrange(0, 5000)
            orders = rng.choice((0, 0, 0, 1, 2, 5))
            purchases = Decimal(orders * rng.randrange(300, 5000))
            last_order = to_iso(registered + timedelta(days=rng.randrange(1, 30))) if orders else None
            stamp = to_iso(registered)
            item = ParticipantItem(
                keys.participant_pk(pid),
                keys.PROFILE,
                participant_id=pid,
                username=f"user{pid}",
                first_name=f"Name{pid}",
                ozon_id=str(50_000_000 + n),
                sponsor_id=sponsor,
                ancestors=[sponsor] if sponsor else [],
                personal_code=f"c{pid}",
                registered_at=stamp,
                frozen=frozen,
                available=available,
                accrued_total=frozen + available,
                orders_count=orders,
                purchases_sum=purchases,
                last_order_at=last_order,
                direct_referrals=rng.randrange(0, 6),
                gsi1pk=keys.sponsor_gsi(sponsor),
                gsi1sk=f"{stamp}#{pid}",
                gsi2pk=keys.feed_pk("PARTICIPANT", month_of(registered)),
                gsi2sk=f"{stamp}#{pid}",
                **list_keys(pid, f"Name{pid}", None, f"user{pid}"),
            )
            item.balance = frozen + available
            item.sort_last_order = last_order or keys.NO_ORDER_YET
            batch.save(item)
            if n and n % 20_000 == 0:
                report(f"  seeded {n:,} participants")
    with LedgerEntryItem.batch_write() as batch:
        for n in range(PAGE + 10):
            stamp = to_iso(start + timedelta(hours=n))
            batch.save(
                LedgerEntryItem(
                    keys.participant_pk("1000000"),
                    keys.ledger_sk(stamp, f"e{n:04d}"),
                    entry_id=f"e{n:04d}",
                    participant_id="1000000",
                    kind="correction",
                    created_at=stamp,
                    d_available=1,
                    idempotency_key=f"bench-{n}",
                )
            )
    with RollupItem.batch_write() as batch:
        month = month_of(NOW)
        for _ in range(13):
            metrics = {name: str(rng.randrange(0, 10_000)) for name in ("participants_new", "sales_orders")}
            batch.save(
                RollupItem(keys.STATS_PK, keys.stats_month_sk(month), month=month, value=json.dumps(metrics))
            )
            month = previous_month(month)


def run(
    participants: int, *, out: Callable[[str], None] = print
) -> list[tuple[str, dict[str, int], float, float, float]]:
    meter = Meter()
    # Every client created from here on (each model class has its own) carries the meter.
    handlers = [
        ("before-parameter-build.dynamodb", meter.before_parameters),
        ("before-call.dynamodb", meter.before_call),
        ("after-call.dynamodb", meter.after_call),
    ]
    BUILTIN_HANDLERS.extend(handlers)
    try:
        return _measure(participants, meter, out)
    finally:
        for handler in handlers:
            BUILTIN_HANDLERS.remove(handler)


def _measure(
    participants: int, meter: Meter, out: Callable[[str], None]
) -> list[tuple[str, dict[str, int], float, float, float]]:
    with mock_aws():
        bind_table("bench-admin")
        create_table()
        began = time.perf_counter()
        seed(participants, report=out)
        meter.reset()
        out(f"seeded {participants:,} participants in {time.perf_counter() - began:.0f} s")
        statistics = StatisticsService(clock=lambda: NOW)
        no_filter = ParticipantFilter()
        operations: list[tuple[str, Callable[[], object]]] = [
            (
                "plain Query, one page (yardstick)",
                lambda: participant_ledger("1000000", LedgerFilter(), PAGE, None),
            ),
            (
                "participants by balance, page 1",
                lambda: participants_page("balance", True, PAGE, no_filter, None),
            ),
            (
                "participants by registration, page 1",
                lambda: participants_page("registered_at", True, PAGE, no_filter, None),
            ),
            (
                "participants by purchase sum, page 1",
                lambda: participants_page("purchases_sum", True, PAGE, no_filter, None),
            ),
            ("dashboard (12 months)", statistics.dashboard),
            (
                "participants, name search, by balance",
                lambda: participants_page("balance", True, PAGE, ParticipantFilter(name="name100012"), None),
            ),
            (
                "participants, blocked=true (none: budget)",
                lambda: participants_page("balance", True, PAGE, ParticipantFilter(blocked=True), None),
            ),
        ]
        rows = []
        for name, operation in operations:
            operation()  # warm: clients and table metadata exist, as in a warm Lambda
            meter.reset()
            began = time.perf_counter()
            result = operation()
            elapsed = time.perf_counter() - began
            if isinstance(result, tuple) and "none" not in name:
                assert len(result[0]) >= 1, name
            rows.append((name, dict(meter.calls), meter.reported, meter.estimated, elapsed))
        baseline = rows[0][4]
        out(f"\n{'operation':42} {'requests':28} {'RCU moto':>8} {'RCU est.':>8} {'ms':>9} {'× Query':>8}")
        for name, calls, reported, estimated, elapsed in rows:
            text = ", ".join(f"{api} {count}" for api, count in sorted(calls.items()))
            out(
                f"{name:42} {text:28} {reported:8.1f} {estimated:8.1f} {elapsed * 1000:9.1f} "
                f"{elapsed / baseline:8.1f}"
            )
        return rows


def main() -> None:
    participants = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    run(participants)


if __name__ == "__main__":
    main()
