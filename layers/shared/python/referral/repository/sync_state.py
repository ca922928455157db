"""What the Ozon sync keeps between runs: checkpoints, the single-runner lease, and one batch read per page.

* Checkpoint ``SYNC#<stream>`` / ``CHECKPOINT``: a small JSON document saying where a stream resumes.
* Stream health ``SYNC#<stream>`` / ``HEALTH``: when the stream last progressed, and — while it fails — since
  when and why (``StreamHealth``), for the report, the dashboard and the admin app.
* Lease ``LEASE#<name>`` / ``LEASE``: taken with a conditional write (free, expired, or already ours),
  renewed while working, deleted when done; ``expires_at`` lets DynamoDB's TTL clean up abandoned ones.
* Known postings: one BatchGetItem per 100 postings reads the orders and Ozon identities a page refers
  to, so postings that did not change cost no further request.
* Request windows ``RATE#<api>`` / ``W#<epoch second>``: the Seller API budget shared by the sync and the
  bot (``RequestWindowCounter``), one conditional update per request, removed by TTL.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from pynamodb.exceptions import DeleteError, PutError, UpdateError

from referral.clock import to_iso
from referral.domain.orders import Order
from referral.repository import keys, mapping
from referral.repository.changes import is_condition_failure as _is_condition_failure
from referral.repository.models import (
    Entity,
    LeaseItem,
    OrderItem,
    OzonIdentityItem,
    RequestWindowItem,
    SyncCheckpointItem,
)
from referral.repository.participants import OzonIdentity

CHECKPOINT_SK = keys.SYNC_CHECKPOINT_SK
HEALTH_SK = keys.SYNC_HEALTH_SK
LEASE_SK = keys.LEASE_SK
OZON_SK = keys.OZON_SK
ORDER_SK = keys.ORDER_SK
STREAM_OK = "ok"
STREAM_FAILING = "failing"
STREAM_NEW = "not_run_yet"
LEASE_CLEANUP_SECONDS = 86_400
WINDOW_CLEANUP_SECONDS = 3_600


@dataclass(frozen=True, slots=True)
class StreamHealth:
    """How one stream of the sync fares: ``ok`` while it progresses, ``failing`` from its first failure
    until it progresses again (each run retries it)."""

    stream: str
    state: str = STREAM_NEW
    last_success_at: str | None = None
    failing_since: str | None = None
    last_failure_at: str | None = None
    reason: str | None = None
    failures: int = 0
    """Runs in a row that failed on this stream."""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class SyncState:
    """Checkpoints and the lease of the sync, and the batch read of what a page's postings refer to."""

    def stream_health(self, streams: Iterable[str]) -> dict[str, StreamHealth]:
        """Every stream's health (a stream never run yet is ``not_run_yet``), in one batch read."""
        wanted = list(streams)
        found = {stream: StreamHealth(stream) for stream in wanted}
        items = SyncCheckpointItem.batch_get(
            [(keys.sync_pk(stream), HEALTH_SK) for stream in wanted], consistent_read=True
        )
        for item in items:
            value = json.loads(item.value)
            if isinstance(value, dict) and item.stream in found:
                fields = {k: v for k, v in value.items() if k in StreamHealth.__dataclass_fields__}
                found[item.stream] = StreamHealth(**{**fields, "stream": item.stream})
        return found

    def record_stream_success(self, previous: StreamHealth, now: datetime) -> StreamHealth:
        health = StreamHealth(previous.stream, STREAM_OK, last_success_at=to_iso(now))
        self._save_health(health, now)
        return health

    def record_stream_failure(self, previous: StreamHealth, now: datetime, reason: str) -> StreamHealth:
        """The stream failed this run: failing since its first failure in a row, with the latest reason."""
        stamp = to_iso(now)
        health = StreamHealth(
            previous.stream,
            STREAM_FAILING,
            last_success_at=previous.last_success_at,
            failing_since=previous.failing_since if previous.state == STREAM_FAILING else stamp,
            last_failure_at=stamp,
            reason=reason[:500],
            failures=previous.failures + 1 if previous.state == STREAM_FAILING else 1,
        )
        self._save_health(health, now)
        return health

    def _save_health(self, health: StreamHealth, now: datetime) -> None:
        value = {k: v for k, v in health.as_dict().items() if k != "stream"}
        SyncCheckpointItem(
            keys.sync_pk(health.stream),
            HEALTH_SK,
            stream=health.stream,
            value=json.dumps(value, sort_keys=True),
            updated_at=to_iso(now),
        ).save()

    def get_checkpoint(self, stream: str) -> dict[str, Any] | None:
        try:
            item = SyncCheckpointItem.get(keys.sync_pk(stream), CHECKPOINT_SK, consistent_read=True)
        except SyncCheckpointItem.DoesNotExist:
            return None
        value = json.loads(item.value)
        return value if isinstance(value, dict) else None

    def save_checkpoint(self, stream: str, value: dict[str, Any], now: datetime) -> None:
        SyncCheckpointItem(
            keys.sync_pk(stream),
            CHECKPOINT_SK,
            stream=stream,
            value=json.dumps(value, sort_keys=True),
            updated_at=to_iso(now),
        ).save()

    def acquire_lease(self, name: str, owner: str, now: datetime, seconds: int) -> bool:
        """Take the lease if nobody holds it, it expired, or ``owner`` already holds it."""
        moment = int(now.timestamp())
        until = moment + seconds
        condition = (
            LeaseItem.pk.does_not_exist() | (LeaseItem.lease_until < moment) | (LeaseItem.owner == owner)
        )
        try:
            LeaseItem(
                keys.lease_pk(name),
                LEASE_SK,
                owner=owner,
                lease_until=until,
                expires_at=datetime.fromtimestamp(until + LEASE_CLEANUP_SECONDS, tz=now.tzinfo),
            ).save(condition=condition)
        except PutError as error:
            if _is_condition_failure(error):
                return False
            raise
        return True

    def renew_lease(self, name: str, owner: str, now: datetime, seconds: int) -> bool:
        """Extend our lease; False when it was lost (expired and taken by another run)."""
        until = int(now.timestamp()) + seconds
        try:
            LeaseItem(keys.lease_pk(name), LEASE_SK).update(
                actions=[
                    LeaseItem.lease_until.set(until),
                    LeaseItem.expires_at.set(
                        datetime.fromtimestamp(until + LEASE_CLEANUP_SECONDS, tz=now.tzinfo)
                    ),
                ],
                condition=(LeaseItem.owner == owner),
            )
        except UpdateError as error:
            if _is_condition_failure(error):
                return False
            raise
        return True

    def release_lease(self, name: str, owner: str) -> None:
        try:
            LeaseItem(keys.lease_pk(name), LEASE_SK).delete(condition=(LeaseItem.owner == owner))
        except DeleteError as error:
            if not _is_condition_failure(error):
                raise

    def lease_holder(self, name: str) -> tuple[str, int] | None:
        try:
            item = LeaseItem.get(keys.lease_pk(name), LEASE_SK, consistent_read=True)
        except LeaseItem.DoesNotExist:
            return None
        return item.owner, int(item.lease_until)

    def known_postings(
        self, posting_numbers: Iterable[str], customer_ids: Iterable[str]
    ) -> tuple[dict[str, Order], dict[str, OzonIdentity]]:
        """The stored orders and Ozon identities a page of postings refers to, one batch read per 100 keys."""
        wanted = {(keys.order_pk(number), ORDER_SK) for number in posting_numbers}
        wanted |= {(keys.ozon_pk(customer_id), OZON_SK) for customer_id in customer_ids}
        orders: dict[str, Order] = {}
        identities: dict[str, OzonIdentity] = {}
        if not wanted:
            return orders, identities
        for item in Entity.batch_get(sorted(wanted), consistent_read=True):
            if isinstance(item, OrderItem):
                orders[item.posting_number] = mapping.order(item)
            elif isinstance(item, OzonIdentityItem):
                identities[item.ozon_id] = OzonIdentity(
                    item.ozon_id, item.participant_id, item.first_purchase_at
                )
        return orders, identities


class RequestWindowCounter:
    """Requests to an external API per calendar second, counted for every container that calls it."""

    def __init__(self, api: str) -> None:
        self.pk = keys.request_window_pk(api)

    def take(self, second: int, limit: int) -> bool:
        """Count one request in ``second``; False (nothing counted) when ``limit`` are counted already."""
        try:
            RequestWindowItem(self.pk, keys.request_window_sk(second)).update(
                actions=[
                    RequestWindowItem.entity_type.set(RequestWindowItem),
                    RequestWindowItem.requests.add(1),
                    RequestWindowItem.expires_at.set(
                        datetime.fromtimestamp(second + WINDOW_CLEANUP_SECONDS, tz=UTC)
                    ),
                ],
                condition=RequestWindowItem.requests.does_not_exist() | (RequestWindowItem.requests < limit),
            )
        except UpdateError as error:
            if _is_condition_failure(error):
                return False
            raise
        return True
