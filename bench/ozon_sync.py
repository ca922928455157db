"""The Ozon sync's cost: postings per second, DynamoDB requests per posting (``python -m bench.ozon_sync``).

A fake Seller API (``devtools.fake_ozon``, real HTTP on 127.0.0.1) serves ``--postings`` postings of the
last 90 days (FBS with participants' customer ids, FBS of strangers, FBO without buyer ids) for
``--participants`` participants in a random referral tree; the sync backfills them into moto in-process.
Next to it, in the same run, three baselines write straight into fresh tables, timed and counted the same way:

* **same items** (the goal's baseline): every item the sync created or changed, exactly as the sync left
  them (orders, accruals, ledger entries, notifications, profiles, network levels, Ozon ids, links,
  checkpoints), with ``BatchWriteItem`` — the cheapest way to end with the same table;
* **minimal items**: each posting's order, accruals and ledger entries only, one ``TransactWriteItems``
  per posting (what earlier versions of this benchmark compared against);
* **required writes**: what the issue and the money rule leave no way around, one ``TransactWriteItems``
  per posting into a table holding the participants as they were before the sync: the order, accruals
  and ledger entries put only if new, each beneficiary's balance and the buyer's purchase statistics
  (orders, sum, last order date) updated in the same transaction. No design that keeps balances equal to
  the ledger can write less per posting; its time against the same-items baseline shows how far below
  that floor the goal's baseline lies in moto.

Requests are counted where botocore emits ``before-call.dynamodb.<Operation>`` on every client (PynamoDB
keeps one per model class; Powertools' settings provider has its own). Time spent inside moto is shown
apart: moto parses every update expression in Python, which makes updates far dearer than puts there.

Goal: sync time ≤ 2 × the same-items baseline and ≤ 3 DynamoDB requests per new posting on average.
Exit status 1 if a goal is missed.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")
os.environ.setdefault("AWS_DEFAULT_REGION", "eu-central-1")
os.environ.setdefault("AWS_REGION", "eu-central-1")
os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "ERROR")
os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "true")

from botocore.handlers import BUILTIN_HANDLERS
from moto import mock_aws
from referral.domain.orders import CANCELLED
from referral.domain.participants import TelegramProfile
from referral.ozon.client import OzonClient, connect
from referral.ozon.config import ClientConfig, SyncConfig
from referral.repository import keys
from referral.repository.models import Entity, ParticipantItem
from referral.repository.table import bind_table, create_table
from referral.services import Services
from referral.services.ozon_sync import OzonSyncService, SyncReport

from devtools.fake_ozon import FakeOzon, FakeProduct

SYNC_TABLE = "bench-ozon-sync"
SAME_ITEMS_TABLE = "bench-ozon-same-items"
MINIMAL_TABLE = "bench-ozon-minimal"
REQUIRED_TABLE = "bench-ozon-required"
MINIMAL_TYPES = {"order", "accrual", "ledger_entry"}
BATCH_WRITE_ITEMS = 25
BALANCE_ATTRIBUTES = (ParticipantItem.frozen, ParticipantItem.balance, ParticipantItem.accrued_total)
"""What an accrual moves on its beneficiary's profile."""


@contextmanager
def item_level_transaction_backup() -> Iterator[None]:
    """moto backs up whole tables before each TransactWriteItems (cost grows with the table, so 10,000
    postings would take hours); back up only the items the transaction touches, which is all a
    rollback needs. Applies to the sync and the baseline alike."""
    import copy

    from moto.dynamodb import models as dynamodb_models
    from moto.dynamodb.models.table import Table

    backend_class = dynamodb_models.DynamoDBBackend
    original = backend_class.transact_write_items

    class _IdentityForTables:
        @staticmethod
        def deepcopy(value: Any, memo: Any = None) -> Any:
            return value if isinstance(value, Table) else copy.deepcopy(value, memo)

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        touched = []
        for entry in transact_items:
            _, op = next(iter(entry.items()))
            table = self.get_table(op["TableName"])
            if "Key" in op:
                key = op["Key"]
            else:
                key = {table.hash_key_attr: op["Item"][table.hash_key_attr]}
                if table.range_key_attr is not None:
                    key[table.range_key_attr] = op["Item"][table.range_key_attr]
            current = self.get_item(op["TableName"], key)
            touched.append((op["TableName"], key, copy.deepcopy(current) if current else None))
        try:
            original(self, transact_items)
        except Exception:
            for table_name, key, before in reversed(touched):
                if before is None:
                    if self.get_item(table_name, key) is not None:
                        self.delete_item(table_name, key)
                else:
                    self.put_item(table_name, before.to_json()["Attributes"])
            raise

    saved_copy = dynamodb_models.copy  # type: ignore[attr-defined]
    dynamodb_models.copy = _IdentityForTables  # type: ignore[attr-defined,assignment]
    backend_class.transact_write_items = transact_write_items  # type: ignore[method-assign]
    try:
        yield
    finally:
        backend_class.transact_write_items = original  # type: ignore[method-assign]
        dynamodb_models.copy = saved_copy  # type: ignore[attr-defined]


class EmulatorClock:
    """Seconds spent inside moto's emulation of DynamoDB, to tell the emulator's cost from the sync's."""

    def __init__(self) -> None:
        self.seconds = 0.0

    @contextmanager
    def installed(self) -> Iterator[None]:
        from moto.core.botocore_stubber import BotocoreStubber

        original = BotocoreStubber.__call__

        def timed_call(stubber: Any, event_name: str, request: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return original(stubber, event_name, request, **kwargs)
            finally:
                self.seconds += time.perf_counter() - start

        BotocoreStubber.__call__ = timed_call  # type: ignore[method-assign,assignment]
        try:
            yield
        finally:
            BotocoreStubber.__call__ = original  # type: ignore[method-assign]


def item_units(item: dict[str, Any]) -> int:
    """Write units DynamoDB bills for one item: one per started KB (attribute names and values)."""
    size = len(json.dumps(item, separators=(",", ":")).encode())
    return max(1, -(-size // 1024))


def write_units(operation: str, params: dict[str, Any]) -> int:
    """The write capacity a request would consume on DynamoDB (on-demand bills the same units): a
    transaction costs two units per item, a plain or batched write one. An update is counted as one
    unit, since the size of the item it leaves is not in the request (our profiles stay under 1 KB)."""
    if operation == "TransactWriteItems":
        return sum(
            2 * (item_units(part["Put"]["Item"]) if "Put" in part else 1) for part in params["TransactItems"]
        )
    if operation == "BatchWriteItem":
        return sum(
            item_units(request["PutRequest"]["Item"]) if "PutRequest" in request else 1
            for requests in params["RequestItems"].values()
            for request in requests
        )
    if operation == "PutItem":
        return item_units(params["Item"])
    return 1 if operation in ("UpdateItem", "DeleteItem") else 0


class RequestCounter:
    """Counts DynamoDB requests by operation, and the write units they would be billed, while ``active``;
    each request once."""

    def __init__(self) -> None:
        self.active = False
        self.operations: Counter[str] = Counter()
        self.write_units = 0

    def __call__(self, model: Any, params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        if self.active and not context.get("bench_counted"):
            context["bench_counted"] = True
            self.operations[model.name] += 1
            body = params.get("body") or b"{}"  # the serialized request (DynamoDB speaks JSON)
            self.write_units += write_units(model.name, json.loads(body))

    @property
    def total(self) -> int:
        return sum(self.operations.values())

    @contextmanager
    def counting(self) -> Iterator[None]:
        self.operations.clear()
        self.write_units = 0
        self.active = True
        try:
            yield
        finally:
            self.active = False


def instrument(counter: RequestCounter, services: Services) -> None:
    """Hook every existing DynamoDB client, and every one created later."""
    BUILTIN_HANDLERS.append(("before-call.dynamodb", counter))
    pending: list[type[Entity]] = [Entity]
    while pending:
        model = pending.pop()
        pending.extend(model.__subclasses__())
        model._get_connection().connection.client.meta.events.register("before-call.dynamodb", counter)
    provider = services.settings._parameters()
    provider.table.meta.client.meta.events.register("before-call.dynamodb", counter)


@dataclass(frozen=True)
class Measured:
    seconds: float
    requests: int
    emulator_seconds: float
    items: int
    write_units: int


@dataclass
class Result:
    postings: int
    participants: int
    sync: Measured
    sync_operations: dict[str, int]
    report: SyncReport
    same_items: Measured
    minimal: Measured
    required: Measured
    api_requests: int
    required_balances_agree: bool
    """The required-writes table ends with the balances and buyer statistics the sync left (a sound floor)."""

    @property
    def requests_per_new_posting(self) -> float:
        return self.sync.requests / max(1, self.report.new)

    @property
    def cost_ratio(self) -> float:
        """Against the baseline that ends with the same items as the sync."""
        return self.sync.seconds / self.same_items.seconds if self.same_items.seconds else float("inf")

    @property
    def write_units_ratio(self) -> float:
        """Billed write capacity against the same-items baseline: what DynamoDB itself would charge."""
        return self.sync.write_units / max(1, self.same_items.write_units)

    @property
    def minimal_ratio(self) -> float:
        return self.sync.seconds / self.minimal.seconds if self.minimal.seconds else float("inf")

    @property
    def required_ratio(self) -> float:
        return self.sync.seconds / self.required.seconds if self.required.seconds else float("inf")

    @property
    def floor_ratio(self) -> float:
        """The required writes against the goal's baseline: how much of the goal is left for the sync."""
        return self.required.seconds / self.same_items.seconds if self.same_items.seconds else float("inf")

    @property
    def goals_met(self) -> bool:
        return self.cost_ratio <= 2.0 and self.requests_per_new_posting <= 3.0


def register(services: Services, participants: int, rng: random.Random) -> list[str]:
    """A random referral tree; everyone joined 100 days ago or a little later. Returns their Ozon ids."""
    ozon_ids: list[str] = []
    codes: list[str] = []
    for n in range(participants):
        code = rng.choice(codes) if codes and rng.random() < 0.9 else None
        user_id = str(10_000 + n)
        if code:
            services.participants.open_link(code, user_id)
        ozon_id = str(50_000_000 + n)
        registration = services.participants.register(
            TelegramProfile(user_id=user_id, first_name=f"Member {n}"), ozon_id, code
        )
        ozon_ids.append(ozon_id)
        if registration.participant.personal_code:
            codes.append(registration.participant.personal_code)
    return ozon_ids


def serve(ozon: FakeOzon, postings: int, ozon_ids: list[str], rng: random.Random) -> None:
    now = datetime.now(UTC)
    for n in range(postings):
        created = now - timedelta(days=89) + timedelta(seconds=rng.randrange(89 * 86_400 - 600))
        price = Decimal(rng.randrange(10_000, 500_000)) / 100
        products = [FakeProduct(1000 + n % 50, "Product", price, 1 + n % 3)]
        number = f"{10_000_000 + n}-0001-1"
        kind = rng.random()
        if kind < 0.6:
            ozon.add_fbs(number, created, products, customer_id=int(rng.choice(ozon_ids)))
        elif kind < 0.8:
            ozon.add_fbs(number, created, products, customer_id=90_000_000 + n)
        else:
            ozon.add_fbo(number, created, products)


Key = tuple[str, str]


def table_items(client: Any, table: str) -> dict[Key, dict[str, Any]]:
    items: dict[Key, dict[str, Any]] = {}
    for page in client.get_paginator("scan").paginate(TableName=table, ConsistentRead=True):
        for item in page["Items"]:
            items[(item["PK"]["S"], item["SK"]["S"])] = item
    return items


def minimal_items(written: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """The sync's order, accrual and ledger items, grouped by posting."""
    grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for item in written:
        if item.get("type", {}).get("S") in MINIMAL_TYPES and "posting_number" in item:
            grouped[item["posting_number"]["S"]].append(item)
    return grouped


def required_transactions(written: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Per posting, the least one transaction must write (see ``required writes`` above)."""
    transactions = []
    for items in minimal_items(written).values():
        parts: list[dict[str, Any]] = [
            {
                "Put": {
                    "TableName": REQUIRED_TABLE,
                    "Item": item,
                    "ConditionExpression": "attribute_not_exists(PK)",
                }
            }
            for item in items
        ]
        points: Counter[str] = Counter()
        order: dict[str, Any] = {}
        for item in items:
            if item["type"]["S"] == "accrual":
                points[item["participant_id"]["S"]] += int(item["points"]["N"])
            elif item["type"]["S"] == "order":
                order = item
        buyer = order.get("participant_id", {}).get("S")
        if buyer and order["status"]["S"] != CANCELLED:
            points.setdefault(buyer, 0)
        for participant_id, earned in points.items():
            adds = [f"{attribute.attr_name} :points" for attribute in BALANCE_ATTRIBUTES]
            values: dict[str, Any] = {":points": {"N": str(earned)}}
            sets = ""
            if participant_id == buyer:
                adds += [
                    f"{ParticipantItem.orders_count.attr_name} :one",
                    f"{ParticipantItem.purchases_sum.attr_name} :amount",
                ]
                values |= {
                    ":one": {"N": "1"},
                    ":amount": order["kept_amount"],
                    ":created": order["created_at"],
                }
                sets = f" SET {ParticipantItem.last_order_at.attr_name} = :created"
            parts.append(
                {
                    "Update": {
                        "TableName": REQUIRED_TABLE,
                        "Key": {"PK": {"S": keys.participant_pk(participant_id)}, "SK": {"S": keys.PROFILE}},
                        "UpdateExpression": "ADD " + ", ".join(adds) + sets,
                        "ConditionExpression": "attribute_exists(PK)",
                        "ExpressionAttributeValues": values,
                    }
                }
            )
        transactions.append(parts)
    return transactions


def profile_totals(client: Any, table: str) -> dict[str, tuple[str, ...]]:
    """Each participant's balances and purchase totals, as the required writes also keep them."""
    names = [
        attribute.attr_name
        for attribute in (*BALANCE_ATTRIBUTES, ParticipantItem.orders_count, ParticipantItem.purchases_sum)
    ]
    return {
        key[0]: tuple(str(Decimal(item.get(name, {"N": "0"})["N"])) for name in names)
        for key, item in table_items(client, table).items()
        if item.get("type", {}).get("S") == "participant"
    }


def timed(action: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    value = action()
    return time.perf_counter() - start, value


def run(postings: int = 10_000, participants: int = 1_000, *, page_size: int = 1000, seed: int = 7) -> Result:
    rng = random.Random(seed)
    counter = RequestCounter()
    joined = [datetime.now(UTC) - timedelta(days=100)]

    def clock() -> datetime:
        joined[0] += timedelta(milliseconds=1)
        return joined[0]

    emulator = EmulatorClock()

    def measure(action: Callable[[], Any], items: int) -> tuple[Measured, Any]:
        emulator.seconds = 0.0
        with counter.counting():
            seconds, value = timed(action)
        return Measured(seconds, counter.total, emulator.seconds, items, counter.write_units), value

    with mock_aws(), item_level_transaction_backup(), emulator.installed(), FakeOzon() as ozon:
        bind_table(SYNC_TABLE)
        create_table()
        services = Services.build(clock=clock, settings_max_age=300)
        ozon_ids = register(services, participants, rng)
        serve(ozon, postings, ozon_ids, rng)
        os.environ["OZON_CLIENT_ID"], os.environ["OZON_API_KEY"] = ozon.client_id, ozon.api_key
        instrument(counter, services)
        client: Any = Entity._get_connection().connection.client
        before = table_items(client, SYNC_TABLE)

        def factory(client_id: str, api_key: str) -> OzonClient:
            return connect(client_id, api_key, ClientConfig(base_url=ozon.url, requests_per_second=40))

        sync = OzonSyncService(services.purchases, factory, SyncConfig(page_size=page_size))
        sync_measured, report = measure(sync.run, 0)
        operations = dict(counter.operations)
        api_requests = ozon.count()

        written = [item for key, item in table_items(client, SYNC_TABLE).items() if before.get(key) != item]
        sync_measured = replace(sync_measured, items=len(written))
        for table in (SAME_ITEMS_TABLE, MINIMAL_TABLE, REQUIRED_TABLE):
            bind_table(table)
            create_table()
        profiles = [item for item in before.values() if item.get("type", {}).get("S") == "participant"]
        for start in range(0, len(profiles), BATCH_WRITE_ITEMS):
            batch = [{"PutRequest": {"Item": item}} for item in profiles[start : start + BATCH_WRITE_ITEMS]]
            client.batch_write_item(RequestItems={REQUIRED_TABLE: batch})

        def same_items() -> None:
            for start in range(0, len(written), BATCH_WRITE_ITEMS):
                pending: dict[str, Any] = {
                    SAME_ITEMS_TABLE: [
                        {"PutRequest": {"Item": item}} for item in written[start : start + BATCH_WRITE_ITEMS]
                    ]
                }
                while pending:
                    pending = client.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}

        grouped = minimal_items(written)

        def minimal() -> None:
            for items in grouped.values():
                client.transact_write_items(
                    TransactItems=[{"Put": {"TableName": MINIMAL_TABLE, "Item": item}} for item in items]
                )

        transactions = required_transactions(written)

        def required() -> None:
            for parts in transactions:
                client.transact_write_items(TransactItems=parts)

        same_measured, _ = measure(same_items, len(written))
        minimal_measured, _ = measure(minimal, sum(len(items) for items in grouped.values()))
        required_measured, _ = measure(required, sum(len(parts) for parts in transactions))
        BUILTIN_HANDLERS.remove(("before-call.dynamodb", counter))
        agree = profile_totals(client, REQUIRED_TABLE) == profile_totals(client, SYNC_TABLE)
        return Result(
            postings=postings,
            participants=participants,
            sync=sync_measured,
            sync_operations=operations,
            report=report,
            same_items=same_measured,
            minimal=minimal_measured,
            required=required_measured,
            api_requests=api_requests,
            required_balances_agree=agree,
        )


def render(result: Result) -> str:
    report = result.report
    columns = (result.sync, result.same_items, result.minimal, result.required)
    rows = [
        ("", "sync", "same items", "minimal items", "required writes"),
        ("items written", *(f"{m.items}" for m in columns)),
        ("seconds", *(f"{m.seconds:.1f}" for m in columns)),
        ("postings / second", *(f"{result.postings / m.seconds:.0f}" for m in columns)),
        ("  of which in moto", *(f"{m.emulator_seconds:.1f}" for m in columns)),
        ("  outside moto", *(f"{m.seconds - m.emulator_seconds:.1f}" for m in columns)),
        ("DynamoDB requests", *(f"{m.requests}" for m in columns)),
        ("requests / posting", *(f"{m.requests / result.postings:.2f}" for m in columns)),
        ("write units (billed)", *(f"{m.write_units}" for m in columns)),
    ]
    lines = [f"{a:<22}{b:>12}{c:>14}{d:>16}{e:>18}" for a, b, c, d, e in rows]
    lines += [
        "",
        f"postings {result.postings}, participants {result.participants}; new postings {report.new}, "
        f"attributed {report.attributed}, points accrued {report.accrued}, skipped {report.skipped}, "
        f"pages {report.pages}, Seller API requests {result.api_requests}",
        "sync requests by operation: "
        + ", ".join(f"{name} {count}" for name, count in sorted(result.sync_operations.items())),
        "same items: the items the sync created or changed, written with BatchWriteItem; minimal items: "
        "each posting's order, accruals and ledger entries, one TransactWriteItems per posting; "
        "required writes: those plus the beneficiaries' balances and the buyer's statistics, one transaction "
        "per posting",
        f"sync cost / minimal-items cost: {result.minimal_ratio:.2f}",
        f"sync cost / required-writes cost: {result.required_ratio:.2f}",
        f"required-writes cost / same-items cost: {result.floor_ratio:.2f} (the floor any design keeping "
        "balances in the posting's transaction starts from)",
        f"sync cost / same-items cost: {result.cost_ratio:.2f} (goal ≤ 2.00)",
        f"sync write units / same-items write units: {result.write_units_ratio:.2f} (DynamoDB's own bill)",
        f"DynamoDB requests per new posting: {result.requests_per_new_posting:.2f} (goal ≤ 3.00)",
        f"goals met: {'yes' if result.goals_met else 'NO'}",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--postings", type=int, default=10_000)
    parser.add_argument("--participants", type=int, default=1_000)
    parser.add_argument("--page-size", type=int, default=1000)
    args = parser.parse_args(argv)
    result = run(args.postings, args.participants, page_size=args.page_size)
    print(render(result))
    return 0 if result.goals_met else 1


if __name__ == "__main__":
    sys.exit(main())
