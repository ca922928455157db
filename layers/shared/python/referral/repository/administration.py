"""Administration: the program settings (versioned), admins, the audit trail, and the sync's health."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from pynamodb.expressions.update import Action

from referral.clock import month_of, to_iso
from referral.domain.audit import AuditRecord
from referral.errors import ActorChanged, AlreadyExists, DomainError, StaleRead
from referral.repository import keys, mapping
from referral.repository.changes import commit, get_item
from referral.repository.models import (
    AdminItem,
    AuditChange,
    AuditItem,
    Entity,
    OzonConnectionItem,
    SettingsItem,
)
from referral.repository.unit_of_work import CommittedNotices, TransactionConflict, UnitOfWork

AUDIT = "audit"
SETTINGS = "settings"
SETTINGS_HISTORY = "settings_history"
OZON_CONNECTION = "ozon_connection"
ADMIN = "admin"
ACTING_OWNER = "acting_owner"
OWNER_ROLE = "owner"


def add_audit(uow: UnitOfWork, record: AuditRecord) -> None:
    """Put the audit record of a change into the change's own transaction."""
    stamp = to_iso(record.created_at)
    uow.create(
        AUDIT,
        AuditItem(
            keys.audit_pk(record.audit_id),
            keys.AUDIT_SK,
            audit_id=record.audit_id,
            actor_id=record.actor_id,
            action=record.action,
            object_type=record.object_type,
            object_id=record.object_id,
            object_name=record.object_name,
            changes=[AuditChange(attribute=c.attribute, old=c.old, new=c.new) for c in record.changes],
            reason=record.reason,
            created_at=stamp,
            gsi1pk=keys.audit_object_gsi(record.object_type, record.object_id),
            gsi1sk=keys.dated(stamp, record.audit_id),
            gsi2pk=keys.feed_pk(keys.FEED_AUDIT, month_of(record.created_at)),
            gsi2sk=keys.dated(stamp, record.audit_id),
        ),
    )


def _admin_refusal(conflict: TransactionConflict) -> DomainError:
    if conflict.failed_on(ACTING_OWNER):
        return ActorChanged("Your admin account was changed meanwhile; log in again.")
    return StaleRead("The admin was changed meanwhile; reload and try again.")


class AdministrationRepository:
    """Settings, admins and the audit trail."""

    def __init__(self, notices: CommittedNotices | None = None) -> None:
        self._notices = notices

    # --- settings ----------------------------------------------------------------------------------

    def get_settings_item(self) -> SettingsItem | None:
        return get_item(SettingsItem, keys.SETTINGS_PK, keys.SETTINGS_CURRENT)

    def commit_settings(
        self,
        document: dict[str, Any],
        version: int,
        actor_id: str | None,
        audit: AuditRecord | None,
        now: datetime,
    ) -> None:
        """Write version ``version`` of the settings, only if the stored one is ``version - 1``."""
        uow = UnitOfWork(self._notices)
        value = json.dumps(document, sort_keys=True, ensure_ascii=False)
        stamp = to_iso(now)
        fields: dict[str, Any] = {
            "value": value,
            "version": version,
            "updated_at": stamp,
            "updated_by": actor_id,
        }
        current = SettingsItem(keys.SETTINGS_PK, keys.SETTINGS_CURRENT, **fields)
        condition = SettingsItem.pk.does_not_exist() if version == 1 else SettingsItem.version == version - 1
        uow.put(SETTINGS, current, condition)
        uow.create(
            SETTINGS_HISTORY,
            SettingsItem(keys.SETTINGS_HISTORY_PK, keys.settings_version_sk(version), **fields),
        )
        if audit is not None:
            add_audit(uow, audit)
        commit(uow, lambda _: StaleRead("Settings were changed by someone else; reload them and try again."))

    def settings_history(self) -> list[SettingsItem]:
        return list(SettingsItem.query(keys.SETTINGS_HISTORY_PK, scan_index_forward=False))

    def record_sync_health(self, now: datetime, error: str | None) -> None:
        """The sync's last outcome, for the dashboard (an error such as a rejected key, or success)."""
        stamp = to_iso(now)
        actions: list[Action] = [OzonConnectionItem.entity_type.set(OzonConnectionItem)]
        if error:
            actions += [
                OzonConnectionItem.last_error_at.set(stamp),
                OzonConnectionItem.last_error.set(error[:500]),
            ]
        else:
            actions += [OzonConnectionItem.last_success_at.set(stamp), OzonConnectionItem.last_error.remove()]
        OzonConnectionItem(keys.OZON_CONNECTION_PK, keys.OZON_CONNECTION_SK).update(actions)

    # --- audit -------------------------------------------------------------------------------------

    def get_audit(self, audit_id: str) -> AuditRecord | None:
        item = get_item(AuditItem, keys.audit_pk(audit_id), keys.AUDIT_SK)
        return mapping.audit(item) if item else None

    def audit_of(self, object_type: str, object_id: str) -> list[AuditRecord]:
        return [
            mapping.audit(item)
            for item in Entity.by_owner.query(
                keys.audit_object_gsi(object_type, object_id), scan_index_forward=False
            )
            if isinstance(item, AuditItem)
        ]

    # --- admins ------------------------------------------------------------------------------------

    def get_admin(self, telegram_id: str) -> AdminItem | None:
        return get_item(AdminItem, keys.admin_pk(telegram_id), keys.ADMIN_SK)

    def ensure_admin(self, telegram_id: str, role: str, now: datetime) -> None:
        """Bootstrap admins from configuration without overwriting what operators changed since.

        ``AlreadyExists`` if the admin is there (a concurrent first login created it).
        """
        uow = UnitOfWork(self._notices)
        uow.create(ADMIN, _admin_item(telegram_id, role, None, "bootstrap", now))
        commit(uow, lambda _: AlreadyExists("This user is already an admin.", reason="admin_exists"))

    def commit_admin_create(
        self,
        telegram_id: str,
        role: str,
        name: str | None,
        actor: tuple[str, int],
        audit: AuditRecord,
        now: datetime,
    ) -> None:
        """A new admin and its audit record; ``AlreadyExists`` if one exists.

        ``actor`` (id, session version): the acting owner must still be that owner when this commits
        (``ActorChanged`` otherwise).
        """
        uow = UnitOfWork(self._notices)
        self._acting_owner(uow, *actor)
        uow.create(ADMIN, _admin_item(telegram_id, role, name, actor[0], now))
        add_audit(uow, audit)
        commit(
            uow,
            lambda conflict: (
                _admin_refusal(conflict)
                if conflict.failed_on(ACTING_OWNER)
                else AlreadyExists("This user was added meanwhile; reload the list.", reason="admin_exists")
            ),
        )

    def commit_admin_change(
        self,
        telegram_id: str,
        expected_session_version: int,
        fields: dict[str, Any],
        audit: AuditRecord,
        actor: tuple[str, int],
    ) -> None:
        """Change an admin and end its sessions (``session_version`` + 1), conditioned on what was read.

        ``actor`` (id, session version): the acting owner must still be that owner when this commits, so
        two owners changing each other at once cannot both succeed (one would take the other's rights).
        """
        uow = UnitOfWork(self._notices)
        self._acting_owner(uow, *actor)
        uow.update(
            ADMIN,
            AdminItem(keys.admin_pk(telegram_id), keys.ADMIN_SK),
            [
                *(getattr(AdminItem, name).set(value) for name, value in fields.items()),
                AdminItem.session_version.add(1),
            ],
            AdminItem.pk.exists() & (AdminItem.session_version == expected_session_version),
        )
        add_audit(uow, audit)
        commit(uow, _admin_refusal)

    @staticmethod
    def _acting_owner(uow: UnitOfWork, telegram_id: str, session_version: int) -> None:
        uow.check(
            ACTING_OWNER,
            AdminItem,
            keys.admin_pk(telegram_id),
            keys.ADMIN_SK,
            (AdminItem.session_version == session_version) & (AdminItem.role == OWNER_ROLE),
        )


def _admin_item(telegram_id: str, role: str, name: str | None, added_by: str, now: datetime) -> AdminItem:
    return AdminItem(
        keys.admin_pk(telegram_id),
        keys.ADMIN_SK,
        telegram_id=telegram_id,
        role=role,
        name=name,
        created_at=to_iso(now),
        added_by=added_by,
        gsi1pk=keys.ADMINS_GSI,
        gsi1sk=telegram_id,
    )
