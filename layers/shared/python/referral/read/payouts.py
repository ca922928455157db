"""The payouts export for accounting: requests of a period with their payout and who handled them."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from referral.domain.payouts import number_label
from referral.read.network import profiles_of
from referral.read.query import FeedWindow, feed_page
from referral.read.views import WithdrawalView, money, withdrawal_view
from referral.repository import admin_accounts, keys
from referral.repository.models import WithdrawalItem

PAYOUTS_HEADER = [
    "number",
    "withdrawal_id",
    "participant_id",
    "participant_name",
    "status",
    "points",
    "rubles",
    "point_rate",
    "payout_method",
    "payout_details",
    "payout_reference",
    "operator_id",
    "operator_name",
    "requested_at",
    "closed_at",
]


def payouts(
    since: str, until: str, statuses: Collection[str], limit: int, start: Any, now: datetime
) -> tuple[list[str], list[list[Any]], Any]:
    """Requests created in the period (oldest first) in ``statuses`` (all when empty): the header, the
    rows and where the next part starts. The operator is the one who closed the request (paid it)."""
    found, position = feed_page(
        keys.FEED_WITHDRAWALS,
        WithdrawalItem,
        withdrawal_view,
        FeedWindow(now, since[:7], since, until),
        predicate=lambda w: not statuses or w.status in statuses,
        limit=limit,
        cursor=(start[0], start[1]) if start else None,
        descending=False,
    )
    people = profiles_of(list(dict.fromkeys(w.participant_id for w in found)))
    operators = {a.telegram_id: a.name or "" for a in admin_accounts.admins()} if found else {}
    rows = []
    for request in found:
        person = people.get(request.participant_id)
        rows.append(_row(request, person.display_name if person else "", operators))
    return PAYOUTS_HEADER, rows, position


def _row(request: WithdrawalView, name: str, operators: dict[str, str]) -> list[Any]:
    return [
        number_label(request.number, ""),
        request.withdrawal_id,
        request.participant_id,
        name,
        request.status,
        request.points,
        money(request.fiat_amount),
        str(request.point_rate),
        request.payout_method or "",
        request.payout_details or "",
        request.payout_reference or "",
        request.closed_by or "",
        operators.get(request.closed_by or "", ""),
        request.created_at,
        request.closed_at or "",
    ]
