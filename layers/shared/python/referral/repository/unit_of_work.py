"""One DynamoDB transaction with labelled items, so a cancelled transaction says which condition failed."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from pynamodb.connection import Connection
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from referral.errors import Conflict
from referral.repository.models import Entity, NotificationItem

MAX_TRANSACTION_ITEMS = 100

_recorders: list[list[str]] = []
_recorders_lock = threading.Lock()


@contextmanager
def recording_notifications() -> Iterator[list[str]]:
    """The ids of the outbox notifications committed while the block runs, so that the function which made
    a change can deliver its notices right after it (the scheduled sweep delivers whatever it leaves)."""
    committed: list[str] = []
    with _recorders_lock:
        _recorders.append(committed)
    try:
        yield committed
    finally:
        with _recorders_lock:
            _recorders[:] = [other for other in _recorders if other is not committed]


class CommittedNotices:
    """Ids of the outbox notices committed through the units of work of one composition root.

    The function that made a change drains them and delivers the notices right after it; the scheduled
    sweep delivers whatever it leaves. Built at the composition root and handed to the repository, so the
    path from a commit to its delivery is visible from the call site.
    """

    def __init__(self) -> None:
        self._ids: list[str] = []
        self._lock = threading.Lock()

    def record(self, notification_ids: Sequence[str]) -> None:
        with self._lock:
            self._ids.extend(notification_ids)

    def drain(self) -> list[str]:
        with self._lock:
            drained, self._ids = self._ids, []
        return drained


class TransactionConflict(Conflict):
    """A condition in the transaction failed; ``failed`` names the items whose condition did not hold."""

    code = "conflict"

    def __init__(self, failed: Sequence[str], reasons: Sequence[str]) -> None:
        super().__init__(
            f"The change conflicts with the current state ({', '.join(failed) or ', '.join(reasons)})",
            details={"failed": list(failed)},
        )
        self.failed = list(failed)
        self.reasons = list(reasons)

    def failed_on(self, label_prefix: str) -> bool:
        return any(label.startswith(label_prefix) for label in self.failed)


class UnitOfWork:
    """Collects puts, updates and condition checks and commits them as one TransactWriteItems call.

    PynamoDB sends condition checks, deletes, puts and updates in that order; the labels are kept in the
    same order so cancellation reasons can be mapped back to the domain's names for the items.
    """

    def __init__(self, notices: CommittedNotices | None = None) -> None:
        self._notices = notices
        self._checks: list[tuple[str, type[Model], str, str, Condition]] = []
        self._puts: list[tuple[str, Model, Condition | None]] = []
        self._updates: list[tuple[str, Model, list[Action], Condition | None]] = []

    def __len__(self) -> int:
        return len(self._checks) + len(self._puts) + len(self._updates)

    def put(self, label: str, item: Model, condition: Condition | None = None) -> None:
        self._puts.append((label, item, condition))

    def create(self, label: str, item: Entity) -> None:
        """Put that fails if an item with the same key exists: the exactly-once primitive."""
        self.put(label, item, type(item).pk.does_not_exist())

    def update(
        self,
        label: str,
        item: Model,
        actions: list[Action],
        condition: Condition | None = None,
    ) -> None:
        self._updates.append((label, item, actions, condition))

    def check(self, label: str, model: type[Model], pk: str, sk: str, condition: Condition) -> None:
        self._checks.append((label, model, pk, sk, condition))

    @property
    def labels(self) -> list[str]:
        return [c[0] for c in self._checks] + [p[0] for p in self._puts] + [u[0] for u in self._updates]

    def commit(self) -> None:
        if not len(self):
            return
        if len(self) > MAX_TRANSACTION_ITEMS:
            raise ValueError(f"transaction of {len(self)} items exceeds DynamoDB's limit")
        connection: Connection = Entity._get_connection().connection
        try:
            with TransactWrite(connection=connection) as transaction:
                for _, model, pk, sk, check in self._checks:
                    transaction.condition_check(model, pk, sk, condition=check)
                for _, item, put_condition in self._puts:
                    transaction.save(item, condition=put_condition)
                for _, item, actions, update_condition in self._updates:
                    transaction.update(item, actions, condition=update_condition)
        except Exception as error:
            reasons = _cancellation_codes(error)
            if reasons is None:
                raise
            labels = self.labels
            failed = [labels[i] for i, code in enumerate(reasons) if code == "ConditionalCheckFailed"]
            raise TransactionConflict(failed, [r for r in reasons if r and r != "None"]) from error
        notices = [item.notification_id for _, item, _ in self._puts if isinstance(item, NotificationItem)]
        if notices and self._notices is not None:
            self._notices.record(notices)
        if notices:
            with _recorders_lock:
                for committed in _recorders:
                    committed.extend(notices)


def _cancellation_codes(error: Exception) -> list[str] | None:
    """Codes per item of a cancelled transaction, or None if the error is not a cancellation."""
    reasons: Any = getattr(error, "cancellation_reasons", None)
    if getattr(error, "cause_response_code", None) != "TransactionCanceledException":
        return None
    return [(reason.code if reason is not None else "None") for reason in (reasons or [])]
