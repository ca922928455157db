"""Order claims (R6) with proof and review: screening, proof attempts, held claims, operators' decisions.

The bot screens what a number found, asks for proof where a posting has no buyer id, and accepts the
claim here. An accepted claim accrues at once through ``PurchaseService.claim_order``, or, when the
``ClaimPolicy`` wants an operator, is held: the order is attributed (nobody else can claim it and the sync
only tracks its status) but accrues nothing until an operator approves it; approval accrues exactly as an
accepted claim would have, in the transaction that records the decision.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from referral.clock import utcnow
from referral.domain.audit import AuditRecord, Change
from referral.domain.claim_policy import ClaimPolicy
from referral.domain.claims import (
    ClaimReview,
    FlaggedParticipants,
    NobodyFlagged,
    ProofMismatch,
    ReviewStatus,
    check_decidable,
    needs_proof,
    needs_review,
    parse_price,
    proof_matches,
    proof_prices,
)
from referral.domain.notifications import Notification, NotificationKind, draft
from referral.domain.orders import CANCELLED, Attribution, Order, Posting, check_claim, plan_accruals
from referral.domain.participants import Participant
from referral.errors import (
    AlreadyExists,
    Conflict,
    DomainError,
    InvalidInput,
    NotFound,
    OrderChanged,
    ParticipantsChanged,
    StaleRead,
)
from referral.repository.claims import ClaimRepository, Decision
from referral.repository.ledger import LedgerRepository, entry_id_for
from referral.repository.orders import OrderRepository
from referral.repository.participants import ParticipantRepository
from referral.services.purchases import DECISIONS, PurchaseResult, PurchaseService
from referral.services.settings import SettingsService

MAX_REASON = 500


@dataclass(frozen=True, slots=True)
class Screening:
    """What a claim of the postings a number found would do, before any proof."""

    claimable: tuple[Posting, ...]
    refusals: tuple[DomainError, ...]

    @property
    def needs_proof(self) -> bool:
        return any(needs_proof(p) for p in self.claimable)


@dataclass(frozen=True, slots=True)
class ClaimOutcome:
    posting: Posting
    result: PurchaseResult | None = None
    """The accrual of an accepted claim; None when the claim is held for review."""
    refusal: DomainError | None = None

    @property
    def held(self) -> bool:
        return self.result is None and self.refusal is None


def order_key(postings: Sequence[Posting]) -> str:
    """The order the postings belong to (attempts are counted per order, whichever number was typed)."""
    first = postings[0]
    if first.order_number:
        return first.order_number
    return "-".join(first.posting_number.split("-")[:2])


class ClaimService:
    def __init__(
        self,
        participants: ParticipantRepository,
        orders: OrderRepository,
        claims: ClaimRepository,
        ledger: LedgerRepository,
        purchases: PurchaseService,
        settings: SettingsService,
        *,
        flagged: FlaggedParticipants | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.participants = participants
        self.orders = orders
        self.claims = claims
        self.ledger = ledger
        self.purchases = purchases
        self.settings = settings
        self.flagged: FlaggedParticipants = flagged or NobodyFlagged()
        """Fraud flags, when the program has them: the ``flagged`` review mode asks this predicate."""
        self.clock = clock

    def policy(self) -> ClaimPolicy:
        return self.settings.current().claims

    # --- the participant's side ----------------------------------------------------------------------

    def screen(self, participant_id: str, postings: Sequence[Posting]) -> Screening:
        """Which of the postings this participant may claim (R6), and why the others are refused."""
        participant = self._participant(participant_id)
        claimable: list[Posting] = []
        refusals: list[DomainError] = []
        for posting in postings:
            try:
                self._check(participant, posting, self.orders.get_order(posting.posting_number))
            except DomainError as refused:
                refusals.append(refused)
            else:
                claimable.append(posting)
        return Screening(tuple(claimable), tuple(refusals))

    def blocked_until(self, participant_id: str, postings: Sequence[Posting]) -> datetime | None:
        """When a proof may be tried again, if the participant or the order has no attempts left now."""
        return self.claims.attempts_blocked_until(
            participant_id, order_key(postings), self.policy(), self.clock()
        )

    def prove(self, participant_id: str, postings: Sequence[Posting], named_price: str) -> list[ClaimOutcome]:
        """Count one proof attempt, check the named price against the postings, then claim them.

        ``TooManyAttempts`` when no attempt is left; ``ProofMismatch`` (the attempt stays counted) when
        the price is none of the postings' item prices within the tolerance.
        """
        price = parse_price(named_price)
        if price is None:
            raise InvalidInput("Send the price as a number.", reason="claim_price_format")
        screening = self.screen(participant_id, postings)
        if not screening.claimable:
            raise screening.refusals[0]
        policy = self.policy()
        self.claims.take_attempt(participant_id, order_key(postings), policy, self.clock())
        proving = [p for p in screening.claimable if needs_proof(p)]
        if not proof_matches(proof_prices(proving), price, policy.proof_tolerance):
            raise ProofMismatch()
        return [self.accept(participant_id, p, proven=True) for p in screening.claimable]

    def claim_without_proof(self, participant_id: str, postings: Sequence[Posting]) -> list[ClaimOutcome]:
        """Postings with a buyer id (it must be the claimant's: ``check_claim``) need no other proof."""
        if any(needs_proof(p) for p in postings):
            raise InvalidInput("This order needs a proof of purchase.", reason="claim_proof_required")
        return [self.accept(participant_id, p, proven=False) for p in postings]

    def accept(self, participant_id: str, posting: Posting, *, proven: bool) -> ClaimOutcome:
        """One accepted claim: accrued at once, or held for an operator as the policy says."""
        try:
            if needs_review(self.policy(), participant_id, posting, self.flagged):
                self._hold(participant_id, posting, proven=proven)
                return ClaimOutcome(posting)
            return ClaimOutcome(posting, self.purchases.claim_order(participant_id, posting))
        except DomainError as refused:
            return ClaimOutcome(posting, refusal=refused)

    def _participant(self, participant_id: str) -> Participant:
        participant = self.participants.get_participant(participant_id)
        if participant is None:
            raise NotFound("Register first to claim orders.", reason="not_registered")
        return participant

    def _check(self, participant: Participant, posting: Posting, order: Order | None) -> None:
        if order is not None and order.under_review and order.participant_id == participant.id:
            raise Conflict("This claim is waiting for an operator.", reason="claim_exists")
        check_claim(participant, order, posting)
        review = self.claims.get_review(posting.posting_number, participant.id)
        if review is not None and review.status == ReviewStatus.REJECTED:
            raise Conflict(
                "Your claim of this order was rejected.",
                details={"reason": review.reason or ""},
                reason="claim_rejected",
            )

    def _hold(self, participant_id: str, posting: Posting, *, proven: bool) -> None:
        settings = self.settings.current()
        for _ in range(DECISIONS):
            participant = self._participant(participant_id)
            order = self.orders.get_order(posting.posting_number)
            self._check(participant, posting, order)
            effective = posting
            if order is not None and order.posting.is_cancelled and not posting.is_cancelled:
                effective = posting.with_status(CANCELLED)
            plan = plan_accruals(
                participant,
                effective,
                settings,
                Attribution.CLAIM_UNDER_REVIEW,
                kept_amount=order.kept_amount if order is not None else None,
            )
            held = replace(plan, accruals=())
            review = ClaimReview(
                posting_number=posting.posting_number,
                participant_id=participant_id,
                status=ReviewStatus.PENDING,
                amount=plan.accounted_amount,
                scheme=posting.scheme,
                order_number=posting.order_number,
                order_created_at=posting.created_at,
                created_at=self.clock(),
                proven=proven,
                customer_id_matched=bool(posting.customer_id) and posting.customer_id == participant.ozon_id,
            )
            try:
                self.claims.commit_held_claim(held, order, review, self.clock())
            except OrderChanged:
                continue
            return
        raise Conflict("The claim could not be recorded; please try again.", reason="busy_retry")

    # --- the operators' side -------------------------------------------------------------------------

    def approve(self, actor_id: str, posting_number: str, participant_id: str, idempotency_key: str) -> bool:
        """Accrue a held claim exactly as an accepted claim would have. False if this request was applied."""
        guard_key, fingerprint = (
            f"claim-decision:{idempotency_key}",
            f"approve|{posting_number}|{participant_id}",
        )
        guard = self.ledger.get_guard(guard_key)
        if guard is not None:
            return _already_applied(guard.fingerprint, fingerprint)
        blocked: set[str] = set()
        levels_kept: set[tuple[str, int]] = set()
        for _ in range(DECISIONS):
            review, order = self._held(posting_number, participant_id)
            buyer = self._participant(participant_id)
            plan = plan_accruals(
                buyer,
                order.posting,
                self.settings.current(),
                Attribution.CLAIM,
                kept_amount=order.kept_amount,
                blocked_ancestors=frozenset(blocked),
            )
            now = self.clock()
            audit = self._audit(actor_id, review, ReviewStatus.APPROVED, None, guard_key, now)
            notices = [
                *PurchaseService._accrual_notices(plan),
                _decision_notice(review, ReviewStatus.APPROVED),
            ]
            try:
                self.claims.commit_approval(
                    review,
                    order,
                    plan,
                    Decision(guard_key, fingerprint, audit, now),
                    notices,
                    level_dates_kept=frozenset(levels_kept),
                )
            except AlreadyExists:
                return self._guard_says(guard_key, fingerprint)
            except (OrderChanged, StaleRead):
                continue
            except ParticipantsChanged as changed:
                levels_kept |= changed.levels
                current = self.participants.get_participants(changed.participants)
                blocked |= {pid for pid, p in current.items() if p.blocked} | (
                    set(changed.participants) - set(current)
                )
                continue
            return True
        raise Conflict("The claim could not be approved because of concurrent changes.", reason="busy_retry")

    def reject(
        self, actor_id: str, posting_number: str, participant_id: str, reason: str, idempotency_key: str
    ) -> bool:
        """Free the order and tell the participant why; nothing was or will be accrued for this claim."""
        reason = (reason or "").strip()
        if not 1 <= len(reason) <= MAX_REASON:
            raise InvalidInput(
                f"A reason of 1 to {MAX_REASON} characters is required.", reason="reason_required"
            )
        guard_key = f"claim-decision:{idempotency_key}"
        fingerprint = f"reject|{posting_number}|{participant_id}|{reason}"
        guard = self.ledger.get_guard(guard_key)
        if guard is not None:
            return _already_applied(guard.fingerprint, fingerprint)
        for _ in range(DECISIONS):
            review, order = self._held(posting_number, participant_id)
            now = self.clock()
            audit = self._audit(actor_id, review, ReviewStatus.REJECTED, reason, guard_key, now)
            notice = _decision_notice(review, ReviewStatus.REJECTED, reason)
            try:
                self.claims.commit_rejection(
                    review, order, reason, Decision(guard_key, fingerprint, audit, now), notice
                )
            except AlreadyExists:
                return self._guard_says(guard_key, fingerprint)
            except (OrderChanged, StaleRead):
                continue
            return True
        raise Conflict("The claim could not be rejected because of concurrent changes.", reason="busy_retry")

    def _held(self, posting_number: str, participant_id: str) -> tuple[ClaimReview, Order]:
        review = check_decidable(
            self.claims.get_review(posting_number, participant_id), posting_number, participant_id
        )
        order = self.orders.get_order(posting_number)
        if order is None or order.participant_id != participant_id or not order.under_review:
            raise Conflict("The order is no longer held for this claim.", reason="claim_decided")
        return review, order

    def _guard_says(self, guard_key: str, fingerprint: str) -> bool:
        guard = self.ledger.get_guard(guard_key)
        if guard is None:
            raise Conflict("The decision could not be recorded; please try again.", reason="busy_retry")
        return _already_applied(guard.fingerprint, fingerprint)

    @staticmethod
    def _audit(
        actor_id: str,
        review: ClaimReview,
        status: ReviewStatus,
        reason: str | None,
        guard_key: str,
        now: datetime,
    ) -> AuditRecord:
        return AuditRecord(
            audit_id=entry_id_for(f"audit:{guard_key}"),
            actor_id=actor_id,
            action="claim.approve" if status == ReviewStatus.APPROVED else "claim.reject",
            object_type="claim",
            object_id=f"{review.posting_number}/{review.participant_id}",
            object_name=review.posting_number,
            created_at=now,
            changes=(Change("status", ReviewStatus.PENDING.value, status.value),),
            reason=reason,
        )


def _decision_notice(review: ClaimReview, status: ReviewStatus, reason: str | None = None) -> Notification:
    kind = (
        NotificationKind.CLAIM_APPROVED
        if status == ReviewStatus.APPROVED
        else NotificationKind.CLAIM_REJECTED
    )
    return draft(
        kind,
        review.participant_id,
        (review.posting_number,),
        posting_number=review.posting_number,
        reason=reason,
    )


def _already_applied(stored: str | None, fingerprint: str) -> bool:
    """The key was used: the same decision again is "already applied" (False); another one is refused."""
    if stored != fingerprint:
        raise Conflict(
            "This idempotency key was already used for a different decision.", reason="idempotency_key_reused"
        )
    return False
