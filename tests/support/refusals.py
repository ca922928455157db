"""DynamoDB refusing some writes, injected through botocore's event hooks (moto never refuses on its own)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from botocore.awsrequest import AWSResponse
from referral.repository.models import Entity


@contextmanager
def refused_writes(operation: str, marker: str) -> Iterator[None]:
    """Every ``operation`` (``PutItem``, ``UpdateItem``...) whose request mentions ``marker`` fails with a
    ValidationException; the others go through."""
    event = f"before-call.dynamodb.{operation}"

    def refuse(params: dict[str, Any], **_: Any) -> tuple[AWSResponse, dict[str, Any]] | None:
        body = params["body"]
        if marker not in (body.decode() if isinstance(body, bytes) else str(body)):
            return None
        parsed = {
            "Error": {"Code": "ValidationException", "Message": "injected"},
            "ResponseMetadata": {"HTTPStatusCode": 400, "HTTPHeaders": {}},
        }
        return AWSResponse("https://dynamodb.invalid", 400, {}, None), parsed

    client = Entity._get_connection().connection.client
    client.meta.events.register_first(event, refuse)
    try:
        yield
    finally:
        client.meta.events.unregister(event, refuse)
