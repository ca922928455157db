"""DynamoDB answering a transaction with a chosen cancellation reason, which moto never does.

The answer is injected through botocore's own ``before-call`` event on the client PynamoDB uses, so the
request goes through every layer of ours and of PynamoDB's exactly as against DynamoDB.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from botocore.awsrequest import AWSResponse
from referral.repository import unit_of_work
from referral.repository.models import Entity
from referral.repository.unit_of_work import RetryPolicy

EVENT = "before-call.dynamodb.TransactWriteItems"


@dataclass
class Call:
    """One TransactWriteItems request as sent: its token and the keys of its items."""

    token: str | None
    keys: list[tuple[str, str]]


@dataclass
class Faults:
    """Answers the next TransactWriteItems calls with cancellations; records every call."""

    planned: list[tuple[str, tuple[str, str] | None]] = field(default_factory=list)
    calls: list[Call] = field(default_factory=list)
    sleeps: list[float] = field(default_factory=list)

    def cancel(self, reason: str, times: int = 1, *, on: tuple[str, str] | None = None) -> None:
        """Cancel the next ``times`` transactions with ``reason`` on the item keyed ``on`` (or the first)."""
        self.planned += [(reason, on)] * times

    def handle(self, params: dict[str, Any], **_: Any) -> tuple[AWSResponse, dict[str, Any]] | None:
        body = json.loads(params["body"])
        keys = [_key(item) for item in body["TransactItems"]]
        self.calls.append(Call(body.get("ClientRequestToken"), keys))
        if not self.planned:
            return None
        reason, on = self.planned.pop(0)
        at = keys.index(on) if on in keys else 0
        reasons = [{"Code": "None"} for _ in keys]
        reasons[at] = {"Code": reason, "Message": f"injected {reason}"}
        parsed = {
            "Error": {"Code": "TransactionCanceledException", "Message": "Transaction cancelled"},
            "CancellationReasons": reasons,
            "ResponseMetadata": {"HTTPStatusCode": 400, "HTTPHeaders": {}},
        }
        return AWSResponse("https://dynamodb.invalid", 400, {}, None), parsed


def _key(item: dict[str, Any]) -> tuple[str, str]:
    (operation,) = item.values()
    key = operation.get("Key") or operation.get("Item")
    return key["PK"]["S"], key["SK"]["S"]


@pytest.fixture
def faults(table_name: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Faults]:
    recorder = Faults()
    monkeypatch.setattr(
        unit_of_work,
        "retry_policy",
        RetryPolicy(sleep=recorder.sleeps.append, random=lambda: 1.0),
    )
    client = Entity._get_connection().connection.client
    client.meta.events.register_first(EVENT, recorder.handle)
    try:
        yield recorder
    finally:
        client.meta.events.unregister(EVENT, recorder.handle)
