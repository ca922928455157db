"""The journal: operators' actions with each attribute's old and new value, and the global ledger."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path, Query

from referral.admin import context
from referral.admin.pagination import fingerprint, seal, unseal
from referral.admin.schemas import (
    AuditDetail,
    AuditPage,
    IdText,
    LedgerPage,
    audit_detail,
    audit_row,
    ledger_row,
    ordered,
)
from referral.domain.ledger import EntryKind
from referral.errors import NotFound
from referral.repository import admin_queries as q
from referral.repository import keys
from referral.repository.models import AuditItem, LedgerEntryItem

router = Router()  # type: ignore[no-untyped-call]

Limit = Annotated[int, Query(ge=1, le=100)]
Cursor = Annotated[str | None, Query(max_length=4096)]
Since = Annotated[date | None, Query(alias="from")]
Until = Annotated[date | None, Query(alias="to")]
Text = Annotated[str | None, Query(min_length=1, max_length=100)]


def _bounds(since: date | None, until: date | None) -> tuple[str | None, str | None]:
    ordered(dates=(since, until))
    return (since.isoformat() if since else None, until.isoformat() + "~" if until else None)


@router.get("/journal/actions", summary="Admins' actions, newest first, filtered", tags=["journal"])
def list_actions(
    actor_id: Annotated[IdText | None, Query()] = None,
    action: Text = None,
    object_type: Annotated[str | None, Query(pattern="^(participant|withdrawal|settings|admin)$")] = None,
    object_id: Text = None,
    since: Since = None,
    until: Until = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> AuditPage:
    scope = fingerprint("actions", a=actor_id, x=action, t=object_type, o=object_id, f=since, u=until)
    low, high = _bounds(since, until)

    def wanted(item: AuditItem) -> bool:
        return (
            (actor_id is None or item.actor_id == actor_id)
            and (action is None or item.action == action)
            and (object_type is None or item.object_type == object_type)
            and (object_id is None or item.object_id == object_id)
            and (low is None or item.created_at >= low)
            and (high is None or item.created_at <= high)
        )

    start: Any = unseal(cursor, scope)
    if object_type is not None and object_id is not None:
        items, last = q.filtered_page(
            keys.audit_object_gsi(object_type, object_id),
            AuditItem,
            index="GSI1",
            condition=None,
            predicate=wanted,
            limit=limit,
            start=start,
            descending=True,
        )
        return AuditPage(items=[audit_row(i) for i in items], next_cursor=seal(last, scope))
    now = context.current().services.settings.clock()
    found, position = q.feed_page(
        q.FEEDS["audit"],
        AuditItem,
        newest=now,
        oldest_month=q.oldest_month(now),
        since=low,
        until=until.isoformat() if until else None,
        predicate=wanted,
        limit=limit,
        cursor=(start[0], start[1]) if start else None,
    )
    return AuditPage(items=[audit_row(i) for i in found], next_cursor=seal(position, scope))


@router.get(
    "/journal/actions/<audit_id>",
    summary="One action with each attribute's old and new value",
    tags=["journal"],
)
def get_action(audit_id: Annotated[str, Path(pattern=r"^[0-9a-f]{1,64}$")]) -> AuditDetail:
    item = q.get_audit(audit_id)
    if item is None:
        raise NotFound("Journal record not found.", details={"audit_id": audit_id}, reason="audit_not_found")
    return audit_detail(item)


@router.get("/journal/ledger", summary="The global points ledger, newest first, filtered", tags=["journal"])
def list_ledger(
    participant_id: Annotated[IdText | None, Query()] = None,
    kind: Annotated[EntryKind | None, Query()] = None,
    actor_id: Annotated[IdText | None, Query()] = None,
    direction: Annotated[str | None, Query(pattern="^(credit|debit)$")] = None,
    since: Since = None,
    until: Until = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> LedgerPage:
    scope = fingerprint("ledger-all", p=participant_id, k=kind, a=actor_id, d=direction, f=since, u=until)
    low, high = _bounds(since, until)

    def wanted(entry: LedgerEntryItem) -> bool:
        total = entry.d_frozen + entry.d_available
        return (
            (participant_id is None or entry.participant_id == participant_id)
            and (kind is None or entry.kind == kind.value)
            and (actor_id is None or entry.actor_id == actor_id)
            and (direction is None or (total > 0 if direction == "credit" else total < 0))
            and (low is None or entry.created_at >= low)
            and (high is None or entry.created_at <= high)
        )

    start: Any = unseal(cursor, scope)
    if participant_id is not None:
        items, last = q.filtered_page(
            keys.participant_pk(participant_id),
            LedgerEntryItem,
            index=None,
            condition=q.ledger_sk_range(low, high),
            predicate=wanted,
            limit=limit,
            start=start,
            descending=True,
        )
        return LedgerPage(items=[ledger_row(i) for i in items], next_cursor=seal(last, scope))
    now = context.current().services.settings.clock()
    found, position = q.feed_page(
        q.FEEDS["ledger"],
        LedgerEntryItem,
        newest=now,
        oldest_month=q.oldest_month(now),
        since=low,
        until=until.isoformat() if until else None,
        predicate=wanted,
        limit=limit,
        cursor=(start[0], start[1]) if start else None,
    )
    return LedgerPage(items=[ledger_row(i) for i in found], next_cursor=seal(position, scope))
