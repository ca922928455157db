"""Admin accounts beyond the store's audited changes: the list of admins and the name Telegram shows."""

from __future__ import annotations

from referral.repository import keys
from referral.repository.models import AdminItem, Entity


def admins() -> list[AdminItem]:
    return [i for i in Entity.by_owner.query(keys.ADMINS_GSI) if isinstance(i, AdminItem)]


def set_admin_name(telegram_id: str, name: str) -> None:
    """The admin's name as Telegram shows it at login: no operator's change (not audited, sessions kept)."""
    AdminItem(keys.admin_pk(telegram_id), keys.ADMIN_SK).update(
        [AdminItem.name.set(name)], condition=AdminItem.pk.exists()
    )
