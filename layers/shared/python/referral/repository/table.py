"""Binding the models to a concrete table, and the table's definition for tests, local runs and CDK."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from pynamodb.models import Model

from referral.repository.models import Entity


@dataclass(frozen=True, slots=True)
class IndexDefinition:
    name: str
    partition_key: str
    sort_key: str
    projection: str = "ALL"


@dataclass(frozen=True, slots=True)
class TableDefinition:
    """Provider-neutral description of the table, derived from the PynamoDB models."""

    partition_key: str
    sort_key: str
    global_indexes: tuple[IndexDefinition, ...]
    ttl_attribute: str
    billing_mode: str
    attribute_types: dict[str, str]
    """DynamoDB type ("S", "N", "B") of every key attribute of the table and its indexes."""


def table_definition() -> TableDefinition:
    schema = Entity._get_schema()
    keys = {k["KeyType"]: k["AttributeName"] for k in schema["key_schema"]}
    indexes = []
    for gsi in schema["global_secondary_indexes"]:
        index_keys = {k["KeyType"]: k["AttributeName"] for k in gsi["key_schema"]}
        indexes.append(
            IndexDefinition(
                name=gsi["index_name"],
                partition_key=index_keys["HASH"],
                sort_key=index_keys["RANGE"],
                projection=gsi["projection"]["ProjectionType"],
            )
        )
    types = {d["AttributeName"]: d["AttributeType"] for d in schema["attribute_definitions"]}
    ttl = next(
        attr.attr_name
        for attr in Entity.get_attributes().values()
        if attr.__class__.__name__ == "TTLAttribute"
    )
    return TableDefinition(
        partition_key=keys["HASH"],
        sort_key=keys["RANGE"],
        global_indexes=tuple(sorted(indexes, key=lambda i: i.name)),
        ttl_attribute=ttl,
        billing_mode=Entity.Meta.billing_mode,
        attribute_types=types,
    )


def _all_models() -> list[type[Model]]:
    found: list[type[Model]] = [Entity]
    pending: list[type[Model]] = [Entity]
    while pending:
        for sub in pending.pop().__subclasses__():
            found.append(sub)
            pending.append(sub)
    return found


def bind_table(table_name: str, *, host: str | None = None, region: str | None = None) -> None:
    """Point every model at ``table_name`` and drop cached connections (tests rebind per test)."""
    if not table_name:
        raise ValueError("table name is required")
    region = region or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    meta: Any = Entity.Meta
    if (meta.table_name, getattr(meta, "host", None), getattr(meta, "region", None)) == (
        table_name,
        host,
        region,
    ):
        return
    meta.table_name = table_name
    meta.host = host
    meta.region = region
    # One connection (one botocore client) for every model: PynamoDB otherwise gives each model class its
    # own, and each client loads its own copy of the DynamoDB service model (about 10 MB apiece).
    for model in _all_models():
        if "_connection" in vars(model):
            delattr(model, "_connection")
    Entity._connection = None
    Entity._get_connection()


def bind_table_from_env() -> str:
    """Bind to ``TABLE_NAME``; DynamoDB's endpoint comes from the standard ``AWS_ENDPOINT_URL*`` vars."""
    table_name = os.environ.get("TABLE_NAME")
    if not table_name:
        raise RuntimeError("TABLE_NAME is not set")
    if Entity.Meta.table_name != table_name:
        bind_table(table_name)
    return table_name


def table_name() -> str:
    return str(Entity.Meta.table_name)


def create_table() -> None:
    """Create the bound table with its indexes and TTL (tests and local runs; CDK creates it in AWS)."""
    Entity.create_table(wait=True, billing_mode=Entity.Meta.billing_mode)


def low_level_client() -> Any:
    """The botocore client PynamoDB uses — for instrumentation (request counting) only."""
    return Entity._get_connection().connection.client
