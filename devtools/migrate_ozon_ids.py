"""Re-spell stored Ozon IDs canonically (ASCII digits, no leading zeros); safe to run again.

    python -m devtools.migrate_ozon_ids --dry-run     # print what would change and the collisions
    python -m devtools.migrate_ozon_ids               # change it (the table is TABLE_NAME)
    python -m devtools.migrate_ozon_ids --local       # the table of the system `make run` runs

Participants whose IDs become equal are reported, never merged: an operator decides who keeps the ID.
The exit status is 1 when collisions remain (each run reports them again), else 0.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import TextIO

from referral.repository import ozon_ids
from referral.repository.table import bind_table_from_env


def report(migration: ozon_ids.MigrationPlan, *, dry_run: bool, out: TextIO) -> None:
    verb = "would re-spell" if dry_run else "re-spelt"
    print(f"participants read: {migration.participants_read}", file=out)
    for change in migration.respellings:
        print(
            f"{verb} participant {change.participant_id}: {change.stored!r} -> {change.canonical}", file=out
        )
    for orphan in migration.orphans:
        print(f"{verb} remembered buyer {orphan.stored!r} -> {orphan.canonical}", file=out)
    for collision in migration.collisions:
        who = ", ".join(f"{pid} ({stored!r})" for pid, stored in collision.participants)
        print(f"collision on {collision.canonical}: {who} — left as is, an operator decides", file=out)
    for participant_id, stored in migration.unreadable:
        print(f"not an Ozon ID, left as is: participant {participant_id} {stored!r}", file=out)
    print(
        f"{len(migration.respellings)} participants and {len(migration.orphans)} remembered buyers "
        f"{'to re-spell' if dry_run else 're-spelt'}, {len(migration.collisions)} collisions, "
        f"{len(migration.unreadable)} unreadable",
        file=out,
    )


def run(*, dry_run: bool, out: TextIO = sys.stdout) -> ozon_ids.MigrationPlan:
    """Plan (and unless ``dry_run`` apply) the migration on the bound table; print what it found."""
    migration = ozon_ids.plan()
    if not dry_run:
        ozon_ids.apply(migration)
    report(migration, dry_run=dry_run, out=out)
    return migration


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--dry-run", action="store_true", help="print what would change, write nothing")
    parser.add_argument("--local", action="store_true", help="the table of the locally running system")
    args = parser.parse_args(argv)
    if args.local:
        from devtools.doctor import _local_environment

        _local_environment()
    if not os.environ.get("TABLE_NAME"):
        parser.error("TABLE_NAME is not set (or use --local)")
    bind_table_from_env()
    migration = run(dry_run=args.dry_run)
    return 1 if migration.collisions else 0


if __name__ == "__main__":
    raise SystemExit(main())
