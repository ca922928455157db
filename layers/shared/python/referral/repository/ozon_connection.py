"""The Seller API connection operators enter: the key in Secrets Manager, only a reference in the table.

The item ``OZON_CONNECTION`` / ``CURRENT`` keeps the Client-Id, the secret's ARN and the version id of the
key written, and who set it when. Readers fetch exactly that version, so a key put into the secret by a
write whose table transaction then failed is never used. A key stored in the item by an earlier release
(``api_key``) is moved into the secret the next time the admin API reads or writes the connection.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import boto3
from botocore.exceptions import ClientError
from pynamodb.exceptions import UpdateError
from pynamodb.expressions.update import Action

from referral.clock import to_iso
from referral.domain.audit import AuditRecord
from referral.repository import keys
from referral.repository.administration import add_audit
from referral.repository.changes import get_item
from referral.repository.models import OzonConnectionItem
from referral.repository.unit_of_work import CommittedNotices, UnitOfWork

SECRET_NAME_VARIABLE = "OZON_CONNECTION_SECRET_NAME"  # noqa: S105 - a variable name
"""Set by the stack to ``<secret prefix>/ozon-api-key-operator``."""
DEFAULT_SECRET_NAME = "ozon-referral/ozon-api-key-operator"  # noqa: S105 - a name, not a secret
"""The stack's default secret prefix with the connection's suffix (the local run and tests use it)."""


def secret_name() -> str:
    return os.environ.get(SECRET_NAME_VARIABLE, "").strip() or DEFAULT_SECRET_NAME


class KeyUnavailable(RuntimeError):
    """The table references a key the secret no longer holds (deleted, or a local run restarted)."""


@dataclass(frozen=True, slots=True)
class StoredConnection:
    """The connection as stored, without the key."""

    client_id: str | None
    key_reference: tuple[str, str] | None
    """(secret ARN, version id) of the key in force, or None."""
    updated_at: str | None = None
    updated_by: str | None = None
    last_success_at: str | None = None
    last_error_at: str | None = None
    last_error: str | None = None


def _stored(item: OzonConnectionItem) -> StoredConnection:
    reference = (
        (item.api_key_secret, item.api_key_version) if item.api_key_secret and item.api_key_version else None
    )
    return StoredConnection(
        client_id=item.client_id,
        key_reference=reference,
        updated_at=item.updated_at,
        updated_by=item.updated_by,
        last_success_at=item.last_success_at,
        last_error_at=item.last_error_at,
        last_error=item.last_error,
    )


class OzonConnectionStore:
    """Reads and audited writes of the operators' connection; the secret is written before the table."""

    def __init__(self, notices: CommittedNotices | None = None, *, secrets: Any = None) -> None:
        self._notices = notices
        self._secrets = secrets
        self._cache: dict[tuple[str, str], str] = {}

    @property
    def secrets(self) -> Any:
        if self._secrets is None:
            self._secrets = boto3.client("secretsmanager")
        return self._secrets

    # --- reads ---------------------------------------------------------------------------------------

    def _item(self) -> OzonConnectionItem | None:
        return get_item(OzonConnectionItem, keys.OZON_CONNECTION_PK, keys.OZON_CONNECTION_SK)

    def get(self, *, migrate: bool = False) -> StoredConnection | None:
        """The connection; ``migrate`` moves a plain key into the secret (the admin API may write it)."""
        item = self._item()
        if item is None:
            return None
        if migrate and item.api_key:
            self._migrate(item)
            item = self._item()
            assert item is not None
        return _stored(item)

    def credentials(self) -> tuple[str, str] | None:
        """Client-Id and Api-Key set by operators, or None; a plain key not yet moved is still used."""
        item = self._item()
        if item is None or not item.client_id:
            return None
        if item.api_key:
            return item.client_id, item.api_key
        stored = _stored(item)
        if stored.key_reference is None:
            return None
        return item.client_id, self.api_key(stored.key_reference)

    def api_key(self, reference: tuple[str, str], *, fresh: bool = False) -> str:
        """The key of one version (cached: a version never changes; ``fresh`` checks it is still there)."""
        if fresh or reference not in self._cache:
            arn, version = reference
            try:
                answer = self.secrets.get_secret_value(SecretId=arn, VersionId=version)
            except ClientError as error:
                raise KeyUnavailable(error.response.get("Error", {}).get("Code", "error")) from None
            self._cache[reference] = str(answer["SecretString"])
        return self._cache[reference]

    # --- writes --------------------------------------------------------------------------------------

    def commit(
        self, client_id: str, api_key: str | None, actor_id: str, audit: AuditRecord, now: datetime
    ) -> None:
        """Set the Client-Id and (unless ``api_key`` is None) a new key version, with the audit record."""
        actions: list[Action] = [
            OzonConnectionItem.entity_type.set(OzonConnectionItem),
            OzonConnectionItem.client_id.set(client_id),
            OzonConnectionItem.updated_at.set(to_iso(now)),
            OzonConnectionItem.updated_by.set(actor_id),
        ]
        if api_key is not None:
            arn, version = self._put_secret(api_key)
            actions += [
                OzonConnectionItem.api_key_secret.set(arn),
                OzonConnectionItem.api_key_version.set(version),
                OzonConnectionItem.api_key.remove(),
            ]
        self._commit(actions, audit)

    def clear(self, actor_id: str, audit: AuditRecord, now: datetime) -> None:
        """Drop the operators' connection (the deployment's credentials apply again) and delete the key."""
        self._commit(
            [
                OzonConnectionItem.entity_type.set(OzonConnectionItem),
                OzonConnectionItem.client_id.remove(),
                OzonConnectionItem.api_key.remove(),
                OzonConnectionItem.api_key_secret.remove(),
                OzonConnectionItem.api_key_version.remove(),
                OzonConnectionItem.updated_at.set(to_iso(now)),
                OzonConnectionItem.updated_by.set(actor_id),
            ],
            audit,
        )
        try:
            self.secrets.delete_secret(SecretId=secret_name(), ForceDeleteWithoutRecovery=True)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "ResourceNotFoundException":
                raise
        self._cache.clear()

    def _commit(self, actions: list[Action], audit: AuditRecord) -> None:
        uow = UnitOfWork(self._notices)
        uow.update(
            "ozon_connection", OzonConnectionItem(keys.OZON_CONNECTION_PK, keys.OZON_CONNECTION_SK), actions
        )
        add_audit(uow, audit)
        uow.commit()

    def _migrate(self, item: OzonConnectionItem) -> None:
        """Move a plain key into the secret; the condition keeps a concurrent change from being undone."""
        assert item.api_key is not None
        arn, version = self._put_secret(item.api_key)
        try:
            item.update(
                [
                    OzonConnectionItem.api_key_secret.set(arn),
                    OzonConnectionItem.api_key_version.set(version),
                    OzonConnectionItem.api_key.remove(),
                ],
                condition=OzonConnectionItem.api_key == item.api_key,
            )
        except UpdateError as error:  # a concurrent migration or change won; its state stands
            if error.cause_response_code != "ConditionalCheckFailedException":
                raise

    def _put_secret(self, value: str) -> tuple[str, str]:
        """A new version of the secret (created on first use): its ARN and version id."""
        name = secret_name()
        try:
            answer = self.secrets.put_secret_value(SecretId=name, SecretString=value)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "ResourceNotFoundException":
                raise
            answer = self.secrets.create_secret(
                Name=name,
                SecretString=value,
                Description="Ozon Seller API key entered by an operator in the admin app",
            )
        return str(answer["ARN"]), str(answer["VersionId"])
