"""Reconciliation: recompute every balance from the ledger and report any drift.

Balances on participants are a cache of the ledger. This whole-table check (a scan: run it offline, not
on a hot path) proves the cache right, and also checks reservations against open withdrawals and each
accrual's remaining points against its ledger entries.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from referral.domain.ledger import BalanceDelta, Balances, EntryKind
from referral.domain.withdrawals import OPEN_STATUSES, WithdrawalStatus
from referral.repository import mapping
from referral.repository.models import AccrualItem, LedgerEntryItem, ParticipantItem, WithdrawalItem
from referral.repository.store import Store


@dataclass(frozen=True, slots=True)
class Drift:
    participant_id: str
    field: str
    stored: int
    expected: int


@dataclass
class ReconciliationReport:
    participants: int = 0
    entries: int = 0
    drifts: list[Drift] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not self.drifts


class ReconciliationService:
    def __init__(self, store: Store | None = None) -> None:
        self.store = store or Store()

    def run(self) -> ReconciliationReport:
        stored: dict[str, ParticipantItem] = {}
        sums: dict[str, BalanceDelta] = defaultdict(BalanceDelta)
        accrued: dict[str, int] = defaultdict(int)
        open_reserved: dict[str, int] = defaultdict(int)
        accrual_remaining: dict[str, int] = defaultdict(int)
        report = ReconciliationReport()
        for item in self.store.scan_all(ParticipantItem, LedgerEntryItem, WithdrawalItem, AccrualItem):
            if isinstance(item, ParticipantItem):
                stored[item.participant_id] = item
            elif isinstance(item, LedgerEntryItem):
                entry = mapping.ledger_entry(item)
                sums[entry.participant_id] = sums[entry.participant_id] + entry.delta
                if entry.kind in (EntryKind.ACCRUAL, EntryKind.REVERSAL):
                    accrued[entry.participant_id] += entry.delta.total_change
                report.entries += 1
            elif isinstance(item, WithdrawalItem) and WithdrawalStatus(item.status) in OPEN_STATUSES:
                open_reserved[item.participant_id] += item.points
            elif isinstance(item, AccrualItem):
                accrual_remaining[item.participant_id] += item.points - item.reversed_points
        report.participants = len(stored)
        for participant_id in sorted(set(stored) | set(sums)):
            profile = stored.get(participant_id)
            have = (
                Balances(profile.frozen, profile.available, profile.reserved, profile.withdrawn)
                if profile
                else Balances()
            )
            expected = sums[participant_id]
            checks = {
                "frozen": (have.frozen, expected.frozen),
                "available": (have.available, expected.available),
                "reserved": (have.reserved, expected.reserved),
                "withdrawn": (have.withdrawn, expected.withdrawn),
                "accrued_total": (profile.accrued_total if profile else 0, accrued[participant_id]),
                "reserved_vs_open_withdrawals": (have.reserved, open_reserved[participant_id]),
                "accrued_vs_accrual_records": (accrued[participant_id], accrual_remaining[participant_id]),
            }
            for name, (stored_value, expected_value) in checks.items():
                if stored_value != expected_value:
                    report.drifts.append(Drift(participant_id, name, stored_value, expected_value))
        return report
