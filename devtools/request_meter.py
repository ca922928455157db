"""Counts DynamoDB API calls by operation, on every client that talks to DynamoDB.

Every request is counted where botocore emits ``before-call.dynamodb.<Operation>``: on PynamoDB's client
(``referral.repository.table.low_level_client()``) and on the boto3 client Powertools' ``DynamoDBProvider``
builds for the settings. The handler is added to botocore's ``BUILTIN_HANDLERS`` (so every session and
client created afterwards carries it) and registered on PynamoDB's current client as well; a per-request
marker in the request context keeps a request that meets the handler twice from being counted twice. What
is counted are API calls (one per operation the code asks for), not HTTP attempts: botocore's own retries
of a throttled call are not in the count. Shared by the benchmarks and the tests that hold the budgets.
"""

from __future__ import annotations

import contextlib
import threading
from collections import Counter
from collections.abc import Iterator
from typing import Any

from botocore.handlers import BUILTIN_HANDLERS
from referral.repository.table import low_level_client

_EVENT = "before-call.dynamodb"
_HANDLER_ID = "devtools.request_meter.count"
_COUNTED = "request_meter_counted"


class Requests:
    """DynamoDB API calls seen while counting, by operation name (GetItem, TransactWriteItems, ...)."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()

    @property
    def total(self) -> int:
        return sum(self.calls.values())

    def __getitem__(self, api: str) -> int:
        return self.calls[api]

    def __str__(self) -> str:
        return ", ".join(f"{api} {n}" for api, n in sorted(self.calls.items())) or "none"


_lock = threading.Lock()
_active: list[Requests] = []


def _count(context: dict[str, Any] | None = None, model: Any = None, **_: Any) -> None:
    if context is not None:
        if context.get(_COUNTED):
            return
        context[_COUNTED] = True
    name = str(getattr(model, "name", "unknown"))
    with _lock:
        for requests in _active:
            requests.calls[name] += 1


def install() -> None:
    """Hook every DynamoDB client: those created from now on, and PynamoDB's current one."""
    if (_EVENT, _count) not in BUILTIN_HANDLERS:
        BUILTIN_HANDLERS.append((_EVENT, _count))
    watch(low_level_client())


def watch(client: Any) -> None:
    """Hook a client that already exists (idempotent)."""
    client.meta.events.register(_EVENT, _count, unique_id=_HANDLER_ID)


@contextlib.contextmanager
def counting() -> Iterator[Requests]:
    """Count the DynamoDB requests made inside the block (on any thread)."""
    install()
    requests = Requests()
    with _lock:
        _active.append(requests)
    try:
        yield requests
    finally:
        with _lock:
            _active.remove(requests)
