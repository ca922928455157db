"""Short request numbers: a counter item advanced in the same transaction that creates the request.

The transaction puts the counter at ``last + 1`` on the condition that it still says ``last`` (the value
read just before) and creates ``WDNUM#<number>`` only if it does not exist: two requests racing for one
number cannot both commit, and the loser reads the counter again and takes the next one. A number is
used only when its transaction commits, so numbers have no gaps; a retry of the same request finds the
request it opened, with its number, and takes none.

Run as ``python -m referral.repository.withdrawal_numbers [--dry-run]`` (with ``TABLE_NAME`` set) to give
numbers to requests made before numbering, oldest first; running it again changes nothing.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from dataclasses import dataclass

from referral.domain.payouts import number_label
from referral.errors import Busy
from referral.repository import keys, unit_of_work
from referral.repository.changes import get_item
from referral.repository.models import WithdrawalCounterItem, WithdrawalItem, WithdrawalNumberItem
from referral.repository.table import bind_table_from_env
from referral.repository.unit_of_work import TransactionConflict, UnitOfWork

COUNTER = "number_counter"
NUMBER = "number_claim"
NUMBER_ATTEMPTS = 25
"""How often a request may lose the race for a number before it gives up (``Busy``)."""


class NumberTaken(Exception):
    """Another transaction took the number meanwhile: read the counter again and retry."""


def last_number() -> int:
    """The last number given (0 before the first), read consistently."""
    try:
        item = WithdrawalCounterItem.get(keys.WITHDRAWAL_COUNTER_PK, keys.COUNTER_SK, consistent_read=True)
    except WithdrawalCounterItem.DoesNotExist:
        return 0
    return int(item.last)


def take_number(uow: UnitOfWork, last: int, withdrawal_id: str) -> int:
    """Add to ``uow`` the counter's move from ``last`` and the number's claim; returns the number."""
    number = last + 1
    counter = WithdrawalCounterItem(keys.WITHDRAWAL_COUNTER_PK, keys.COUNTER_SK, last=number)
    uow.put(
        COUNTER,
        counter,
        WithdrawalCounterItem.last == last if last else WithdrawalCounterItem.pk.does_not_exist(),
    )
    uow.create(
        NUMBER,
        WithdrawalNumberItem(
            keys.withdrawal_number_pk(number), keys.WITHDRAWAL_NUMBER_SK, withdrawal_id=withdrawal_id
        ),
    )
    return number


def lost_number(conflict: TransactionConflict) -> bool:
    return conflict.failed_on(COUNTER) or conflict.failed_on(NUMBER)


def with_number(build: Callable[[int], UnitOfWork], commit: Callable[[UnitOfWork], None]) -> int:
    """Build the transaction for the next free number and commit it; again while the number is lost.

    ``commit`` raises ``NumberTaken`` for a lost number (any other refusal ends the attempts).
    """
    policy = unit_of_work.retry_policy
    for attempt in range(NUMBER_ATTEMPTS):
        last = last_number()
        try:
            commit(build(last))
        except NumberTaken:
            policy.sleep(policy.random() * policy.base_seconds * min(attempt + 1, 8))
            continue
        return last + 1
    raise Busy(
        "The request could not be numbered because of concurrent requests; please try again.",
        details={"attempts": NUMBER_ATTEMPTS},
        reason="busy_retry",
    )


def withdrawal_id_by_number(number: int) -> str | None:
    item = get_item(WithdrawalNumberItem, keys.withdrawal_number_pk(number), keys.WITHDRAWAL_NUMBER_SK)
    return item.withdrawal_id if item else None


# --- backfill -----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Numbered:
    withdrawal_id: str
    created_at: str
    number: int


def unnumbered() -> list[WithdrawalItem]:
    """Requests without a number, oldest first (a scan: a one-off over a small, old set)."""
    items = list(WithdrawalItem.scan(WithdrawalItem.number.does_not_exist()))
    return sorted(items, key=lambda i: (i.created_at, i.withdrawal_id))


def backfill(*, dry_run: bool) -> list[Numbered]:
    """Number every request that has no number, oldest first, each in its own transaction.

    The request's update is conditioned on it having no number yet, so running twice (or alongside new
    requests, which take numbers from the same counter) never numbers a request twice.
    """
    done: list[Numbered] = []
    planned = last_number()
    for item in unnumbered():
        if dry_run:
            planned += 1
            done.append(Numbered(item.withdrawal_id, item.created_at, planned))
            continue
        number = _number_one(item.withdrawal_id)
        if number is not None:
            done.append(Numbered(item.withdrawal_id, item.created_at, number))
    return done


def _number_one(withdrawal_id: str) -> int | None:
    """One request's number; ``None`` if it got one meanwhile."""

    def build(last: int) -> UnitOfWork:
        uow = UnitOfWork()
        number = take_number(uow, last, withdrawal_id)
        uow.update(
            "withdrawal",
            WithdrawalItem(keys.withdrawal_pk(withdrawal_id), keys.WITHDRAWAL_SK),
            [WithdrawalItem.number.set(number)],
            WithdrawalItem.pk.exists() & WithdrawalItem.number.does_not_exist(),
        )
        return uow

    def commit(uow: UnitOfWork) -> None:
        try:
            uow.commit()
        except TransactionConflict as conflict:
            if lost_number(conflict):
                raise NumberTaken from None
            raise

    try:
        return with_number(build, commit)
    except TransactionConflict:
        return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Give numbers to withdrawal requests that have none.")
    parser.add_argument("--dry-run", action="store_true", help="only list what would be numbered")
    args = parser.parse_args(argv)
    bind_table_from_env()
    done = backfill(dry_run=args.dry_run)
    verb = "would number" if args.dry_run else "numbered"
    for row in done:
        print(f"{verb} {row.withdrawal_id} ({row.created_at}) as {number_label(row.number, '')}")
    print(f"{verb} {len(done)} request(s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
