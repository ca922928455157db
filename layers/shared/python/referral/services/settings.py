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
from referral.repository.ozon_connection import KeyUnavailable, OzonConnectionStore
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
    error_code: str | None = None
    """Stable code of ``last_error`` (``CONNECTION_ERRORS``), for the web app to word in RU/EN."""
    source: str = "deployment"
    """``operator`` when operators' credentials are in force, else the deployment's (if any)."""
    updated_at: str | None = None
    updated_by: str | None = None


CONNECTION_ERRORS = ("not_configured", "key_rejected", "key_unavailable", "ozon_unavailable", "sync_failed")
"""What can be wrong with the connection; a reason code, never the raw exception text, reaches operators."""

API_KEY_LENGTH = (10, 200)
CLIENT_ID_DIGITS = 20


def connection_error_code(error: str | None) -> str | None:
    """The code of the sync's last recorded error (its text is logged; operators see the code)."""
    if not error:
        return None
    lowered = error.lower()
    if "not configured" in lowered:
        return "not_configured"
    if "rejected the api key" in lowered or lowered.startswith("ozonautherror"):
        return "key_rejected"
    if lowered.startswith(("ozonunavailable", "ozon /")) or "request budget" in lowered:
        return "ozon_unavailable"
    return "sync_failed"


def unsendable_credentials(client_id: str, api_key: str | None) -> tuple[str, str] | None:
    """(reason, message) when the Client-Id or key cannot be sent as an HTTP header, else None.

    Header values are printable ASCII: a pasted key with a line break, a tab, a non-breaking space or
    Cyrillic look-alikes would fail every request, so it is refused before it is stored.
    """
    if not client_id.isascii() or not client_id.isdigit() or len(client_id) > CLIENT_ID_DIGITS:
        return "ozon_client_id_format", "The Ozon Client-Id is a number of up to 20 digits."
    if api_key is None:
        return None
    low, high = API_KEY_LENGTH
    if not low <= len(api_key) <= high:
        return "ozon_api_key_format", f"The Ozon Api-Key should be {low} to {high} characters long."
    if not all("!" <= char <= "~" for char in api_key):
        return (
            "ozon_api_key_characters",
            "The Ozon Api-Key may contain only Latin letters, digits and punctuation, without spaces or "
            "line breaks: copy it again from the Seller account.",
        )
    return None


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
        self.connections = OzonConnectionStore(self.administration._notices)
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
        """The Seller API connection as operators may see it: never the key itself.

        A key still stored in the table by an earlier release is moved into its secret here.
        """
        stored = self.connections.get(migrate=True)
        deployment = bool(optional("OZON_CLIENT_ID") and optional_secret("OZON_API_KEY"))
        if stored is None:
            return OzonConnection(client_id=optional("OZON_CLIENT_ID"), api_key_set=deployment)
        code = connection_error_code(stored.last_error)
        reference = stored.key_reference
        key_set = reference is not None
        if reference is not None and stored.client_id:
            try:
                self.connections.api_key(reference, fresh=True)
            except KeyUnavailable:
                key_set, code = False, "key_unavailable"
        operator = bool(stored.client_id and key_set)
        return OzonConnection(
            client_id=stored.client_id if stored.client_id else optional("OZON_CLIENT_ID"),
            api_key_set=key_set if stored.client_id else deployment,
            last_success_at=stored.last_success_at,
            last_error_at=stored.last_error_at,
            last_error=stored.last_error,
            error_code=code,
            source="operator" if operator else "deployment",
            updated_at=stored.updated_at,
            updated_by=stored.updated_by,
        )

    def ozon_credentials(self) -> tuple[str, str] | None:
        """Client-Id and Api-Key for the sync and claims: the operators' setting, else the deployment's."""
        try:
            operators = self.connections.credentials()
        except KeyUnavailable:
            operators = None
        if operators is not None:
            return operators
        client_id, api_key = optional("OZON_CLIENT_ID"), optional_secret("OZON_API_KEY")
        return (client_id, api_key) if client_id and api_key else None

    def update_ozon_connection(
        self, actor_id: str, client_id: str, api_key: str | None = None
    ) -> OzonConnection:
        client_id = (client_id or "").strip()
        api_key = api_key.strip() if api_key is not None else None
        problem = unsendable_credentials(client_id, api_key)
        if problem is not None:
            raise InvalidInput(problem[1], reason=problem[0])
        before = self.ozon_connection()
        if api_key is None and before.source != "operator":
            # Keeping the stored key needs one to be stored: a matter of state, not of the request (409).
            raise Conflict(
                "Enter the Ozon Api-Key too: no key is stored yet.", reason="ozon_api_key_required"
            )
        changes = [Change("client_id", before.client_id, client_id)]
        if api_key is not None:
            changes.append(Change("api_key", "set" if before.api_key_set else None, "changed"))
        self.connections.commit(
            client_id, api_key, actor_id, self._connection_audit(actor_id, changes), self.clock()
        )
        return self.ozon_connection()

    def clear_ozon_connection(self, actor_id: str) -> OzonConnection:
        """Forget the operators' Client-Id and key: the deployment's credentials (if any) apply again."""
        before = self.ozon_connection()
        changes = [Change("client_id", before.client_id, None)]
        if before.source == "operator":
            changes.append(Change("api_key", "set", None))
        self.connections.clear(actor_id, self._connection_audit(actor_id, changes), self.clock())
        return self.ozon_connection()

    def _connection_audit(self, actor_id: str, changes: list[Change]) -> AuditRecord:
        return AuditRecord(
            audit_id=uuid.uuid4().hex,
            actor_id=actor_id,
            action="settings.ozon_connection",
            object_type="settings",
            object_id="ozon_connection",
            object_name="Ozon Seller API",
            created_at=self.clock(),
            changes=tuple(changes),
        )
