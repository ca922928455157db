"""Claims under review and proof attempts: each decision one transaction with its conditions and guard."""

from __future__ import annotations

from datetime import datetime

from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action

from referral.clock import from_iso, to_iso
from referral.domain.audit import AuditRecord
from referral.domain.claim_policy import ClaimPolicy
from referral.domain.claims import AttemptWindow, ClaimReview, ReviewStatus, TooManyAttempts
from referral.domain.notifications import Notification
from referral.domain.orders import AccrualPlan, Attribution, Order
from referral.errors import AlreadyExists, DomainError, OrderChanged, StaleRead
from referral.repository import keys
from referral.repository.administration import add_audit
from referral.repository.changes import Changes, commit, get_item, participants_changed, touches_participants
from referral.repository.ledger import GUARD, add_guard
from referral.repository.models import ClaimAttemptItem, ClaimReviewItem, Entity, OrderItem
from referral.repository.order_items import attributed_order, attribution_actions, order_ref
from referral.repository.order_statistics import count_purchase
from referral.repository.orders import OrderRepository
from referral.repository.outbox import add_notices
from referral.repository.unit_of_work import CommittedNotices, TransactionConflict, UnitOfWork

ORDER = "order"
REVIEW = "claim_review"
PARTICIPANT_ATTEMPTS = "attempts:participant"
ORDER_ATTEMPTS = "attempts:order"
DECISION_OPERATION = "claim_decision"


def _decision_refusal(conflict: TransactionConflict) -> DomainError:
    if conflict.failed_on(GUARD):
        return AlreadyExists("This idempotency key was used meanwhile.", reason="idempotency_key_used")
    if conflict.failed_on(REVIEW):
        return StaleRead("The claim was decided meanwhile; reload it.")
    if conflict.failed_on(ORDER):
        return OrderChanged("The order changed meanwhile.")
    if touches_participants(conflict):
        return participants_changed(conflict)
    return conflict


def _held_refusal(conflict: TransactionConflict) -> DomainError:
    if conflict.failed_on(REVIEW):
        return AlreadyExists("This participant has claimed this order before.", reason="claim_exists")
    return OrderChanged("The order changed meanwhile.")


def review_ref(posting_number: str, participant_id: str) -> ClaimReviewItem:
    return ClaimReviewItem(keys.claim_pk(posting_number), keys.claim_review_sk(participant_id))


def claim_review(item: ClaimReviewItem) -> ClaimReview:
    return ClaimReview(
        posting_number=item.posting_number,
        participant_id=item.participant_id,
        status=ReviewStatus(item.status),
        amount=item.amount,
        scheme=item.scheme,
        order_number=item.order_number,
        order_created_at=from_iso(item.order_created_at),
        created_at=from_iso(item.created_at),
        proven=bool(item.proven),
        customer_id_matched=bool(item.customer_id_matched),
        decided_at=from_iso(item.decided_at) if item.decided_at else None,
        decided_by=item.decided_by,
        reason=item.reason,
        version=item.version,
    )


def _decided(review: ClaimReview, status: ReviewStatus, actor_id: str, now: datetime) -> list[Action]:
    stamp = to_iso(now)
    return [
        ClaimReviewItem.status.set(status.value),
        ClaimReviewItem.decided_at.set(stamp),
        ClaimReviewItem.decided_by.set(actor_id),
        ClaimReviewItem.version.add(1),
        ClaimReviewItem.gsi1pk.set(keys.claims_gsi(status.value)),
        ClaimReviewItem.gsi1sk.set(keys.dated(stamp, review.posting_number, review.participant_id)),
    ]


def _still_pending(review: ClaimReview) -> Condition:
    pending: Condition = (ClaimReviewItem.status == ReviewStatus.PENDING.value) & (
        ClaimReviewItem.version == review.version
    )
    return pending


def _held_order(review: ClaimReview, order: Order) -> Condition:
    """The order is still held for this claimant, exactly as it was read."""
    held: Condition = (
        (OrderItem.participant_id == review.participant_id)
        & (OrderItem.attribution == Attribution.CLAIM_UNDER_REVIEW.value)
        & (OrderItem.version == order.version)
    )
    return held


class ClaimRepository:
    """Claims held for operators, their decisions, and the proof attempts' counters."""

    def __init__(self, notices: CommittedNotices | None = None) -> None:
        self._notices = notices

    # --- proof attempts ------------------------------------------------------------------------------

    def _attempt_keys(
        self, participant_id: str, order_key: str, window: AttemptWindow
    ) -> list[tuple[str, str]]:
        sk = keys.claim_attempts_sk(window.index)
        return [
            (keys.claim_attempts_pk("P", participant_id), sk),
            (keys.claim_attempts_pk("O", order_key), sk),
        ]

    def attempts_blocked_until(
        self, participant_id: str, order_key: str, policy: ClaimPolicy, now: datetime
    ) -> datetime | None:
        """When the participant may try again, if they or the order used up the window's attempts."""
        window = AttemptWindow.at(now, policy.attempts_window_hours)
        participant_key, order_ref_key = self._attempt_keys(participant_id, order_key, window)
        limits = {participant_key: policy.attempts_per_participant, order_ref_key: policy.attempts_per_order}
        for item in ClaimAttemptItem.batch_get(list(limits)):
            if item.tries >= limits[(item.pk, item.sk)]:
                return window.ends_at
        return None

    def take_attempt(self, participant_id: str, order_key: str, policy: ClaimPolicy, now: datetime) -> None:
        """Count one proof attempt for the participant and the order, both or neither.

        Refused with ``TooManyAttempts`` (naming when the window ends) when either is used up.
        """
        window = AttemptWindow.at(now, policy.attempts_window_hours)
        uow = UnitOfWork(self._notices)
        subjects = zip(
            (PARTICIPANT_ATTEMPTS, ORDER_ATTEMPTS),
            self._attempt_keys(participant_id, order_key, window),
            (policy.attempts_per_participant, policy.attempts_per_order),
            strict=True,
        )
        for label, (pk, sk), limit in subjects:
            uow.update(
                label,
                ClaimAttemptItem(pk, sk),
                [
                    ClaimAttemptItem.entity_type.set(ClaimAttemptItem),
                    ClaimAttemptItem.tries.add(1),
                    ClaimAttemptItem.expires_at.set(window.expires_at),
                ],
                ClaimAttemptItem.tries.does_not_exist() | (ClaimAttemptItem.tries < limit),
            )
        commit(uow, lambda _: TooManyAttempts(window.ends_at))

    # --- claims under review ---------------------------------------------------------------------------

    def get_review(self, posting_number: str, participant_id: str) -> ClaimReview | None:
        item = get_item(ClaimReviewItem, keys.claim_pk(posting_number), keys.claim_review_sk(participant_id))
        return claim_review(item) if item else None

    def commit_held_claim(
        self, held: AccrualPlan, order: Order | None, review: ClaimReview, now: datetime
    ) -> None:
        """Attribute the order to the claimant without accruing, and queue the claim for operators.

        ``held`` is the plan with no accruals and the ``claim_under_review`` attribution. Refused with
        ``OrderChanged`` if the order was attributed or changed meanwhile, ``AlreadyExists`` if this
        participant's claim of it exists.
        """
        uow = UnitOfWork(self._notices)
        if order is None:
            uow.create(ORDER, attributed_order(held, now))
        else:
            uow.update(
                ORDER,
                order_ref(held.posting.posting_number),
                attribution_actions(held, now),
                OrderItem.participant_id.does_not_exist() & (OrderItem.version == order.version),
            )
        created = to_iso(review.created_at)
        uow.create(
            REVIEW,
            ClaimReviewItem(
                keys.claim_pk(review.posting_number),
                keys.claim_review_sk(review.participant_id),
                posting_number=review.posting_number,
                participant_id=review.participant_id,
                status=review.status.value,
                amount=review.amount,
                scheme=review.scheme,
                order_number=review.order_number,
                order_created_at=to_iso(review.order_created_at),
                proven=review.proven,
                customer_id_matched=review.customer_id_matched,
                created_at=created,
                version=1,
                gsi1pk=keys.claims_gsi(review.status.value),
                gsi1sk=keys.dated(created, review.posting_number, review.participant_id),
            ),
        )
        commit(uow, _held_refusal)

    def commit_approval(
        self,
        review: ClaimReview,
        order: Order,
        plan: AccrualPlan,
        decision: Decision,
        notifications: list[Notification],
        *,
        level_dates_kept: frozenset[tuple[str, int]] = frozenset(),
    ) -> None:
        """The claim approved: status, guard, audit and an accepted claim's accrual, one transaction."""
        uow = UnitOfWork(self._notices)
        add_guard(uow, decision.guard_key, DECISION_OPERATION, decision.now, decision.fingerprint)
        uow.update(
            REVIEW,
            review_ref(review.posting_number, review.participant_id),
            _decided(review, ReviewStatus.APPROVED, decision.audit.actor_id, decision.now),
            _still_pending(review),
        )
        uow.update(
            ORDER,
            order_ref(order.posting.posting_number),
            attribution_actions(plan, decision.now),
            _held_order(review, order),
        )
        changes = Changes(uow)
        if not plan.posting.is_cancelled:
            count_purchase(uow, changes, plan, level_dates_kept)
        OrderRepository.accrue(uow, changes, plan, decision.now)
        changes.flush()
        add_notices(uow, notifications, decision.now)
        add_audit(uow, decision.audit)
        commit(uow, _decision_refusal)

    def commit_rejection(
        self, review: ClaimReview, order: Order, reason: str, decision: Decision, notice: Notification
    ) -> None:
        """The claim rejected: the order is free again, nothing accrued; guard, audit and notice with it."""
        uow = UnitOfWork(self._notices)
        add_guard(uow, decision.guard_key, DECISION_OPERATION, decision.now, decision.fingerprint)
        uow.update(
            REVIEW,
            review_ref(review.posting_number, review.participant_id),
            [
                *_decided(review, ReviewStatus.REJECTED, decision.audit.actor_id, decision.now),
                ClaimReviewItem.reason.set(reason),
            ],
            _still_pending(review),
        )
        uow.update(
            ORDER,
            order_ref(order.posting.posting_number),
            [
                OrderItem.participant_id.remove(),
                OrderItem.attribution.remove(),
                OrderItem.attributed_at.remove(),
                OrderItem.gsi1pk.remove(),
                OrderItem.gsi1sk.remove(),
                OrderItem.accruals.set([]),
                OrderItem.updated_at.set(to_iso(decision.now)),
                OrderItem.version.add(1),
            ],
            _held_order(review, order),
        )
        add_notices(uow, [notice], decision.now)
        add_audit(uow, decision.audit)
        commit(uow, _decision_refusal)

    def reviews(self, status: ReviewStatus, limit: int) -> list[ClaimReview]:
        items = Entity.by_owner.query(keys.claims_gsi(status.value), limit=limit, scan_index_forward=True)
        return [claim_review(item) for item in items if isinstance(item, ClaimReviewItem)]


class Decision:
    """An operator's decision as the transaction records it: guard key, fingerprint, audit, time."""

    __slots__ = ("audit", "fingerprint", "guard_key", "now")

    def __init__(self, guard_key: str, fingerprint: str, audit: AuditRecord, now: datetime) -> None:
        self.guard_key = guard_key
        self.fingerprint = fingerprint
        self.audit = audit
        self.now = now
