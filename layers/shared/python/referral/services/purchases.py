"""Purchases: attributing Ozon postings, accruing rewards exactly once, and reversing them (R5–R9)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal

from referral.clock import to_iso, utcnow
from referral.domain.ledger import to_amount
from referral.domain.notifications import Notification, NotificationKind, draft
from referral.domain.orders import (
    CANCELLED,
    AccrualPlan,
    Attribution,
    Order,
    PlannedAccrual,
    Posting,
    check_claim,
    plan_accruals,
    plan_reversal,
)
from referral.domain.participants import Participant
from referral.errors import Conflict, InvalidInput, NotFound, OrderChanged, ParticipantsChanged
from referral.repository.orders import OrderRepository
from referral.repository.participants import ParticipantRepository
from referral.services.risks import RiskService
from referral.services.settings import SettingsService

DECISIONS = 5
"""How often a purchase is decided again on a fresh reading when what it relied on changed meanwhile.

Contention and throttling never get here: the unit of work retries those with backoff.
"""


@dataclass(frozen=True, slots=True)
class PurchaseResult:
    posting_number: str
    buyer_id: str
    accruals: tuple[PlannedAccrual, ...]
    duplicate: bool = False
    """The posting was already recorded for this buyer: nothing was written."""
    release_at: datetime | None = None
    """When the accruals become available (None when nothing was written)."""
    buyer: Participant | None = None
    """The buyer as the purchase left their order dates (callers keeping buyers for a batch reuse it)."""

    @property
    def points(self) -> int:
        return sum(a.points for a in self.accruals)


@dataclass(frozen=True, slots=True)
class ReversalResult:
    posting_number: str
    reversed_points: int
    entries: int
    duplicate: bool = False


class PurchaseService:
    def __init__(
        self,
        participants: ParticipantRepository | None = None,
        orders: OrderRepository | None = None,
        settings: SettingsService | None = None,
        *,
        clock: Callable[[], datetime] = utcnow,
        risks: RiskService | None = None,
    ) -> None:
        self.participants = participants or ParticipantRepository()
        self.orders = orders or OrderRepository()
        self.settings = settings or SettingsService()
        self.clock = clock
        self.risks = risks

    # --- attribution and accrual ----------------------------------------------------------------------

    def record_purchase(
        self,
        posting: Posting,
        participant_id: str,
        attribution: Attribution,
        *,
        buyer: Participant | None = None,
    ) -> PurchaseResult:
        """Attribute ``posting`` to a participant and accrue for them and their ancestors, exactly once.

        The common case costs two requests: one read of the buyer (with the ancestor chain) and one
        transaction; one, when the caller already read the buyer (``buyer``: the sync reads a page's buyers
        in one batch). Retries re-read only what the failed condition names.
        """
        attribution = Attribution(attribution)
        if buyer is None or buyer.id != participant_id:
            buyer = self.participants.get_participant(participant_id)
        if buyer is None:
            raise NotFound(
                "Participant not found.",
                details={"participant_id": participant_id},
                reason="participant_not_found",
            )
        return self._record(buyer, posting, attribution, order=None)

    def claim_order(self, participant_id: str, posting: Posting) -> PurchaseResult:
        """R6: a participant claims an order by its number; ``posting`` comes from the Seller API."""
        participant = self.participants.get_participant(participant_id)
        if participant is None:
            raise NotFound("Register first to claim orders.", reason="not_registered")
        order = self.orders.get_order(posting.posting_number)
        check_claim(participant, order, posting)
        result = self._record(participant, posting, Attribution.CLAIM, order=order)
        if self.risks is not None and not result.duplicate:
            self.risks.claimed(participant, posting.posting_number)
        return result

    def _record(
        self,
        buyer: Participant,
        posting: Posting,
        attribution: Attribution,
        *,
        order: Order | None,
    ) -> PurchaseResult:
        settings = self.settings.current()
        blocked: set[str] = set()
        level_dates_kept: set[tuple[str, int]] = set()
        for _ in range(DECISIONS):
            effective = posting
            if order is not None and order.posting.is_cancelled and not posting.is_cancelled:
                effective = posting.with_status(CANCELLED)
            plan = plan_accruals(
                buyer,
                effective,
                settings,
                attribution,
                kept_amount=order.kept_amount if order is not None else None,
                blocked_ancestors=frozenset(blocked),
            )
            try:
                self.orders.commit_purchase(
                    plan,
                    order.version if order is not None else None,
                    self.clock(),
                    self._accrual_notices(plan),
                    level_dates_kept=frozenset(level_dates_kept),
                )
            except OrderChanged:
                order = self.orders.get_order(posting.posting_number)
                if order is not None and order.participant_id is not None:
                    return self._already_attributed(order, buyer, posting)
                continue
            except ParticipantsChanged as changed:
                level_dates_kept |= changed.levels  # a newer order already dated these levels
                if changed.participants:
                    current = self.participants.get_participants(changed.participants)
                    missing = set(changed.participants) - set(current)
                    blocked |= {pid for pid, p in current.items() if p.blocked} | missing
                    buyer = current.get(buyer.id, buyer)  # fresh order dates for the next plan
                continue
            dated = replace(
                buyer,
                first_order_at=plan.buyer_first_order_at or buyer.first_order_at,
                last_order_at=plan.buyer_last_order_at or buyer.last_order_at,
            )
            return PurchaseResult(
                posting.posting_number, buyer.id, plan.accruals, release_at=plan.release_at, buyer=dated
            )
        raise Conflict(
            "The purchase could not be recorded because of concurrent changes; it will be retried.",
            reason="busy_retry",
        )

    @staticmethod
    def _already_attributed(order: Order, buyer: Participant, posting: Posting) -> PurchaseResult:
        """The order was attributed meanwhile: to this buyer it is a duplicate, to another one refused."""
        if order.participant_id == buyer.id:
            return PurchaseResult(posting.posting_number, buyer.id, (), duplicate=True)
        raise Conflict(
            "This order is already counted for another participant.",
            details={"posting_number": posting.posting_number},
            reason="order_taken",
        )

    @staticmethod
    def _accrual_notices(plan: AccrualPlan) -> list[Notification]:
        return [
            draft(
                NotificationKind.POINTS_ACCRUED,
                accrual.beneficiary_id,
                (plan.posting.posting_number, str(accrual.level)),
                points=accrual.points,
                level=accrual.level,
                posting_number=plan.posting.posting_number,
                release_at=to_iso(plan.release_at),
            )
            for accrual in plan.accruals
        ]

    def record_posting(self, posting: Posting, *, new: bool = False, identity_recorded: bool = False) -> None:
        """Keep a posting nobody has claimed (non-participants' too: R3 and later claims need them).

        ``new``: the caller found no stored order for it; ``identity_recorded``: the buyer's Ozon id already
        has its first purchase date. Both only save writes; a stale answer costs a retry, never a wrong write.
        """
        try:
            self.orders.upsert_order(posting, self.clock(), new=new, identity_recorded=identity_recorded)
        except OrderChanged:
            order = self.orders.get_order(posting.posting_number)
            if order is not None and order.participant_id is not None:
                self._apply_status(order, posting)
                return
            if new and order is not None:
                self.orders.upsert_order(posting, self.clock(), identity_recorded=identity_recorded)
                return
            raise

    def observe(self, posting: Posting, *, order: Order | None = None) -> PurchaseResult | None:
        """What the sync does with every posting it sees: attribute by customer id, or track its status.

        ``order``: the stored order as the caller just read it (saves reading it again).
        """
        order = order or self.orders.get_order(posting.posting_number)
        if order is not None and order.participant_id is not None:
            self._apply_status(order, posting)
            return None
        if posting.customer_id:
            identity = self.participants.get_ozon_identity(posting.customer_id)
            if identity is not None and identity.participant_id is not None:
                buyer = self.participants.get_participant(identity.participant_id)
                if buyer is not None and posting.created_at > buyer.registered_at:
                    return self._record(buyer, posting, Attribution.CUSTOMER_ID, order=order)
        self.record_posting(posting)
        return None

    # --- status changes and returns ----------------------------------------------------------------

    def apply_status(self, posting: Posting, *, order: Order | None = None) -> ReversalResult | None:
        """A posting's status changed: delivered starts the release clock, cancelled reverses (R7).

        ``order``: the stored order as the caller just read it (saves reading it again; a stale one only
        costs a retry, because every write is conditional on its version).
        """
        order = order or self.orders.get_order(posting.posting_number)
        if order is None:
            self.record_posting(posting)
            return None
        return self._apply_status(order, posting)

    def _apply_status(self, order: Order, posting: Posting) -> ReversalResult | None:
        for _ in range(DECISIONS):
            try:
                if posting.is_cancelled and not order.posting.is_cancelled:
                    return self._reverse(order, Decimal(0), status=CANCELLED, return_id=None)
                if posting.is_delivered and not order.posting.is_delivered and not order.posting.is_cancelled:
                    accruals = self.orders.get_accruals(order.posting.posting_number, order.accruals)
                    self.orders.commit_delivery(order, posting, accruals, self.clock())
                elif posting.status != order.posting.status and not order.posting.is_cancelled:
                    self.orders.set_order_status(order, posting.status, self.clock())
                return None
            except OrderChanged:
                refreshed = self.orders.get_order(order.posting.posting_number)
                if refreshed is None:
                    raise
                order = refreshed
        raise Conflict(
            "The order status could not be updated because of concurrent changes.", reason="busy_retry"
        )

    def apply_return(
        self, posting_number: str, return_id: str, returned_amount: Decimal | str
    ) -> ReversalResult:
        """A (partial) return of ``returned_amount`` RUB; each ``return_id`` counts once."""
        amount = to_amount(returned_amount)
        if not return_id:
            raise InvalidInput("return_id is required")
        for _ in range(DECISIONS):
            order = self.orders.get_order(posting_number)
            if order is None:
                raise NotFound(
                    "Unknown posting.", details={"posting_number": posting_number}, reason="posting_not_found"
                )
            if return_id in order.applied_returns:
                return ReversalResult(posting_number, 0, 0, duplicate=True)
            try:
                return self._reverse(
                    order, max(Decimal(0), order.kept_amount - amount), status=None, return_id=return_id
                )
            except OrderChanged:
                continue
        raise Conflict(
            "The return could not be applied because of concurrent changes; it will be retried.",
            reason="busy_retry",
        )

    def _reverse(
        self, order: Order, new_kept: Decimal, *, status: str | None, return_id: str | None
    ) -> ReversalResult:
        posting_number = order.posting.posting_number
        accruals = self.orders.get_accruals(posting_number, order.accruals)
        plan = plan_reversal(posting_number, accruals, new_kept)
        network: tuple[tuple[str, int], ...] = ()
        if order.participant_id is not None and not order.under_review:  # a held claim counts nowhere yet
            buyer = self.participants.get_participant(order.participant_id)
            if buyer is not None:
                network = ((buyer.id, 0), *((a, lvl) for lvl, a in enumerate(buyer.ancestors, start=1)))
        notices = [
            draft(
                NotificationKind.POINTS_REVERSED,
                r.accrual.participant_id,
                (posting_number, str(r.accrual.level), str(r.accrual.reversed_points + r.points)),
                points=r.points,
                level=r.accrual.level,
                posting_number=posting_number,
                cancelled=status == CANCELLED,
            )
            for r in plan.reversals
        ]
        self.orders.commit_reversal(
            order,
            new_kept,
            status,
            return_id,
            [(r.accrual, r.points) for r in plan.reversals],
            network,
            self.clock(),
            notices,
        )
        if self.risks is not None and network:
            self.risks.refunded(
                network[0][0], tuple(a for a, _ in network[1:]), posting_number, cancelled=status == CANCELLED
            )
        return ReversalResult(posting_number, sum(r.points for r in plan.reversals), len(plan.reversals))
