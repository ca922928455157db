"""Stateful property test of the points ledger (R5–R12) over the real services on a moto table.

A hypothesis ``RuleBasedStateMachine`` drives random sequences of registrations, purchases (and the same
posting again), deliveries, cancellations, partial and full returns, releases, withdrawals and their
status flow, operators' balance corrections (and repeated keys), re-parenting, blocking and settings
changes. Beside the real services it keeps a small independent model in plain dicts (balances,
accruals, orders, withdrawals, the sponsor tree) and after every step checks:

1. every participant's stored balances equal the sums of their ledger entries' deltas;
2. no (posting, beneficiary, level) accrues twice, and reversals never exceed the accrual;
3. available is negative only because of reversals taken from available; frozen is never negative: it
   is the frozen accruals' remaining points plus what corrections put in (and only that a correction
   may take out again);
4. reserved equals the points of open withdrawals;
5. no withdrawal exceeds what was available when it was requested;
6. balances, accrued totals, chains, purchase totals, accrual records, orders and withdrawals equal the
   model.

Cost: moto spends milliseconds on every request and on every attribute it returns, so re-reading the
whole table after every step would dominate the run. After every step the machine reads all
participants (one batch get of the checked attributes), the ledger entries written since the previous
step (the monthly ledger feed: entries are immutable, so their sums accumulate) and the accruals,
orders and withdrawals the step touched. At the end of every example it runs
``services.reconciliation.run()`` and re-reads everything through the store (``get_participants``,
``ledger_of``, ``accruals_of``, ``withdrawals_of``).

Every example starts from a fresh, empty table (created in ``__init__``, deleted in ``teardown``).
"""

from __future__ import annotations

import dataclasses
import os
import sys
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar

import pytest
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from moto import mock_aws
from referral.clock import to_iso
from referral.domain.ledger import EntryKind, LedgerEntry
from referral.domain.orders import AccrualRef, AccrualState, Attribution, Posting
from referral.domain.participants import Participant
from referral.domain.settings import MAX_LEVELS
from referral.domain.withdrawals import WithdrawalStatus
from referral.errors import (
    Conflict,
    DomainError,
    Forbidden,
    InsufficientFunds,
    InvalidInput,
    InvalidTransition,
    ReferralCycle,
    SelfReferral,
)
from referral.repository import keys, mapping
from referral.repository.keys import FEED_LEDGER
from referral.repository.models import Entity, LedgerEntryItem, ParticipantItem
from referral.repository.table import bind_table, create_table
from referral.services import Services
from referral.services.withdrawals import withdrawal_id_for

from tests.support.builders import join, posting
from tests.support.clock import FakeClock

T = TypeVar("T")

MACHINE_SETTINGS = settings(
    # Bounded for CI (about a minute); ``LEDGER_MACHINE_EXAMPLES=300`` explores more locally.
    max_examples=int(os.environ.get("LEDGER_MACHINE_EXAMPLES", "10")),
    stateful_step_count=25,
    deadline=None,
    # Every step is several moto round trips (the system under test), not slow data generation.
    suppress_health_check=[HealthCheck.too_slow],
)

ADMIN = "admin-1"
MAX_PARTICIPANTS = 5
MIN_WITHDRAWAL = 100  # the default setting; the machine never changes it
HOLD_DAYS = (3, 0, 1, 7, 14, 30)
OPEN = frozenset({WithdrawalStatus.NEW, WithdrawalStatus.NEGOTIATION})
ALLOWED: dict[WithdrawalStatus, frozenset[WithdrawalStatus]] = {
    WithdrawalStatus.NEW: frozenset(
        {WithdrawalStatus.NEGOTIATION, WithdrawalStatus.REJECTED, WithdrawalStatus.CANCELLED}
    ),
    WithdrawalStatus.NEGOTIATION: frozenset(
        {WithdrawalStatus.PAID, WithdrawalStatus.REJECTED, WithdrawalStatus.CANCELLED}
    ),
}

# Hypothesis favours the first option of ``sampled_from``/``one_of`` and the low end of ``integers``.
RATES = ("50", "10", "3", "1", "12.5", "33.33", "100", "250", "0")
amounts = st.one_of(
    st.integers(min_value=1000_00, max_value=30_000_00).map(lambda k: Decimal(k).scaleb(-2)),
    st.sampled_from(["1000.00", "2999.99", "20000.00", "0.01", "19.99", "333.33"]).map(Decimal),
    st.integers(min_value=1, max_value=999_99).map(lambda k: Decimal(k).scaleb(-2)),
)
points_change = st.tuples(st.sampled_from([1, 1, -1, 0]), st.integers(min_value=1, max_value=300)).map(
    lambda pair: pair[0] * pair[1]
)


def sometimes(one_in: int) -> st.SearchStrategy[bool]:
    """True about once in ``one_in`` draws (hypothesis favours small integers, so not ``integers() == 0``)."""
    return st.sampled_from([False] * (one_in - 1) + [True])


def floor_points(amount: Decimal, rate: Decimal) -> int:
    """R5 in integers only: floor(amount × rate / 1000), amount in kopecks and rate in hundredths."""
    return (int(amount * 100) * int(rate * 100)) // 10_000_000


def months(start: datetime, end: datetime) -> list[str]:
    """The months (YYYY-MM) from ``start``'s to ``end``'s: the ledger feed's partitions."""
    found = []
    year, month = start.year, start.month
    while (year, month) <= (end.year, end.month):
        found.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return found


# --- the independent model -------------------------------------------------------------------------


@dataclass
class MParticipant:
    pid: str
    ozon_id: str
    registered_at: datetime
    sponsor: str | None
    blocked: bool = False
    frozen: int = 0
    available: int = 0
    reserved: int = 0
    withdrawn: int = 0
    accrued: int = 0
    """Accrued minus reversed."""
    frozen_corrections: int = 0
    """Net frozen points put in by corrections: all a correction may take out of frozen."""


@dataclass
class MAccrual:
    beneficiary: str
    level: int
    rate: Decimal
    points: int
    release_at: datetime
    reversed: int = 0
    state: AccrualState = AccrualState.FROZEN
    due: bool = False
    """In the release schedule: the posting was delivered while the accrual was frozen."""


@dataclass
class MOrder:
    posting: Posting
    buyer: str
    kept: Decimal
    status: str
    accruals: list[MAccrual]
    returns: list[str] = field(default_factory=list)

    @property
    def cancelled(self) -> bool:
        return self.status == "cancelled"


@dataclass
class MWithdrawal:
    wid: str
    pid: str
    points: int
    key: str
    available_before: int
    status: WithdrawalStatus = WithdrawalStatus.NEW


@dataclass(frozen=True)
class MCorrection:
    key: str
    pid: str
    available_change: int
    total_change: int


# --- what the checks read ----------------------------------------------------------------------------


@dataclass
class LedgerSums:
    """What the ledger entries seen so far add up to, for one participant."""

    frozen: int = 0
    available: int = 0
    reserved: int = 0
    withdrawn: int = 0
    available_from_reversals: int = 0
    frozen_from_corrections: int = 0

    def add(self, entry: LedgerEntry) -> None:
        self.frozen += entry.delta.frozen
        self.available += entry.delta.available
        self.reserved += entry.delta.reserved
        self.withdrawn += entry.delta.withdrawn
        if entry.kind == EntryKind.REVERSAL:
            self.available_from_reversals += entry.delta.available
        elif entry.kind == EntryKind.CORRECTION:
            self.frozen_from_corrections += entry.delta.frozen


PROFILE_ATTRIBUTES = [
    "type",
    "participant_id",
    "frozen",
    "available",
    "reserved",
    "withdrawn",
    "balance",
    "accrued_total",
    "frozen_corrections",
    "blocked",
    "sponsor_id",
    "ancestors",
    "orders_count",
    "purchases_sum",
]


@dataclass(frozen=True)
class StoredProfile:
    """The checked part of a stored participant (read whole through the store, or projected)."""

    frozen: int
    available: int
    reserved: int
    withdrawn: int
    balance: int | None
    accrued_total: int
    frozen_corrections: int
    blocked: bool
    sponsor_id: str | None
    ancestors: tuple[str, ...]
    orders_count: int
    purchases_sum: Decimal

    @classmethod
    def of(cls, stored: ParticipantItem | Participant) -> StoredProfile:
        if isinstance(stored, Participant):
            b = stored.balances
            return cls(
                b.frozen,
                b.available,
                b.reserved,
                b.withdrawn,
                None,
                stored.accrued_total,
                stored.frozen_corrections,
                stored.blocked,
                stored.sponsor_id,
                stored.ancestors,
                stored.orders_count,
                stored.purchases_sum,
            )
        return cls(
            stored.frozen,
            stored.available,
            stored.reserved,
            stored.withdrawn,
            getattr(stored, "balance", None),
            stored.accrued_total,
            stored.frozen_corrections,
            bool(stored.blocked),
            stored.sponsor_id,
            tuple(stored.ancestors or ()),
            stored.orders_count,
            stored.purchases_sum,
        )


class LedgerMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        create_table()  # bound by the test; teardown deletes it, so every example starts empty
        self.clock = FakeClock()
        self.services = Services.build(clock=self.clock, settings_max_age=0)
        # the model
        self.people: dict[str, MParticipant] = {}
        self.orders: dict[str, MOrder] = {}
        self.withdrawals: dict[str, MWithdrawal] = {}
        self.corrections: list[MCorrection] = []
        self.levels = 3
        self.level_rates = [Decimal(50), Decimal(50), Decimal(50)]
        self.own_rate = Decimal(0)
        self.hold_days = 30
        self.serial = 0
        # what the checks have read so far
        self.feed_since = self.clock.now
        self.ledger: dict[tuple[str, str], LedgerEntry] = {}
        self.sums: dict[str, LedgerSums] = {}
        self.accrual_entries: Counter[tuple[str | None, str, int | None]] = Counter()
        self.reversed_entries: Counter[tuple[str | None, str, int | None]] = Counter()
        self.stored_withdrawals: dict[str, tuple[str, int, WithdrawalStatus]] = {}
        self.dirty_orders: set[str] = set()
        self.dirty_withdrawals: set[str] = set()

    def teardown(self) -> None:
        try:
            if sys.exc_info()[0] is None:  # the example passed so far: finish with the full check
                self._full_check()
        finally:
            Entity.delete_table()

    # --- helpers -----------------------------------------------------------------------------------

    def _next(self) -> int:
        self.serial += 1
        return self.serial

    @staticmethod
    def _pick(data: st.DataObject, options: list[T], label: str) -> T:
        return data.draw(st.sampled_from(options), label=label)

    def _lineage(self, pid: str) -> list[str]:
        chain: list[str] = []
        sponsor = self.people[pid].sponsor
        while sponsor is not None:
            assert sponsor not in chain and sponsor != pid, f"the model has a cycle through {pid}"
            chain.append(sponsor)
            sponsor = self.people[sponsor].sponsor
        return chain

    def _rate(self, level: int) -> Decimal:
        if level == 0:
            return self.own_rate
        if 1 <= level <= self.levels:
            return self.level_rates[level - 1]
        return Decimal(0)

    @staticmethod
    def _expect(expected: type[DomainError] | None, call: Callable[[], T], what: str) -> T | None:
        """Run ``call``: a refusal must be exactly the ``expected`` one, a success must be expected."""
        refusal: DomainError | None = None
        result: T | None = None
        try:
            result = call()
        except DomainError as error:
            refusal = error
        if expected is None:
            assert refusal is None, f"{what}: unexpectedly refused with {refusal!r}"
        else:
            outcome = refusal or result
            assert type(refusal) is expected, f"{what}: got {outcome!r}, expected {expected.__name__}"
        return result

    # --- the program: participants, tree, settings ---------------------------------------------------

    def _register(self, sponsor: str | None) -> str:
        number = len(self.people) + 1
        pid, ozon_id = str(100 + number), str(700_000_000 + number)
        sponsor_participant = self.services.repos.participants.get_participant(sponsor) if sponsor else None
        joined = join(self.services, pid, sponsor_participant, ozon_id=ozon_id)
        assert joined.sponsor_id == sponsor
        # the time the table keeps, not the clock's reading after it (the clock ticks on every read)
        self.people[pid] = MParticipant(pid, ozon_id, joined.registered_at, sponsor)
        return pid

    def _update_settings(self, levels: int, rates: list[str], own_rate: str, hold_days: int) -> None:
        changes: dict[str, Any] = {
            "levels": levels,
            "level_rates": rates,
            "own_rate": own_rate,
            "hold_days": hold_days,
        }
        consistent = len(rates) == levels
        updated = self._expect(
            None if consistent else Conflict,  # valid values that do not fit together
            lambda: self.services.settings.update(ADMIN, changes, reason="property test"),
            f"settings update {changes}",
        )
        if updated is not None:
            self.levels = levels
            self.level_rates = [Decimal(r) for r in rates]
            self.own_rate = Decimal(own_rate)
            self.hold_days = hold_days
        current = self.services.settings.current()
        assert (current.levels, list(current.level_rates), current.own_rate, current.hold_days) == (
            self.levels,
            self.level_rates,
            self.own_rate,
            self.hold_days,
        )

    @initialize(data=st.data(), size=st.integers(min_value=1, max_value=3))
    def first_participants(self, data: st.DataObject, size: int) -> None:
        """A small network; an operator's correction may give each member an opening balance."""
        for _ in range(size):
            pid = self._register(data.draw(st.sampled_from([*sorted(self.people), None]), label="sponsor"))
            opening = data.draw(st.sampled_from([300, 0, 150, 1000]), label="opening balance")
            if opening:
                self._correct(MCorrection(f"corr-{self._next()}", pid, opening, opening))

    @initialize(
        keep_defaults=sometimes(4),
        levels=st.integers(min_value=1, max_value=4),
        data=st.data(),
        own_rate=st.sampled_from(RATES),
        hold_days=st.sampled_from(HOLD_DAYS),
    )
    def program_settings(
        self, keep_defaults: bool, levels: int, data: st.DataObject, own_rate: str, hold_days: int
    ) -> None:
        """The defaults (3 levels at 50, own 0, hold 30 days) or other rates and a shorter hold."""
        if not keep_defaults:
            rates = data.draw(st.lists(st.sampled_from(RATES), min_size=levels, max_size=levels))
            self._update_settings(levels, rates, own_rate, hold_days)

    @precondition(lambda self: len(self.people) < MAX_PARTICIPANTS)
    @rule(data=st.data())
    def register(self, data: st.DataObject) -> None:
        """R1: anyone registers, with or without a participant's personal link."""
        self._register(data.draw(st.sampled_from([*sorted(self.people), None]), label="sponsor"))

    @rule(data=st.data(), detach=sometimes(5))
    def reparent(self, data: st.DataObject, detach: bool) -> None:
        """R12: a new sponsor re-parents the subtree; self-sponsorship and cycles are refused (R4)."""
        pid = self._pick(data, sorted(self.people), "participant")
        person = self.people[pid]
        others = sorted(p for p in self.people if p != person.sponsor)
        new_sponsor = None if detach or not others else self._pick(data, others, "new sponsor")
        expected: type[DomainError] | None = None
        if new_sponsor is not None and new_sponsor == pid:
            expected = SelfReferral
        elif new_sponsor is not None and pid in self._lineage(new_sponsor):
            expected = ReferralCycle
        result = self._expect(
            expected,
            lambda: self.services.tree.reparent(ADMIN, pid, new_sponsor, "property test"),
            f"reparent {pid} under {new_sponsor}",
        )
        event(f"reparent: {expected.__name__ if expected else 'done'}")
        if result is not None:
            assert result.new_sponsor_id == new_sponsor
            person.sponsor = new_sponsor

    @rule(data=st.data(), blocked=st.booleans())
    def set_blocked(self, data: st.DataObject, blocked: bool) -> None:
        """R9: blocked participants earn nothing new and cannot withdraw."""
        pid = self._pick(data, sorted(self.people), "participant")
        self.services.participants.set_blocked(ADMIN, pid, blocked, "property test")
        self.people[pid].blocked = blocked

    @rule(
        data=st.data(),
        levels=st.integers(min_value=1, max_value=4),
        own_rate=st.sampled_from(RATES),
        hold_days=st.sampled_from(HOLD_DAYS),
        inconsistent=sometimes(5),
    )
    def update_settings(
        self, data: st.DataObject, levels: int, own_rate: str, hold_days: int, inconsistent: bool
    ) -> None:
        """R5: new rates apply to later accruals only; an inconsistent update changes nothing."""
        rates = data.draw(st.lists(st.sampled_from(RATES), min_size=levels, max_size=levels), label="rates")
        if inconsistent:
            rates = [*rates, "1"]  # one rate too many: the whole update must be refused
        self._update_settings(levels, rates, own_rate, hold_days)

    # --- time and releases --------------------------------------------------------------------------

    @rule(days=st.sampled_from([10, 31, 1, 0, 3, 20]), hours=st.integers(min_value=0, max_value=23))
    def advance_and_release(self, days: int, hours: int) -> None:
        """R7: frozen → available once the hold passed and the posting was delivered."""
        self._advance_and_release(timedelta(days=days, hours=hours))

    def _advance_and_release(self, delta: timedelta) -> None:
        now = self.clock.advance(seconds=delta.total_seconds())
        expected_count = expected_points = 0
        for number, order in self.orders.items():
            for accrual in order.accruals:
                if accrual.state == AccrualState.FROZEN and accrual.due and accrual.release_at <= now:
                    remaining = accrual.points - accrual.reversed
                    person = self.people[accrual.beneficiary]
                    person.frozen -= remaining
                    person.available += remaining
                    accrual.state = AccrualState.RELEASED
                    accrual.due = False
                    expected_count += 1
                    expected_points += remaining
                    self.dirty_orders.add(number)
        report = self.services.release.release_matured()
        event(f"release: {'some' if expected_count else 'nothing due'}")
        assert (report.released, report.points, report.conflicts) == (expected_count, expected_points, 0)

    # --- purchases, statuses, returns -------------------------------------------------------------------

    def _planned(self, buyer: str, created: Posting) -> list[MAccrual]:
        """R5/R6/R9: who earns what. Blocked beneficiaries get nothing and nobody gets their share."""
        if created.is_cancelled:
            return []
        release_at = created.created_at + timedelta(days=self.hold_days)
        beneficiaries = [(buyer, 0)]
        beneficiaries += [(a, level) for level, a in enumerate(self._lineage(buyer)[:MAX_LEVELS], start=1)]
        planned = []
        for beneficiary, level in beneficiaries:
            rate = self._rate(level)
            points = floor_points(created.amount, rate)
            if points > 0 and self.people[beneficiary].blocked:
                event("purchase: a blocked beneficiary gets nothing")
            elif points > 0:
                planned.append(MAccrual(beneficiary, level, rate, points, release_at))
        return planned

    @rule(data=st.data())
    def record_purchase(self, data: st.DataObject) -> None:
        """R6: a posting attributed by customer id counts only if created after the buyer registered."""
        buyer = self._pick(data, sorted(self.people), "buyer")
        person = self.people[buyer]
        now = self.clock.advance(minutes=data.draw(st.integers(min_value=1, max_value=600), label="minutes"))
        since_registration = now - person.registered_at
        share = data.draw(st.integers(min_value=1, max_value=100), label="% of the time since registration")
        if data.draw(sometimes(6), label="placed before registration"):
            created_at = person.registered_at - since_registration * (share - 1) // 100
        else:
            created_at = person.registered_at + since_registration * share // 100
        status = data.draw(
            st.sampled_from(["delivered", "awaiting_deliver", "delivered", "awaiting_deliver", "cancelled"]),
            label="status",
        )
        self._purchase(buyer, created_at, data.draw(amounts, label="amount"), status)

    @rule(data=st.data())
    def delivered_purchase_matures(self, data: st.DataObject) -> None:
        """R7: a delivered purchase, then the hold period passes and the release job runs."""
        buyer = self._pick(data, sorted(self.people), "buyer")
        created_at = self.clock.advance(minutes=1)
        self.clock.advance(minutes=1)
        number = self._purchase(buyer, created_at, data.draw(amounts, label="amount"), "delivered")
        assert number is not None
        self._advance_and_release(timedelta(days=self.hold_days, minutes=1))

    def _purchase(self, buyer: str, created_at: datetime, amount: Decimal, status: str) -> str | None:
        person = self.people[buyer]
        number = f"{self._next():08d}-0001-1"
        created = posting(created_at, amount, status=status, number=number, customer_id=person.ozon_id)
        result = self._expect(
            Forbidden if created_at <= person.registered_at else None,
            lambda: self.services.purchases.record_purchase(created, buyer, Attribution.CUSTOMER_ID),
            f"purchase {number} by {buyer}",
        )
        if result is None:
            event("purchase: refused, placed before registration")
            assert self.services.repos.orders.get_order(number) is None, (
                "a refused purchase left an order behind"
            )
            return None
        planned = self._planned(buyer, created)
        event(f"purchase: {status}, {len(planned)} accruals")
        assert not result.duplicate
        assert sorted((a.beneficiary_id, a.level, a.rate, a.points) for a in result.accruals) == sorted(
            (a.beneficiary, a.level, a.rate, a.points) for a in planned
        ), f"accruals of {number}"
        for accrual in planned:
            accrual.due = created.is_delivered
            self.people[accrual.beneficiary].frozen += accrual.points
            self.people[accrual.beneficiary].accrued += accrual.points
        self.orders[number] = MOrder(created, buyer, created.amount, created.status, planned)
        self.dirty_orders.add(number)
        return number

    @precondition(lambda self: self.orders)
    @rule(data=st.data(), other_buyer=sometimes(4))
    def record_same_posting_again(self, data: st.DataObject, other_buyer: bool) -> None:
        """R8: the same posting seen again is a no-op; another participant cannot take it (R6)."""
        number = self._pick(data, sorted(self.orders), "posting")
        order = self.orders[number]
        buyer = self._pick(data, sorted(self.people), "other buyer") if other_buyer else order.buyer
        expected: type[DomainError] | None = None
        if buyer != order.buyer:
            forbidden = order.posting.created_at <= self.people[buyer].registered_at
            expected = Forbidden if forbidden else Conflict
        result = self._expect(
            expected,
            lambda: self.services.purchases.record_purchase(order.posting, buyer, Attribution.CUSTOMER_ID),
            f"recording {number} again for {buyer}",
        )
        if result is not None:
            assert result.duplicate and result.accruals == (), f"re-recording {number} was not a no-op"

    def _reverse(self, order: MOrder, new_kept: Decimal) -> int:
        """R7: bring each accrual down to what ``new_kept`` earns at its rate, from frozen else available."""
        total = 0
        for accrual in order.accruals:
            if accrual.state == AccrualState.VOIDED:
                continue
            points = max(0, accrual.points - accrual.reversed - floor_points(new_kept, accrual.rate))
            if points == 0:
                continue
            person = self.people[accrual.beneficiary]
            if accrual.state == AccrualState.FROZEN:
                person.frozen -= points
                if accrual.reversed + points >= accrual.points:
                    accrual.state = AccrualState.VOIDED
                    accrual.due = False
            else:
                person.available -= points
                event("reversal taken from available")
                if person.available < 0:
                    event("available went negative")
            accrual.reversed += points
            person.accrued -= points
            total += points
        order.kept = new_kept
        self.dirty_orders.add(order.posting.posting_number)
        return total

    @precondition(lambda self: self.orders)
    @rule(data=st.data(), status=st.sampled_from(["delivered", "cancelled", "delivering", "delivered"]))
    def apply_status(self, data: st.DataObject, status: str) -> None:
        """R7: delivered starts the release clock; cancelled reverses every accrual."""
        number = self._pick(data, sorted(self.orders), "posting")
        order = self.orders[number]
        result = self.services.purchases.apply_status(dataclasses.replace(order.posting, status=status))
        if order.cancelled:
            assert result is None
            return
        if status == "cancelled":
            reversed_points = self._reverse(order, Decimal(0))
            order.status = status
            assert result is not None and not result.duplicate
            assert result.reversed_points == reversed_points, f"cancellation of {number}"
            return
        assert result is None
        if status == "delivered" and order.status != "delivered":
            for accrual in order.accruals:
                if accrual.state == AccrualState.FROZEN:
                    accrual.due = True
        order.status = status
        self.dirty_orders.add(number)

    @precondition(lambda self: self.orders)
    @rule(data=st.data(), kind=st.sampled_from(["part", "what is kept", "part", "the whole posting"]))
    def apply_return(self, data: st.DataObject, kind: str) -> None:
        """R7: a (partial) return takes back what the returned part earned; a return id counts once."""
        number = self._pick(data, sorted(self.orders), "posting")
        order = self.orders[number]
        if order.returns and data.draw(sometimes(3), label="repeat a return id"):
            return_id = self._pick(data, order.returns, "return id")
        else:
            return_id = f"ret-{self._next()}"
        if kind == "what is kept":
            amount = order.kept
        elif kind == "the whole posting":
            amount = order.posting.amount
        else:
            most = max(1, int(order.kept * 100))
            amount = Decimal(data.draw(st.integers(min_value=1, max_value=most), label="kopecks")).scaleb(-2)
        result = self.services.purchases.apply_return(number, return_id, amount)
        event(f"return: {'repeated id' if return_id in order.returns else kind}")
        if return_id in order.returns:
            assert result.duplicate and result.reversed_points == 0, f"return {return_id} applied twice"
            return
        reversed_points = self._reverse(order, max(Decimal(0), order.kept - amount))
        order.returns.append(return_id)
        assert not result.duplicate
        assert result.reversed_points == reversed_points, f"return {return_id} of {amount} on {number}"

    # --- withdrawals ----------------------------------------------------------------------------------

    def _refusal(self, pid: str, points: int) -> type[DomainError] | None:
        """R9/R10: why a new withdrawal of ``points`` must be refused now, if it must."""
        person = self.people[pid]
        if person.blocked:
            return Forbidden
        if points < MIN_WITHDRAWAL:
            return InvalidInput
        if points > person.available:
            return InsufficientFunds
        return None

    def _request(self, pid: str, points: int, key: str, expected: type[DomainError] | None) -> None:
        stored = self.services.repos.participants.get_participant(pid)
        assert stored is not None
        available_before = stored.balances.available
        withdrawal = self._expect(
            expected,
            lambda: self.services.withdrawals.request(pid, points, key),
            f"withdrawal of {points} by {pid} (available {available_before})",
        )
        wid = withdrawal_id_for(pid, key)
        event(f"withdrawal request: {expected.__name__ if expected else 'reserved'}")
        if withdrawal is None:
            assert self.services.repos.withdrawals.get_withdrawal(wid) is None, (
                "a refused request left a withdrawal"
            )
            return
        assert withdrawal.withdrawal_id == wid and wid not in self.withdrawals
        assert (withdrawal.status, withdrawal.points) == (WithdrawalStatus.NEW, points)
        assert withdrawal.fiat_amount == Decimal(points).quantize(Decimal("0.01"))
        person = self.people[pid]
        person.available -= points
        person.reserved += points
        self.withdrawals[wid] = MWithdrawal(wid, pid, points, key, available_before)
        self.dirty_withdrawals.add(wid)

    @rule(data=st.data())
    def request_withdrawal(self, data: st.DataObject) -> None:
        """R10: a request reserves points if allowed; the same request key again never reserves twice."""
        if self.withdrawals and data.draw(sometimes(4), label="retry a request"):
            known = self.withdrawals[self._pick(data, sorted(self.withdrawals), "withdrawal to retry")]
            # A retry answers with the request it opened, whatever the balance or blocking is now; the
            # same key for another amount is refused.
            reused = data.draw(sometimes(4), label="the same key for another amount")
            points = known.points + 1 if reused else known.points
            again = self._expect(
                Conflict if reused else None,
                lambda: self.services.withdrawals.request(known.pid, points, known.key),
                f"retry of withdrawal {known.wid} for {points}",
            )
            event(f"withdrawal retry: {'key reused' if reused else 'same request'}")
            if again is not None:
                assert (again.withdrawal_id, again.status, again.points) == (known.wid, known.status, points)
            self.dirty_withdrawals.add(known.wid)
            return
        pid = self._pick(data, sorted(self.people), "participant")
        available = self.people[pid].available
        kind = data.draw(st.sampled_from(["some", "all", "some", "below the minimum"]), label="amount")
        if kind == "below the minimum":
            points = data.draw(st.integers(min_value=-5, max_value=MIN_WITHDRAWAL - 1), label="points")
        elif kind == "all":
            points = available
        else:
            top = max(MIN_WITHDRAWAL, available + 50)
            points = data.draw(st.integers(min_value=MIN_WITHDRAWAL, max_value=top), label="points")
        self._request(pid, points, f"req-{self._next()}", self._refusal(pid, points))

    def _can_overspend(self) -> list[str]:
        return sorted(p.pid for p in self.people.values() if not p.blocked and p.available >= MIN_WITHDRAWAL)

    @precondition(lambda self: self._can_overspend())
    @rule(data=st.data())
    def two_requests_exceeding_available(self, data: st.DataObject) -> None:
        """R10: two requests back to back for more than is available: the second one is refused."""
        pid = self._pick(data, self._can_overspend(), "participant")
        available = self.people[pid].available
        first = data.draw(st.integers(min_value=MIN_WITHDRAWAL, max_value=available), label="first")
        second = data.draw(
            st.integers(min_value=max(MIN_WITHDRAWAL, available - first + 1), max_value=available + 200),
            label="second",
        )
        self._request(pid, first, f"req-{self._next()}", None)
        self._request(pid, second, f"req-{self._next()}", InsufficientFunds)

    @precondition(lambda self: self.withdrawals)
    @rule(data=st.data())
    def change_withdrawal_status(self, data: st.DataObject) -> None:
        """R10: new → negotiation → paid | rejected (reason required), or cancelled; balances follow."""
        open_ones = sorted(w for w, m in self.withdrawals.items() if m.status in OPEN)
        any_one = not open_ones or data.draw(sometimes(4), label="any request, not an open one")
        wid = self._pick(data, sorted(self.withdrawals) if any_one else open_ones, "withdrawal")
        statuses = ["negotiation", "paid", "cancelled", "rejected", "new"]
        new_status = WithdrawalStatus(data.draw(st.sampled_from(statuses), label="new status"))
        reason = data.draw(st.sampled_from(["no payout details", None, " "]), label="reason")
        known = self.withdrawals[wid]
        expected: type[DomainError] | None = None
        if new_status not in ALLOWED.get(known.status, frozenset()):
            expected = InvalidTransition
        elif new_status == WithdrawalStatus.REJECTED and not (reason or "").strip():
            expected = InvalidInput
        changed = self._expect(
            expected,
            lambda: self.services.withdrawals.change_status(ADMIN, wid, new_status, reason),
            f"withdrawal {wid} {known.status} → {new_status}",
        )
        self.dirty_withdrawals.add(wid)
        event(f"withdrawal → {new_status}: {expected.__name__ if expected else 'done'}")
        if changed is None:
            return
        assert changed.status == new_status
        person = self.people[known.pid]
        if new_status == WithdrawalStatus.PAID:
            person.reserved -= known.points
            person.withdrawn += known.points
        elif new_status in (WithdrawalStatus.REJECTED, WithdrawalStatus.CANCELLED):
            person.reserved -= known.points
            person.available += known.points
        known.status = new_status

    # --- operators' corrections -------------------------------------------------------------------------

    def _apply_correction(self, correction: MCorrection) -> bool:
        return self.services.ledger.correct_balance(
            ADMIN,
            correction.pid,
            available_change=correction.available_change,
            total_change=correction.total_change,
            reason="property test",
            idempotency_key=correction.key,
        )

    @rule(
        data=st.data(),
        available_change=points_change,
        total_change=points_change,
        repeat=sometimes(4),
    )
    def correct_balance(
        self, data: st.DataObject, available_change: int, total_change: int, repeat: bool
    ) -> None:
        """R11: a correction changes available and total (frozen takes the rest), once per key."""
        if repeat and self.corrections:
            correction = self._pick(data, self.corrections, "correction to repeat")
            reused = data.draw(sometimes(4), label="the same key for another change")
            if reused:
                other = dataclasses.replace(correction, total_change=correction.total_change + 1)
                self._expect(Conflict, lambda: self._apply_correction(other), f"key reused: {other}")
                return
            applied = self._expect(None, lambda: self._apply_correction(correction), f"retry: {correction}")
            assert applied is False, f"correction {correction.key} applied twice"
            return
        pid = self._pick(data, sorted(self.people), "participant")
        self._correct(MCorrection(f"corr-{self._next()}", pid, available_change, total_change))

    def _correct(self, correction: MCorrection) -> None:
        person = self.people[correction.pid]
        frozen_change = correction.total_change - correction.available_change
        expected: type[DomainError] | None = None
        if correction.available_change == 0 and correction.total_change == 0:
            expected = InvalidInput
        elif correction.available_change < 0 and person.available + correction.available_change < 0:
            expected = InsufficientFunds  # a correction may raise a negative available, not lower it
        elif frozen_change < 0 and person.frozen_corrections + frozen_change < 0:
            expected = InsufficientFunds  # frozen points of accruals in hold are not a correction's
        applied = self._expect(expected, lambda: self._apply_correction(correction), f"{correction}")
        event(f"correction: {expected.__name__ if expected else 'applied'}")
        if applied is None:
            return
        assert applied is True
        person.frozen += frozen_change
        person.frozen_corrections += frozen_change
        person.available += correction.available_change
        self.corrections.append(correction)

    # --- invariants -------------------------------------------------------------------------------------

    @invariant()
    def table_agrees_with_ledger_and_model(self) -> None:
        self._read_new_ledger_entries()
        self._check_orders(sorted(self.dirty_orders))
        self._check_withdrawals(sorted(self.dirty_withdrawals))
        self._check_participants(self._read_profiles())
        self.dirty_orders.clear()
        self.dirty_withdrawals.clear()

    def _read_new_ledger_entries(self) -> None:
        """Ledger entries written since the last check, from the monthly ledger feed (GSI2)."""
        now = self.clock.now
        since = to_iso(self.feed_since)
        for month in months(self.feed_since, now):
            for item in Entity.feed.query(keys.feed_pk(FEED_LEDGER, month), Entity.gsi2sk >= since):
                assert isinstance(item, LedgerEntryItem)
                if (item.pk, item.sk) in self.ledger:
                    continue
                entry = mapping.ledger_entry(item)
                self.ledger[(item.pk, item.sk)] = entry
                self.sums.setdefault(entry.participant_id, LedgerSums()).add(entry)
                accrual_key = (entry.posting_number, entry.participant_id, entry.level)
                if entry.kind == EntryKind.ACCRUAL:
                    self.accrual_entries[accrual_key] += 1
                    assert self.accrual_entries[accrual_key] == 1, f"2. accrued twice: {accrual_key}"
                elif entry.kind == EntryKind.REVERSAL:
                    self.reversed_entries[accrual_key] += entry.debit
        self.feed_since = now

    def _read_profiles(self) -> dict[str, StoredProfile]:
        """Every participant's balances and counters: one batch get of just the checked attributes."""
        wanted = [(keys.participant_pk(pid), keys.PROFILE) for pid in self.people]
        items = ParticipantItem.batch_get(wanted, attributes_to_get=PROFILE_ATTRIBUTES) if wanted else []
        return {item.participant_id: StoredProfile.of(item) for item in items}

    def _check_participants(self, stored: dict[str, StoredProfile]) -> None:
        assert sorted(stored) == sorted(self.people)
        for pid, person in self.people.items():
            profile = stored[pid]
            sums = self.sums.get(pid, LedgerSums())
            have = (profile.frozen, profile.available, profile.reserved, profile.withdrawn)
            # 1. balances are the sums of the ledger entries' deltas
            assert have == (sums.frozen, sums.available, sums.reserved, sums.withdrawn), f"1. {pid}: {have}"
            if profile.balance is not None:
                assert profile.balance == profile.frozen + profile.available, f"1. {pid}: balance"
            # 3. only reversals taken from available may have made it negative
            assert profile.available - sums.available_from_reversals >= 0, f"3. {pid}: {have}"
            assert min(profile.reserved, profile.withdrawn) >= 0, f"3. {pid}: {have}"
            # Frozen is the frozen accruals' remaining points plus what corrections put in, and a
            # correction takes out of frozen only what corrections put in: neither goes below zero.
            in_hold = sum(
                a.points - a.reversed
                for order in self.orders.values()
                for a in order.accruals
                if a.beneficiary == pid and a.state == AccrualState.FROZEN
            )
            assert profile.frozen_corrections == sums.frozen_from_corrections >= 0, f"3. {pid}: {have}"
            assert profile.frozen == in_hold + profile.frozen_corrections >= 0, f"3. {pid}: {have}"
            # 4. reserved = points of open withdrawals
            reserved = sum(p for o, p, s in self.stored_withdrawals.values() if o == pid and s in OPEN)
            assert profile.reserved == reserved, f"4. {pid}: reserved {profile.reserved}, open {reserved}"
            # 6. the independent model
            want = (person.frozen, person.available, person.reserved, person.withdrawn)
            assert have == want, f"6. {pid}: (frozen, available, reserved, withdrawn) {have} != {want}"
            assert profile.accrued_total == person.accrued, f"6. {pid}: accrued_total"
            assert profile.frozen_corrections == person.frozen_corrections, f"6. {pid}: frozen_corrections"
            assert (profile.blocked, profile.sponsor_id) == (person.blocked, person.sponsor), f"6. {pid}"
            assert profile.ancestors == tuple(self._lineage(pid)[:MAX_LEVELS]), f"6. {pid}: chain (R12)"
            mine = [o for o in self.orders.values() if o.buyer == pid and not o.cancelled]
            assert profile.orders_count == len(mine), f"6. {pid}: orders_count"
            assert profile.purchases_sum == sum((o.kept for o in mine), Decimal(0)), f"6. {pid}: purchases"

    def _check_orders(self, numbers: list[str]) -> None:
        """2 and 6 for the postings a step touched: accrual records, their entries, the order."""
        for number in numbers:
            order = self.orders[number]
            refs = [AccrualRef(a.beneficiary, a.level, a.points) for a in order.accruals]
            stored = {
                (a.participant_id, a.level): a for a in self.services.repos.orders.get_accruals(number, refs)
            }
            for accrual in order.accruals:
                record = stored[(accrual.beneficiary, accrual.level)]
                have = (record.points, record.reversed_points, record.state, record.rate, record.release_at)
                want = (accrual.points, accrual.reversed, accrual.state, accrual.rate, accrual.release_at)
                assert have == want, f"6. accrual {number}/{accrual.beneficiary}/{accrual.level}: {have}"
                key = (number, accrual.beneficiary, accrual.level)
                assert self.accrual_entries[key] == 1, (
                    f"2. {key}: {self.accrual_entries[key]} ACCRUAL entries"
                )
                assert self.reversed_entries[key] == record.reversed_points <= record.points, f"2. {key}"
            stored_order = self.services.repos.orders.get_order(number)
            assert stored_order is not None and stored_order.participant_id == order.buyer
            have_order = (
                stored_order.kept_amount,
                stored_order.posting.status,
                list(stored_order.applied_returns),
            )
            assert have_order == (order.kept, order.status, order.returns), f"6. order {number}: {have_order}"

    def _check_withdrawals(self, wids: list[str]) -> None:
        """5 and 6 for the requests a step touched."""
        for wid in wids:
            known = self.withdrawals[wid]
            withdrawal = self.services.repos.withdrawals.get_withdrawal(wid)
            assert withdrawal is not None
            assert withdrawal.points <= known.available_before, f"5. {wid} overspent"
            have = (withdrawal.participant_id, withdrawal.points, withdrawal.status)
            assert have == (known.pid, known.points, known.status), f"6. withdrawal {wid}: {have}"
            self.stored_withdrawals[wid] = have

    def _full_check(self) -> None:
        """At the end of an example: the reconciliation report, and everything again through the store."""
        # An example may end before any invariant ran (right after an initialize rule): check it first,
        # which also reads the ledger entries written so far.
        self.table_agrees_with_ledger_and_model()
        report = self.services.reconciliation.run()
        assert report.clean, f"1. reconciliation drifts: {report.drifts}"
        participants = self.services.repos.participants.get_participants(list(self.people))
        self._check_participants({pid: StoredProfile.of(p) for pid, p in participants.items()})
        for pid in self.people:
            ledger = self.services.repos.ledger.ledger_of(pid)
            seen = sorted(e.entry_id for e in self.ledger.values() if e.participant_id == pid)
            assert sorted(e.entry_id for e in ledger) == seen, f"{pid}: ledger_of vs the ledger feed"
            accrued = Counter((e.posting_number, e.level) for e in ledger if e.kind == EntryKind.ACCRUAL)
            assert all(n == 1 for n in accrued.values()), f"2. {pid} accrued twice: {accrued}"
            records = {
                (a.posting_number, a.level): a.remaining for a in self.services.repos.orders.accruals_of(pid)
            }
            want = {
                (number, a.level): a.points - a.reversed
                for number, order in self.orders.items()
                for a in order.accruals
                if a.beneficiary == pid
            }
            assert records == want, f"6. {pid}: accrual records {records}"
            withdrawals = {
                w.withdrawal_id: w.status for w in self.services.repos.withdrawals.withdrawals_of(pid)
            }
            assert withdrawals == {w: m.status for w, m in self.withdrawals.items() if m.pid == pid}


@pytest.mark.property
def test_ledger_state_machine() -> None:
    with mock_aws():
        # One table name for the run: each example creates the table afresh and deletes it in teardown.
        # (A new name per example would make every model class build a new botocore client: ~150 ms each.)
        bind_table(f"referral-prop-{uuid.uuid4().hex[:12]}")
        run_state_machine_as_test(LedgerMachine, settings=MACHINE_SETTINGS)
