"""Scenario building blocks for sync tests: participants in the table, postings in the fake, snapshots."""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from referral.clock import utcnow
from referral.domain.participants import Participant
from referral.repository.models import (
    AccrualItem,
    Entity,
    LeaseItem,
    LedgerEntryItem,
    NetworkLevelItem,
    OrderItem,
    ParticipantItem,
)
from referral.repository.sync_state import CHECKPOINT_SK
from referral.repository.table import create_table, table_name
from referral.services import Services

from devtools.fake_ozon import FakeOzon, FakeProduct
from tests.support.builders import join
from tests.support.lambda_context import lambda_context


def run_sync() -> dict[str, Any]:
    from functions.ozon_sync import handler

    result: dict[str, Any] = handler.handler({"source": "aws.events"}, lambda_context())
    return result


def run_until_caught_up(limit: int = 200) -> list[dict[str, Any]]:
    """Invoke the function until every stream has walked up to "now" at least once since we started."""
    results = []
    current: set[str] = set()
    for _ in range(limit):
        results.append(run_sync())
        current |= {stream for stream, done in results[-1]["streams"].items() if done}
        if results[-1]["caught_up"] and len(current) == 4:
            return results
    raise AssertionError("the sync never caught up")


def chain_of_four(services: Services) -> list[Participant]:
    """A ← B ← C ← D: D's purchases reward C (level 1), B (level 2) and A (level 3)."""
    members: list[Participant] = []
    for user_id, ozon_id in (("1", "5001"), ("2", "5002"), ("3", "5003"), ("4", "5004")):
        members.append(join(services, user_id, members[-1] if members else None, ozon_id=ozon_id))
    return members


def hours_ago(hours: float) -> datetime:
    return utcnow() - timedelta(hours=hours)


def products(*lines: tuple[str, int]) -> list[FakeProduct]:
    return [
        FakeProduct(100 + n, f"Product {n}", Decimal(price), quantity)
        for n, (price, quantity) in enumerate(lines)
    ]


def snapshot() -> dict[str, Any]:
    """The money-relevant state of the table, without times and generated ids."""
    balances = {
        p.participant_id: (p.frozen, p.available, p.accrued_total, p.orders_count, p.purchases_sum)
        for p in ParticipantItem.scan()
    }
    accruals = sorted(
        (a.participant_id, a.posting_number, a.level, a.points, a.reversed_points, a.state, a.duepk or "")
        for a in AccrualItem.scan()
    )
    ledger = Counter(
        (e.participant_id, e.kind, e.d_frozen, e.d_available, e.posting_number, e.level)
        for e in LedgerEntryItem.scan()
    )
    orders = sorted(
        (o.posting_number, o.status, o.kept_amount, o.participant_id or "", tuple(sorted(o.applied_returns)))
        for o in OrderItem.scan()
    )
    levels = sorted(
        (n.participant_id, n.level, n.orders, n.amount, n.earned) for n in NetworkLevelItem.scan()
    )
    return {"balances": balances, "accruals": accruals, "ledger": ledger, "orders": orders, "levels": levels}


def expire_lease() -> None:
    """What DynamoDB time does to the lease of a run that died: it expires."""
    for lease in LeaseItem.scan():
        lease.update(actions=[LeaseItem.lease_until.set(0)])


class DynamoCrash(Exception):
    """The function was killed."""


def dynamodb_clients() -> list[Any]:
    """Every botocore client the models use (PynamoDB keeps one per model class)."""
    clients: dict[int, Any] = {}
    pending: list[type[Entity]] = [Entity]
    while pending:
        model = pending.pop()
        pending.extend(model.__subclasses__())
        client = model._get_connection().connection.client
        clients[id(client)] = client
    return list(clients.values())


WRITES = {"PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "BatchWriteItem"}


def _put_sort_key(params: dict[str, Any]) -> str | None:
    """The sort key of a PutItem request as PynamoDB sends it (an already serialized body)."""
    item = json.loads(params["body"]).get("Item", {})
    key: str | None = item.get("SK", {}).get("S")
    return key


class CrashAt:
    """Kills the process at its n-th DynamoDB write: that request and every later one fail.

    It also notes which writes saved a sync checkpoint (``checkpoint_writes``), so a sweep can kill the
    run right after each of them.
    """

    def __init__(self, at: int | None = None) -> None:
        self.at = at
        self.writes = 0
        self.checkpoint_writes: list[int] = []
        self.crashed = False
        self._clients = dynamodb_clients()

    def __call__(self, model: Any, params: dict[str, Any], **_: Any) -> None:
        if self.crashed:
            raise DynamoCrash("the process is dead")
        if model.name in WRITES:
            self.writes += 1
            if model.name == "PutItem" and _put_sort_key(params) == CHECKPOINT_SK:
                self.checkpoint_writes.append(self.writes)
            if self.at is not None and self.writes >= self.at:
                self.crashed = True
                raise DynamoCrash(f"killed at DynamoDB write {self.writes} ({model.name})")

    def __enter__(self) -> CrashAt:
        for client in self._clients:
            client.meta.events.register("before-call.dynamodb", self)
        return self

    def __exit__(self, *exc: object) -> None:
        for client in self._clients:
            client.meta.events.unregister("before-call.dynamodb", self)


class TableImage:
    """Every item of the table, to put an exact earlier state back (cheaper than replaying it)."""

    def __init__(self) -> None:
        client = dynamodb_clients()[0]
        self.items: list[dict[str, Any]] = []
        for page in client.get_paginator("scan").paginate(TableName=table_name()):
            self.items.extend(page["Items"])

    def restore(self) -> None:
        Entity.delete_table()
        create_table()
        client = dynamodb_clients()[0]
        for start in range(0, len(self.items), 25):
            chunk = self.items[start : start + 25]
            client.batch_write_item(RequestItems={table_name(): [{"PutRequest": {"Item": i}} for i in chunk]})


def reset(ozon: FakeOzon) -> None:
    """A new installation: an empty table, and an Ozon account with nothing in it yet."""
    Entity.delete_table()
    create_table()
    ozon.clear()
