"""The payouts export for accounting: withdrawal requests of a period with how they were paid."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Query

from referral.admin import context
from referral.admin.pagination import fingerprint, unseal
from referral.admin.schemas import Cursor
from referral.admin.statistics import CSV_RESPONSE, _csv
from referral.domain.withdrawals import WithdrawalStatus

router = Router()  # type: ignore[no-untyped-call]


@router.get(
    "/exports/payouts.csv",
    summary="Payouts for accounting: requests created in a period, by status, with payout and operator",
    tags=["exports"],
    responses=CSV_RESPONSE,
)
def export_payouts(
    since: Annotated[date, Query(alias="from")],
    until: Annotated[date, Query(alias="to")],
    status: Annotated[WithdrawalStatus | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 1000,
    cursor: Cursor = None,
) -> Response[str]:
    """Oldest first by the request's creation day; the operator is the one who closed (paid) it."""
    low, high = context.current().statistics.period(since, until)
    statuses = [status.value] if status else []
    scope = fingerprint("payouts", f=low, t=high, s=statuses)
    table = context.current().listings.payouts(low, high, statuses, limit, unseal(cursor, scope))
    return _csv(table, scope, "payouts.csv")
