"""Reading (cached) and updating (versioned, audited) the program settings."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from aws_lambda_powertools.utilities.parameters import DynamoDBProvider

from referral.clock import utcnow
from referral.config import optional, optional_secret
from referral.domain.audit import AuditRecord, Change, diff
from referral.domain.settings import Settings, merge_settings
from referral.errors import Conflict, InvalidInput, StaleRead
from referral.repository import keys
from referral.repository.administration import AdministrationRepository
from referral.repository.table import table_name

DEFAULT_CACHE_SECONDS = 60


def _flatten(document: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in document.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{name}."))
        else:
            flat[name] = value
    return flat


@dataclass(frozen=True, slots=True)
class OzonConnection:
    client_id: str | None
    api_key_set: bool
    last_success_at: str | None = None
    last_error_at: str | None = None
    last_error: str | None = None


class SettingsService:
    """Settings for the domain. Reads go through Powertools Parameters (cached for ``max_age`` seconds)."""

    def __init__(
        self,
        administration: AdministrationRepository | None = None,
        *,
        max_age: int | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.administration = administration or AdministrationRepository()
        self.max_age = (
            int(os.environ.get("SETTINGS_CACHE_SECONDS", DEFAULT_CACHE_SECONDS))
            if max_age is None
            else max_age
        )
        self.clock = clock
        self._provider: DynamoDBProvider | None = None
        self._provider_table: str | None = None

    def _parameters(self) -> DynamoDBProvider:
        name = table_name()
        if self._provider is None or self._provider_table != name:
            self._provider = DynamoDBProvider(
                table_name=name, key_attr="PK", sort_attr="SK", value_attr="value"
            )
            self._provider_table = name
        return self._provider

    def current(self, *, force_fetch: bool = False) -> Settings:
        values = self._parameters().get_multiple(
            keys.SETTINGS_PK, max_age=self.max_age, force_fetch=force_fetch or self.max_age == 0
        )
        raw = values.get(keys.SETTINGS_CURRENT) if isinstance(values, dict) else None
        if not isinstance(raw, str) or not raw:
            return Settings()
        return Settings.from_document(json.loads(raw))

    def versioned(self) -> tuple[Settings, int]:
        """The settings with their version, read strongly (for operators' edits)."""
        item = self.administration.get_settings_item()
        if item is None:
            return Settings(), 0
        return Settings.from_document(json.loads(item.value)), item.version

    def update(
        self,
        actor_id: str,
        changes: dict[str, Any],
        *,
        expected_version: int | None = None,
        reason: str | None = None,
    ) -> tuple[Settings, int]:
        current, version = self.versioned()
        if expected_version is not None and expected_version != version:
            raise Conflict(
                "Settings were changed by someone else; reload them and try again.",
                details={"expected_version": expected_version, "current_version": version},
                reason="stale",
            )
        updated = merge_settings(current, changes)
        now = self.clock()
        audit = AuditRecord(
            audit_id=uuid.uuid4().hex,
            actor_id=actor_id,
            action="settings.update",
            object_type="settings",
            object_id="settings",
            object_name=f"version {version + 1}",
            created_at=now,
            changes=diff(_flatten(current.to_document()), _flatten(updated.to_document())),
            reason=reason,
        )
        try:
            self.administration.commit_settings(updated.to_document(), version + 1, actor_id, audit, now)
        except StaleRead:
            raise Conflict(
                "Settings were changed by someone else; reload them and try again.", reason="stale"
            ) from None
        if self._provider is not None:
            self._provider.clear_cache()  # type: ignore[no-untyped-call]
        return updated, version + 1

    def ozon_connection(self) -> OzonConnection:
        """The Seller API connection as operators may see it: never the key itself."""
        item = self.administration.get_ozon_connection()
        if item is None:
            return OzonConnection(client_id=None, api_key_set=False)
        return OzonConnection(
            client_id=item.client_id,
            api_key_set=bool(item.api_key),
            last_success_at=item.last_success_at,
            last_error_at=item.last_error_at,
            last_error=item.last_error,
        )

    def ozon_credentials(self) -> tuple[str, str] | None:
        """Client-Id and Api-Key for the sync: the operators' setting, else the deployment's."""
        item = self.administration.get_ozon_connection()
        if item is not None and item.client_id and item.api_key:
            return item.client_id, item.api_key
        client_id, api_key = optional("OZON_CLIENT_ID"), optional_secret("OZON_API_KEY")
        return (client_id, api_key) if client_id and api_key else None

    def update_ozon_connection(
        self, actor_id: str, client_id: str, api_key: str | None = None
    ) -> OzonConnection:
        client_id = (client_id or "").strip()
        if not client_id.isdigit() or len(client_id) > 20:
            raise InvalidInput(
                "The Ozon Client-Id is a number of up to 20 digits.", reason="ozon_client_id_format"
            )
        if api_key is not None and not 10 <= len(api_key.strip()) <= 200:
            raise InvalidInput(
                "The Ozon Api-Key looks wrong: it should be 10 to 200 characters.",
                reason="ozon_api_key_format",
            )
        before = self.ozon_connection()
        changes = [Change("client_id", before.client_id, client_id)]
        if api_key is not None:
            changes.append(Change("api_key", "set" if before.api_key_set else None, "changed"))
        audit = AuditRecord(
            audit_id=uuid.uuid4().hex,
            actor_id=actor_id,
            action="settings.ozon_connection",
            object_type="settings",
            object_id="ozon_connection",
            object_name="Ozon Seller API",
            created_at=self.clock(),
            changes=tuple(changes),
        )
        self.administration.commit_ozon_connection(
            client_id, api_key.strip() if api_key else None, actor_id, audit, self.clock()
        )
        return self.ozon_connection()
