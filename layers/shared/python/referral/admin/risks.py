"""Fraud flags: the open ones (by kind, participant, day), one flag, and its resolution with a note."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from pydantic import BaseModel, Field

from referral.admin import context
from referral.admin.pagination import fingerprint, seal, unseal
from referral.admin.roles import actor
from referral.admin.schemas import (
    Cursor,
    IdText,
    Limit,
    Since,
    Strict,
    Timestamp,
    Until,
    empty_range,
    non_blank,
)
from referral.clock import to_iso
from referral.domain.risks import RiskFlag, RiskKind
from referral.read import risks as listing
from referral.repository.table import bind_table_from_env

router = Router()  # type: ignore[no-untyped-call]

FlagId = Annotated[str, Path(pattern=r"^[0-9a-f]{1,40}$")]


class RiskFlagOut(BaseModel):
    flag_id: str
    kind: RiskKind
    status: str
    """open or resolved"""
    subject: str
    """What the signal is about: a participant's id, an Ozon ID's digits, a payout details' fingerprint."""
    participant_ids: list[str]
    reason: str
    evidence: dict[str, Any] = Field(description="The ids, counts and window the signal saw last")
    raised_at: Timestamp
    updated_at: Timestamp
    raised_times: int
    resolved_at: Timestamp | None
    resolved_by: str | None
    note: str | None


class RiskFlagPage(BaseModel):
    items: list[RiskFlagOut]
    next_cursor: str | None


def flag_out(flag: RiskFlag) -> RiskFlagOut:
    return RiskFlagOut(
        flag_id=flag.flag_id,
        kind=flag.kind,
        status=flag.status.value,
        subject=flag.subject,
        participant_ids=list(flag.participant_ids),
        reason=flag.reason,
        evidence=flag.evidence,
        raised_at=to_iso(flag.raised_at),
        updated_at=to_iso(flag.updated_at),
        raised_times=flag.raised_times,
        resolved_at=to_iso(flag.resolved_at) if flag.resolved_at else None,
        resolved_by=flag.resolved_by,
        note=flag.note,
    )


@router.get("/risks", summary="Open fraud flags, newest raised first, filtered", tags=["risks"])
def list_flags(
    kind: Annotated[RiskKind | None, Query()] = None,
    participant_id: Annotated[IdText | None, Query()] = None,
    since: Since = None,
    until: Until = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> RiskFlagPage:
    if empty_range(dates=(since, until)):
        return RiskFlagPage(items=[], next_cursor=None)
    flt = listing.RiskFilter(kind=kind, participant_id=participant_id, since=since, until=until)
    scope = fingerprint("risks", flt=repr(flt))
    bind_table_from_env()
    flags, last = listing.open_flags(flt, limit, unseal(cursor, scope))
    return RiskFlagPage(items=[flag_out(f) for f in flags], next_cursor=seal(last, scope))


@router.get("/risks/<flag_id>", summary="One fraud flag with its evidence", tags=["risks"])
def get_flag(flag_id: FlagId) -> RiskFlagOut:
    return flag_out(context.current().services.risks.get(flag_id))


class ResolveIn(Strict):
    note: Annotated[str, non_blank(2000)] = Field(
        description="What the operator found or did; kept in the audit journal"
    )


@router.post(
    "/risks/<flag_id>/resolve",
    summary="Resolve a flag with a note (audited once; resolving it again returns it as it is)",
    tags=["risks"],
)
def resolve_flag(flag_id: FlagId, body: ResolveIn) -> RiskFlagOut:
    flag = context.current().services.risks.resolve(actor(router).telegram_id, flag_id, body.note)
    return flag_out(flag)
