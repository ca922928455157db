"""Admin accounts beyond the store's audited changes: the list of admins, the name Telegram shows, and
logging out, and what the login guards remember (used logins, attempts per client; both expire by TTL)."""

from __future__ import annotations

from datetime import UTC, datetime

from pynamodb.exceptions import PutError, UpdateError

from referral.repository import keys
from referral.repository.changes import is_condition_failure
from referral.repository.models import AdminItem, Entity, GuardMarkItem


def admins() -> list[AdminItem]:
    return [i for i in Entity.by_owner.query(keys.ADMINS_GSI) if isinstance(i, AdminItem)]


def set_admin_name(telegram_id: str, name: str) -> None:
    """The admin's name as Telegram shows it at login: no operator's change (not audited, sessions kept)."""
    AdminItem(keys.admin_pk(telegram_id), keys.ADMIN_SK).update(
        [AdminItem.name.set(name)], condition=AdminItem.pk.exists()
    )


def end_sessions(telegram_id: str, session_version: int) -> None:
    """Log out: the next session version refuses every token issued before (no operator's change, not
    audited). A version moved meanwhile has ended those tokens already."""
    try:
        AdminItem(keys.admin_pk(telegram_id), keys.ADMIN_SK).update(
            [AdminItem.session_version.add(1)], condition=AdminItem.session_version == session_version
        )
    except UpdateError as error:
        if not is_condition_failure(error):
            raise


def use_login(login_hash: str, until: int) -> bool:
    """Remember a Telegram login as used (conditional put); False when it was used already."""
    mark = GuardMarkItem(
        keys.used_login_pk(login_hash), keys.GUARD_SK, expires_at=datetime.fromtimestamp(until, tz=UTC)
    )
    try:
        mark.save(condition=GuardMarkItem.pk.does_not_exist())
    except PutError as error:
        if is_condition_failure(error):
            return False
        raise
    return True


def count_attempt(scope: str, client: str, window: int, until: int, limit: int) -> bool:
    """Count one attempt of ``client`` in ``window`` (one conditional update); False when ``limit`` are
    counted already (then nothing is counted: a flood does not keep extending anything)."""
    try:
        GuardMarkItem(keys.attempts_pk(scope, client, window), keys.GUARD_SK).update(
            actions=[
                GuardMarkItem.entity_type.set(GuardMarkItem),
                GuardMarkItem.attempts.add(1),
                GuardMarkItem.expires_at.set(datetime.fromtimestamp(until, tz=UTC)),
            ],
            condition=GuardMarkItem.attempts.does_not_exist() | (GuardMarkItem.attempts < limit),
        )
    except UpdateError as error:
        if is_condition_failure(error):
            return False
        raise
    return True
