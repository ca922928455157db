"""The payouts export for accounting: withdrawal requests of a period with how they were paid."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Query

from referral.admin import context
from referral.admin.pagination import fingerprint, unseal
from referral.admin.schemas import Cursor, Day
from referral.admin.schemas_names import CsvDelimiter, CsvLang
from referral.admin.statistics import CSV_RESPONSE, csv_response
from referral.domain.withdrawals import WithdrawalStatus
from referral.read.exports import Table
from referral.read.payouts import PAYOUTS_HEADER

router = Router()  # type: ignore[no-untyped-call]


@router.get(
    "/exports/payouts.csv",
    summary="Payouts for accounting: requests created in a period, by status, with payout and operator",
    tags=["exports"],
    responses=CSV_RESPONSE,
)
def export_payouts(
    since: Annotated[Day, Query(alias="from")],
    until: Annotated[Day, Query(alias="to")],
    status: Annotated[WithdrawalStatus | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 1000,
    cursor: Cursor = None,
    delimiter: CsvDelimiter = "semicolon",
    lang: CsvLang = None,
) -> Response[str]:
    """Oldest first by the request's creation day; the operator is the one who closed (paid) it."""
    days = context.current().statistics.period(since, until)
    statuses = [status.value] if status else []
    scope = fingerprint("payouts", d=days, s=statuses)
    if days is None:
        return csv_response(Table(PAYOUTS_HEADER, []), scope, "payouts.csv")
    table = context.current().listings.payouts(*days, statuses, limit, unseal(cursor, scope))
    return csv_response(table, scope, "payouts.csv", days)
