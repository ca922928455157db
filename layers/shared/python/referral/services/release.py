"""Release of matured accruals: frozen → available once the hold passed and the posting was delivered (R7)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from referral.clock import utcnow
from referral.domain.notifications import NotificationKind, draft
from referral.errors import Busy, StaleRead
from referral.repository.orders import OrderRepository

PAGE_SIZE = 100


@dataclass(frozen=True, slots=True)
class ReleaseReport:
    released: int
    points: int
    conflicts: int
    pages: int


class ReleaseService:
    def __init__(
        self, orders: OrderRepository | None = None, *, clock: Callable[[], datetime] = utcnow
    ) -> None:
        self.orders = orders or OrderRepository()
        self.clock = clock

    def release_matured(self, *, page_size: int = PAGE_SIZE, max_pages: int = 50) -> ReleaseReport:
        """Cost: one query page of the sparse schedule index per ``page_size`` accruals, plus one
        transaction per released accrual. A lost race (a reversal in between) is retried next page."""
        now = self.clock()
        released = points = conflicts = pages = 0
        attempted: set[tuple[str, str, int, int]] = set()
        while pages < max_pages:
            due = self.orders.due_accruals(now, page_size)
            pages += 1
            fresh = [
                a
                for a in due
                if (a.participant_id, a.posting_number, a.level, a.reversed_points) not in attempted
            ]
            for accrual in fresh:
                attempted.add(
                    (accrual.participant_id, accrual.posting_number, accrual.level, accrual.reversed_points)
                )
                notice = draft(
                    NotificationKind.POINTS_RELEASED,
                    accrual.participant_id,
                    (accrual.posting_number, str(accrual.level)),
                    points=accrual.remaining,
                    level=accrual.level,
                    posting_number=accrual.posting_number,
                )
                try:
                    self.orders.commit_release(accrual, now, [notice])
                except (StaleRead, Busy):  # lost a race, or the table is too busy now: the next run
                    conflicts += 1
                    continue
                released += 1
                points += accrual.remaining
            if len(due) < page_size or not fresh:
                break
        return ReleaseReport(released, points, conflicts, pages)
