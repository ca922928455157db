"""The journal: operators' actions with each attribute's old and new value, and the global ledger."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path, Query

from referral.admin import context
from referral.admin.pagination import fingerprint, seal, unseal
from referral.admin.schemas import (
    AuditDetail,
    AuditPage,
    Cursor,
    IdText,
    LedgerPage,
    Limit,
    Since,
    Until,
    audit_detail,
    audit_row,
    empty_range,
    ledger_row,
)
from referral.domain.ledger import EntryKind
from referral.read.feeds import ActionFilter, LedgerFilter

router = Router()  # type: ignore[no-untyped-call]

Text = Annotated[str | None, Query(min_length=1, max_length=100)]


@router.get("/journal/actions", summary="Admins' actions, newest first, filtered", tags=["journal"])
def list_actions(
    actor_id: Annotated[IdText | None, Query()] = None,
    action: Text = None,
    object_type: Annotated[str | None, Query(pattern="^(participant|withdrawal|settings|admin)$")] = None,
    object_id: Text = None,
    object_name: Annotated[
        str | None, Query(min_length=1, max_length=100, description="Part of the object's name, any case")
    ] = None,
    since: Since = None,
    until: Until = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> AuditPage:
    if empty_range(dates=(since, until)):
        return AuditPage(items=[], next_cursor=None)
    flt = ActionFilter(
        actor_id=actor_id,
        action=action,
        object_type=object_type,
        object_id=object_id,
        object_name=object_name,
        since=since,
        until=until,
    )
    scope = fingerprint("actions", flt=repr(flt))
    listings = context.current().listings
    items, last = listings.actions(flt, limit, unseal(cursor, scope))
    people = listings.names_for_actions(items)
    return AuditPage(items=[audit_row(i, people) for i in items], next_cursor=seal(last, scope))


@router.get(
    "/journal/actions/<audit_id>",
    summary="One action with each attribute's old and new value",
    tags=["journal"],
)
def get_action(audit_id: Annotated[str, Path(pattern=r"^[0-9a-f]{1,64}$")]) -> AuditDetail:
    listings = context.current().listings
    record = listings.action(audit_id)
    return audit_detail(record, listings.names_for_actions([record]))


@router.get("/journal/ledger", summary="The global points ledger, newest first, filtered", tags=["journal"])
def list_ledger(
    participant_id: Annotated[IdText | None, Query()] = None,
    kind: Annotated[EntryKind | None, Query()] = None,
    actor_id: Annotated[IdText | None, Query()] = None,
    direction: Annotated[str | None, Query(pattern="^(credit|debit)$")] = None,
    posting_number: Annotated[str | None, Query(min_length=1, max_length=64)] = None,
    withdrawal_id: Annotated[str | None, Query(pattern=r"^[0-9a-f]{1,64}$")] = None,
    level: Annotated[int | None, Query(ge=0, le=10, description="0: own purchases")] = None,
    since: Since = None,
    until: Until = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> LedgerPage:
    if empty_range(dates=(since, until)):
        return LedgerPage(items=[], next_cursor=None)
    flt = LedgerFilter(
        participant_id=participant_id,
        kind=kind.value if kind else None,
        actor_id=actor_id,
        direction=direction,
        posting_number=posting_number,
        withdrawal_id=withdrawal_id,
        level=level,
        since=since,
        until=until,
    )
    scope = fingerprint("ledger-all", flt=repr(flt))
    listings = context.current().listings
    items, last = listings.ledger(flt, limit, unseal(cursor, scope))
    people = listings.names_for_ledger(items)
    return LedgerPage(items=[ledger_row(i, people) for i in items], next_cursor=seal(last, scope))
