"""Money at a glance: the dashboard's money strip and a participant's money (balances in rubles, links)."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path
from pydantic import BaseModel

from referral.admin import context
from referral.admin.schemas import Money, Timestamp
from referral.admin.settings import SyncStreamOut
from referral.read.views import money
from referral.services.money import MoneyService, rubles

router = Router()  # type: ignore[no-untyped-call]

ParticipantId = Annotated[str, Path(pattern=r"^[0-9]{1,20}$", description="Telegram user id")]


class PointsAndRubles(BaseModel):
    points: int
    rub: Money
    """At the point rate in force."""


class MonthMoneyOut(BaseModel):
    month: str
    """YYYY-MM in the program's time zone."""
    accrued: PointsAndRubles
    """Points credited by accruals in the month (before later reversals)."""
    reversed: PointsAndRubles
    """Points taken back by cancellations and returns in the month."""
    paid: PointsAndRubles
    """Points of withdrawals marked paid in the month."""


class WaitingRequests(BaseModel):
    count: int
    points: int
    rub: Money
    """The amounts fixed when the requests were made."""


class MoneyStripOut(BaseModel):
    point_rate: str
    """Rubles per point, as a decimal string."""
    frozen: PointsAndRubles
    available: PointsAndRubles
    owed: PointsAndRubles
    """Frozen plus available: what participants hold, not yet asked for."""
    reserved: PointsAndRubles
    """Points reserved by requests waiting for payment."""
    this_month: MonthMoneyOut
    last_month: MonthMoneyOut
    waiting: WaitingRequests
    sync: list[SyncStreamOut]
    as_of: Timestamp
    """The ledger's sums are exact up to this moment."""


def _pr(points: int, rate: Decimal) -> PointsAndRubles:
    return PointsAndRubles(points=points, rub=money(rubles(points, rate)))


@router.get(
    "/statistics/money",
    summary="Money at a glance: points owed, accrued and paid per month, requests waiting, sync health",
    tags=["statistics"],
)
def money_strip() -> MoneyStripOut:
    rate = context.current().services.settings.current().point_rate
    strip = MoneyService(clock=context.current().clock).strip()
    sums = strip.sums

    def month(name: str) -> MonthMoneyOut:
        values = strip.month(name)
        return MonthMoneyOut(
            month=name,
            accrued=_pr(values.accrued, rate),
            reversed=_pr(values.reversed, rate),
            paid=_pr(values.paid, rate),
        )

    waiting = strip.open_requests
    return MoneyStripOut(
        point_rate=str(rate),
        frozen=_pr(sums.frozen, rate),
        available=_pr(sums.available, rate),
        owed=_pr(sums.frozen + sums.available, rate),
        reserved=_pr(sums.reserved, rate),
        this_month=month(strip.this_month),
        last_month=month(strip.last_month),
        waiting=WaitingRequests(count=waiting.count, points=waiting.points, rub=money(waiting.fiat_amount)),
        sync=[
            SyncStreamOut(
                stream=s.stream,
                state=s.state,
                last_success_at=s.last_success_at,
                failing_since=s.failing_since,
                reason=s.reason,
            )
            for s in strip.streams
        ],
        as_of=sums.through or "",
    )


class LinkOut(BaseModel):
    code: str
    kind: str
    """``personal`` or ``product``."""
    product_name: str | None
    created_at: Timestamp
    clicks: int
    registrations: int
    purchases: int


class LastWithdrawal(BaseModel):
    id: str
    created_at: Timestamp
    status: str
    points: int
    rub: Money
    """The amount fixed when the request was made."""


class ParticipantMoneyOut(BaseModel):
    participant_id: str
    point_rate: str
    balance: PointsAndRubles
    frozen: PointsAndRubles
    available: PointsAndRubles
    reserved: PointsAndRubles
    withdrawn: PointsAndRubles
    links: list[LinkOut]
    """Newest first, at most 100."""
    more_links: bool
    last_withdrawal: LastWithdrawal | None


@router.get(
    "/participants/<participant_id>/money",
    summary="A participant's balances in points and rubles, their links' counters, their last withdrawal",
    tags=["participants"],
)
def participant_money(participant_id: ParticipantId) -> ParticipantMoneyOut:
    rate = context.current().services.settings.current().point_rate
    found = MoneyService(clock=context.current().clock).participant(participant_id)
    p, last = found.participant, found.last_withdrawal
    return ParticipantMoneyOut(
        participant_id=participant_id,
        point_rate=str(rate),
        balance=_pr(p.frozen + p.available, rate),
        frozen=_pr(p.frozen, rate),
        available=_pr(p.available, rate),
        reserved=_pr(p.reserved, rate),
        withdrawn=_pr(p.withdrawn, rate),
        links=[
            LinkOut(
                code=link.code,
                kind=link.kind,
                product_name=link.product_name,
                created_at=link.created_at,
                clicks=link.clicks,
                registrations=link.registrations,
                purchases=link.purchases,
            )
            for link in found.links
        ],
        more_links=found.more_links,
        last_withdrawal=None
        if last is None
        else LastWithdrawal(
            id=last.withdrawal_id,
            created_at=last.created_at,
            status=last.status,
            points=last.points,
            rub=money(last.fiat_amount),
        ),
    )
