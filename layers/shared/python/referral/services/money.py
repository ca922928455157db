"""Money at a glance for operators: the dashboard's money strip, a participant's money, the orders view.

Points are turned into rubles at the program's point rate in force (``fiat_amount``, the rounding a
withdrawal request uses); requests already made keep the amount fixed when they were made.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from referral.clock import to_iso, utcnow
from referral.domain.withdrawals import fiat_amount
from referral.errors import NotFound
from referral.ozon.streams import STREAMS
from referral.read import money, orders
from referral.read.money import LedgerSums, LinkCounts, MonthMoney, OpenRequests
from referral.read.orders import OrderFilter, OrderRow, TopSellers
from referral.read.query import get
from referral.repository import keys
from referral.repository.models import ParticipantItem, WithdrawalItem
from referral.repository.rollups import put_ledger_seal
from referral.repository.sync_state import StreamHealth, SyncState
from referral.telegram.texts import program_timezone


@dataclass(frozen=True, slots=True)
class MoneyStrip:
    sums: LedgerSums
    this_month: str
    last_month: str
    open_requests: OpenRequests
    streams: list[StreamHealth]

    def month(self, month: str) -> MonthMoney:
        return self.sums.months.get(month, MonthMoney())


@dataclass(frozen=True, slots=True)
class ParticipantMoney:
    participant: ParticipantItem
    links: list[LinkCounts]
    more_links: bool
    last_withdrawal: WithdrawalItem | None


class MoneyService:
    def __init__(self, *, clock: Callable[[], datetime] = utcnow) -> None:
        self.clock = clock

    def seal(self) -> str | None:
        """Move the ledger's running sums forward (the scheduled rollup); returns the new ``through``."""
        sums = money.advance_seal(self.clock(), program_timezone())
        put_ledger_seal(sums.to_json(), to_iso(self.clock()))
        return sums.through

    def strip(self) -> MoneyStrip:
        now, zone = self.clock(), program_timezone()
        return MoneyStrip(
            sums=money.current_sums(now, zone),
            this_month=money.program_month(now, zone),
            last_month=money.previous_program_month(now, zone),
            open_requests=money.open_requests(),
            streams=list(SyncState().stream_health(STREAMS).values()),
        )

    @staticmethod
    def participant(participant_id: str) -> ParticipantMoney:
        item = get(ParticipantItem, keys.participant_pk(participant_id), keys.PROFILE)
        if item is None:
            raise NotFound(
                "Participant not found.",
                details={"participant_id": participant_id},
                reason="participant_not_found",
            )
        links, more = money.participant_links(participant_id)
        return ParticipantMoney(item, links, more, money.last_withdrawal(participant_id))

    def orders(self, flt: OrderFilter, limit: int, start: Any) -> tuple[list[OrderRow], Any]:
        return orders.orders(flt, limit, start, self.clock())

    def top(self, since: date | None, until: date | None, limit: int) -> TopSellers:
        return orders.top_sellers(since, until, limit, self.clock())


def rubles(points: int, point_rate: Decimal) -> Decimal:
    return fiat_amount(points, point_rate)
