"""One DynamoDB transaction with labelled items, and the one policy for a transaction DynamoDB cancels.

A cancellation is classified by its reasons: a condition that did not hold is the domain's refusal
(``TransactionConflict`` naming the items, which the repository that wrote them turns into a domain
error); contention and throttling are retried with bounded, jittered exponential backoff under the same
ClientRequestToken (so a retry after an unknown outcome cannot apply twice); a request DynamoDB finds
invalid is a bug, logged with the transaction's labels and raised as ``TransactionRejected``.
"""

from __future__ import annotations

import logging
import random
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from pynamodb.connection import Connection
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from referral.errors import Busy, Conflict
from referral.repository.models import Entity, NotificationItem

MAX_TRANSACTION_ITEMS = 100

CONDITION_FAILED = "ConditionalCheckFailed"
RETRIABLE_REASONS = frozenset(
    {"TransactionConflict", "ThrottlingError", "ProvisionedThroughputExceeded", "RequestLimitExceeded"}
)
"""Cancellation reasons that say "not now" about an item, never "no"."""
RETRIABLE_ERRORS = frozenset(
    {
        "TransactionInProgressException",
        "ThrottlingException",
        "ProvisionedThroughputExceededException",
        "RequestLimitExceeded",
        "InternalServerError",
    }
)
"""Whole-request errors after which the same request (same token) may be sent again."""

logger = logging.getLogger(__name__)


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


class TransactionBusy(Busy):
    """DynamoDB kept cancelling the transaction for contention or throttling past the retry budget."""

    def __init__(self, reasons: Sequence[str], attempts: int) -> None:
        super().__init__(
            "The change could not be saved because of concurrent changes; please try again.",
            details={"attempts": attempts},
            reason="busy_retry",
        )
        self.reasons = list(reasons)
        self.attempts = attempts


class TransactionRejected(Exception):
    """DynamoDB refused the request itself (a ``ValidationError``): a bug in what was built, never retried."""

    def __init__(self, labels: Sequence[str], reasons: Sequence[str]) -> None:
        super().__init__(f"DynamoDB rejected the transaction [{', '.join(labels)}]: {', '.join(reasons)}")
        self.labels = list(labels)
        self.reasons = list(reasons)


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded, jittered ("full jitter") exponential backoff for cancelled transactions.

    At most ``attempts`` sends, and no new one once ``max_total_seconds`` of sleeping would be exceeded.
    ``sleep`` and ``random`` are injectable so tests run without waiting and deterministically.
    """

    attempts: int = 6
    base_seconds: float = 0.025
    max_seconds: float = 0.8
    max_total_seconds: float = 2.0
    sleep: Callable[[float], None] = time.sleep
    random: Callable[[], float] = random.random

    def delays(self) -> Iterator[float]:
        """The pause before each retry; the iterator ends when the budget does."""
        slept = 0.0
        for retry in range(self.attempts - 1):
            delay = self.random() * min(self.max_seconds, self.base_seconds * 2**retry)
            if slept + delay > self.max_total_seconds:
                return
            slept += delay
            yield delay


retry_policy = RetryPolicy()
"""The policy every unit of work uses unless given its own (tests swap in one that does not sleep)."""


class UnitOfWork:
    """Collects puts, updates and condition checks and commits them as one TransactWriteItems call.

    PynamoDB sends condition checks, deletes, puts and updates in that order; the labels are kept in the
    same order so cancellation reasons can be mapped back to the domain's names for the items.
    """

    def __init__(self, notices: CommittedNotices | None = None, *, policy: RetryPolicy | None = None) -> None:
        self._notices = notices
        self._policy = policy
        self._token = uuid.uuid4().hex
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
        """Send the transaction under the conflict policy; then record the notices it committed."""
        if not len(self):
            return
        if len(self) > MAX_TRANSACTION_ITEMS:
            raise ValueError(f"transaction of {len(self)} items exceeds DynamoDB's limit")
        policy = self._policy or retry_policy
        delays = policy.delays()
        attempts = 0
        while True:
            attempts += 1
            reasons = self._send()
            if reasons is None:
                break
            delay = next(delays, None)
            if delay is None:
                raise TransactionBusy(reasons, attempts)
            policy.sleep(delay)
        self._record_notices()

    def _send(self) -> list[str] | None:
        """One TransactWriteItems call: None if it committed, the reasons if it may be sent again."""
        connection: Connection = Entity._get_connection().connection
        try:
            with TransactWrite(connection=connection, client_request_token=self._token) as transaction:
                for _, model, pk, sk, check in self._checks:
                    transaction.condition_check(model, pk, sk, condition=check)
                for _, item, put_condition in self._puts:
                    transaction.save(item, condition=put_condition)
                for _, item, actions, update_condition in self._updates:
                    transaction.update(item, actions, condition=update_condition)
        except Exception as error:
            return self._classify(error)
        return None

    def _classify(self, error: Exception) -> list[str]:
        """Refusal, bug or "not now": raise the first two, return the reasons of the third."""
        error_code = getattr(error, "cause_response_code", None)
        if error_code in RETRIABLE_ERRORS:
            return [str(error_code)]
        codes = _cancellation_codes(error)
        if codes is None:
            raise error
        reasons = [code for code in codes if code != "None"]
        labels = self.labels
        if CONDITION_FAILED in reasons:
            failed = [labels[i] for i, code in enumerate(codes) if code == CONDITION_FAILED]
            raise TransactionConflict(failed, reasons) from error
        if reasons and all(code in RETRIABLE_REASONS for code in reasons):
            return reasons
        logger.error(
            "DynamoDB rejected a transaction",
            extra={"labels": labels, "reasons": codes, "token": self._token},
        )
        raise TransactionRejected(labels, reasons or codes) from error

    def _record_notices(self) -> None:
        notices = [item.notification_id for _, item, _ in self._puts if isinstance(item, NotificationItem)]
        if notices and self._notices is not None:
            self._notices.record(notices)


def _cancellation_codes(error: Exception) -> list[str] | None:
    """Codes per item of a cancelled transaction, or None if the error is not a cancellation."""
    reasons: Any = getattr(error, "cancellation_reasons", None)
    if getattr(error, "cause_response_code", None) != "TransactionCanceledException":
        return None
    return [(reason.code if reason is not None else "None") for reason in (reasons or [])]
