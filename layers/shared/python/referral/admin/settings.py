"""Program settings, the Ozon connection (key write-only) and the admins list — changed by owners, audited."""

from __future__ import annotations

from copy import copy
from typing import Annotated, Any, Literal

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from pydantic import BaseModel, Field, StrictBool, StrictInt, StringConstraints, WithJsonSchema, create_model

from referral.admin import context
from referral.admin.pagination import BadRequest
from referral.admin.roles import actor, owner_only
from referral.admin.schemas import IdText, Reason, Strict, Timestamp, non_blank
from referral.domain.settings import Settings
from referral.ozon.streams import STREAMS
from referral.repository.models import AdminItem
from referral.repository.sync_state import SyncState
from referral.services.admins import Role
from referral.services.settings import OzonConnection, unsendable_credentials

router = Router()  # type: ignore[no-untyped-call]

AdminId = Annotated[str, Path(pattern=r"^[0-9]{1,20}$")]


class SettingsOut(BaseModel):
    version: int
    """0 until the first change: the defaults are in force."""
    settings: dict[str, Any]


def changes_schema() -> dict[str, Any]:
    """The JSON Schema of ``changes``: any of the settings, each with its own type and bounds.

    Derived from the settings model, so the document never promises a value the settings refuse; the
    values themselves are checked by the settings (their errors name the setting, as the form does).
    Whether changes fit the settings in force (one rate per level, a maximum above the minimum) is a
    matter of that state: a misfit is a 409.
    """
    fields: dict[str, Any] = {}
    for name, info in Settings.model_fields.items():
        optional = copy(info)
        optional.default = None
        optional.default_factory = None
        fields[name] = (info.annotation, optional)
    partial = create_model("SettingsChanges", __base__=Strict, **fields)
    schema: dict[str, Any] = partial.model_json_schema(ref_template="#/$defs/{model}")
    definitions = schema.pop("$defs", {})
    inlined: dict[str, Any] = _inline(schema, definitions)
    inlined.pop("title", None)
    return {**inlined, "minProperties": 1, "description": "Settings to replace; texts are merged per key."}


def _inline(node: Any, definitions: dict[str, Any]) -> Any:
    """The schema with each ``$ref`` replaced by its definition (the settings' models nest without cycles)."""
    if isinstance(node, dict):
        if "$ref" in node:
            return _inline(definitions[node["$ref"].rsplit("/", 1)[-1]], definitions)
        return {key: _inline(value, definitions) for key, value in node.items()}
    if isinstance(node, list):
        return [_inline(value, definitions) for value in node]
    return node


class SettingsUpdate(Strict):
    expected_version: Annotated[
        StrictInt, Field(ge=0, le=10**12, description="The version read; a change meanwhile is refused")
    ]
    changes: Annotated[dict[str, Any], Field(min_length=1), WithJsonSchema(changes_schema())]
    reason: Annotated[str | None, StringConstraints(strip_whitespace=True, max_length=500)] = None


@router.get("/settings", summary="The program settings in force", tags=["settings"])
def get_settings() -> SettingsOut:
    settings, version = context.current().services.settings.versioned()
    return SettingsOut(version=version, settings=settings.to_document())


@router.put(
    "/settings",
    summary="Change settings (owners; validated, versioned, audited)",
    tags=["settings"],
    middlewares=[owner_only],
)
def update_settings(body: SettingsUpdate) -> SettingsOut:
    settings, version = context.current().services.settings.update(
        actor(router).telegram_id,
        body.changes,
        expected_version=body.expected_version,
        reason=body.reason,
    )
    return SettingsOut(version=version, settings=settings.to_document())


class SyncStreamOut(BaseModel):
    """One stream of the Ozon sync: each progresses on its own, so one can fail while the others go on."""

    stream: str
    state: str
    """``ok``, ``failing`` (retried every run) or ``not_run_yet``."""
    last_success_at: Timestamp | None
    failing_since: Timestamp | None
    reason: str | None


class OzonConnectionOut(BaseModel):
    client_id: str | None
    api_key_set: bool
    """The key itself is never returned (it is kept in Secrets Manager, not in the table)."""
    source: Literal["operator", "deployment"]
    """Whose credentials the sync and claims use: set here by operators, or the deployment's."""
    updated_at: Timestamp | None
    updated_by: str | None
    last_success_at: Timestamp | None
    last_error_at: Timestamp | None
    last_error: str | None
    error_code: str | None
    """One of not_configured, key_rejected, key_unavailable, ozon_unavailable, sync_failed."""


class OzonHealthOut(OzonConnectionOut):
    """The connection with the health of each sync stream (since when a failing one fails, and why)."""

    streams: list[SyncStreamOut]


class OzonConnectionIn(Strict):
    client_id: Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[0-9]{1,20}$")]
    api_key: Annotated[
        str | None, StringConstraints(strip_whitespace=True, min_length=10, max_length=200)
    ] = Field(
        default=None,
        description="Write-only; omit to keep the stored key",
        json_schema_extra={"pattern": r"^\s*[!-~]{10,200}\s*$"},  # an HTTP header's printable ASCII
    )


def _ozon(connection: OzonConnection | None = None) -> OzonConnectionOut:
    connection = connection or context.current().services.settings.ozon_connection()
    return OzonConnectionOut(
        client_id=connection.client_id,
        api_key_set=connection.api_key_set,
        source="operator" if connection.source == "operator" else "deployment",
        updated_at=connection.updated_at,
        updated_by=connection.updated_by,
        last_success_at=connection.last_success_at,
        last_error_at=connection.last_error_at,
        last_error=connection.last_error,
        error_code=connection.error_code,
    )


def _sync_streams() -> list[SyncStreamOut]:
    health = SyncState().stream_health(STREAMS)
    return [
        SyncStreamOut(
            stream=stream,
            state=h.state,
            last_success_at=h.last_success_at,
            failing_since=h.failing_since,
            reason=h.reason,
        )
        for stream, h in health.items()
    ]


@router.get("/settings/ozon", summary="The Ozon Seller API connection (never the key)", tags=["settings"])
def get_ozon() -> OzonHealthOut:
    return OzonHealthOut(**_ozon().model_dump(), streams=_sync_streams())


@router.put(
    "/settings/ozon",
    summary="Set the Ozon Seller API connection (owners; the key goes to Secrets Manager; audited)",
    tags=["settings"],
    middlewares=[owner_only],
)
def update_ozon(body: OzonConnectionIn) -> OzonConnectionOut:
    problem = unsendable_credentials(body.client_id, body.api_key)
    if problem is not None:
        raise BadRequest(problem[1], reason=problem[0])
    return _ozon(
        context.current().services.settings.update_ozon_connection(
            actor(router).telegram_id, body.client_id, body.api_key
        )
    )


@router.delete(
    "/settings/ozon",
    summary="Clear the operators' Ozon connection: the deployment's credentials apply (owners; audited)",
    tags=["settings"],
    middlewares=[owner_only],
)
def clear_ozon() -> OzonConnectionOut:
    return _ozon(context.current().services.settings.clear_ozon_connection(actor(router).telegram_id))


class AdminRow(BaseModel):
    telegram_id: str
    role: str
    name: str | None
    active: bool
    blocked: bool
    added_by: str | None
    created_at: Timestamp


class AdminList(BaseModel):
    items: list[AdminRow]
    next_cursor: str | None = None
    """Always null: the admins list is one short page."""


def admin_row(item: AdminItem) -> AdminRow:
    return AdminRow(
        telegram_id=item.telegram_id,
        role=item.role,
        name=item.name,
        active=bool(item.active),
        blocked=bool(item.blocked),
        added_by=item.added_by,
        created_at=item.created_at,
    )


class AdminIn(Strict):
    telegram_id: IdText
    role: Role = Role.OPERATOR
    name: Annotated[str | None, non_blank(100)] = None
    reason: Reason | None = None


class RoleIn(Strict):
    role: Role
    reason: Reason | None = None


class AdminBlockIn(Strict):
    blocked: StrictBool
    reason: Reason | None = None


@router.get("/admins", summary="Admins (owners)", tags=["admins"], middlewares=[owner_only])
def list_admins() -> AdminList:
    return AdminList(items=[admin_row(i) for i in context.current().admins.list()])


@router.post("/admins", summary="Add an admin (owners; audited)", tags=["admins"], middlewares=[owner_only])
def add_admin(body: AdminIn) -> AdminRow:
    return admin_row(
        context.current().admins.add(actor(router), body.telegram_id, body.role, body.name, body.reason)
    )


@router.put(
    "/admins/<telegram_id>/role",
    summary="Change an admin's role (owners; audited)",
    tags=["admins"],
    middlewares=[owner_only],
)
def set_role(telegram_id: AdminId, body: RoleIn) -> AdminRow:
    return admin_row(context.current().admins.set_role(actor(router), telegram_id, body.role, body.reason))


@router.put(
    "/admins/<telegram_id>/blocked",
    summary="Block or unblock an admin (owners; audited)",
    tags=["admins"],
    middlewares=[owner_only],
)
def set_admin_blocked(telegram_id: AdminId, body: AdminBlockIn) -> AdminRow:
    return admin_row(
        context.current().admins.set_blocked(actor(router), telegram_id, body.blocked, body.reason)
    )


@router.delete(
    "/admins/<telegram_id>",
    summary="Remove an admin (owners; audited)",
    tags=["admins"],
    middlewares=[owner_only],
)
def remove_admin(
    telegram_id: AdminId,
    reason: Annotated[
        str | None, Query(min_length=1, max_length=500, description="Why (kept in the journal)")
    ] = None,
) -> AdminRow:
    return admin_row(context.current().admins.remove(actor(router), telegram_id, reason))
