"""Audit records of operators' changes (R11): who, when, what object, each attribute's old/new value."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class Change:
    attribute: str
    old: str | None
    new: str | None


@dataclass(frozen=True, slots=True)
class AuditRecord:
    audit_id: str
    actor_id: str
    action: str
    object_type: str
    object_id: str
    created_at: datetime
    changes: tuple[Change, ...] = ()
    object_name: str | None = None
    reason: str | None = None


def render(value: Any) -> str | None:
    """Audit values are stored as text so any attribute type can be shown side by side."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Mapping | list | tuple):
        return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
    return str(value)


def diff(old: Mapping[str, Any], new: Mapping[str, Any]) -> tuple[Change, ...]:
    """Per-attribute changes between two flat snapshots; unchanged attributes are left out."""
    changes = []
    for key in sorted(set(old) | set(new)):
        before, after = render(old.get(key)), render(new.get(key))
        if before != after:
            changes.append(Change(key, before, after))
    return tuple(changes)
