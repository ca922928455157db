"""Reconciliation: recompute every balance from the ledger and the records behind it, and report any drift.

Balances on participants are a cache of the ledger. This whole-table check (a scan: run it offline, not
on a hot path) proves the cache right, and checks each balance part against the records that back it:

* every part (frozen, available, reserved, withdrawn) equals the sum of the participant's ledger deltas;
* frozen equals the remaining points of the participant's frozen accruals plus what operators'
  corrections put into frozen (``frozen_corrections``, itself the sum of the corrections' frozen deltas);
  a release applied twice, or a correction that took points an accrual later released, shows up here
  even though the ledger sums agree with the balances;
* reserved equals the points of the participant's open withdrawal requests;
* accrued points (accruals minus reversals in the ledger) equal what the accrual records still hold;
* the stored ancestor chain equals the one the sponsor links give, and no sponsor link closes a cycle.

Every drift names the participant, the check, the stored value and the expected one.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from referral.domain.ledger import BalanceDelta, Balances, EntryKind
from referral.domain.orders import AccrualState
from referral.domain.settings import MAX_LEVELS
from referral.domain.withdrawals import OPEN_STATUSES, WithdrawalStatus
from referral.repository import mapping
from referral.repository.ledger import LedgerRepository
from referral.repository.models import AccrualItem, LedgerEntryItem, ParticipantItem, WithdrawalItem

Value = int | tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Drift:
    participant_id: str
    field: str
    stored: Value
    expected: Value


@dataclass
class ReconciliationReport:
    participants: int = 0
    entries: int = 0
    drifts: list[Drift] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not self.drifts

    def by_participant(self) -> dict[str, list[Drift]]:
        found: dict[str, list[Drift]] = defaultdict(list)
        for drift in self.drifts:
            found[drift.participant_id].append(drift)
        return dict(found)


class ReconciliationService:
    def __init__(self, ledger: LedgerRepository | None = None) -> None:
        self.ledger = ledger or LedgerRepository()

    def run(self) -> ReconciliationReport:
        stored: dict[str, ParticipantItem] = {}
        sums: dict[str, BalanceDelta] = defaultdict(BalanceDelta)
        accrued: dict[str, int] = defaultdict(int)
        corrected_frozen: dict[str, int] = defaultdict(int)
        open_reserved: dict[str, int] = defaultdict(int)
        accrual_remaining: dict[str, int] = defaultdict(int)
        in_hold: dict[str, int] = defaultdict(int)
        report = ReconciliationReport()
        for item in self.ledger.scan_all(ParticipantItem, LedgerEntryItem, WithdrawalItem, AccrualItem):
            if isinstance(item, ParticipantItem):
                stored[item.participant_id] = item
            elif isinstance(item, LedgerEntryItem):
                entry = mapping.ledger_entry(item)
                sums[entry.participant_id] = sums[entry.participant_id] + entry.delta
                if entry.kind in (EntryKind.ACCRUAL, EntryKind.REVERSAL):
                    accrued[entry.participant_id] += entry.delta.total_change
                elif entry.kind == EntryKind.CORRECTION:
                    corrected_frozen[entry.participant_id] += entry.delta.frozen
                report.entries += 1
            elif isinstance(item, WithdrawalItem) and WithdrawalStatus(item.status) in OPEN_STATUSES:
                open_reserved[item.participant_id] += item.points
            elif isinstance(item, AccrualItem):
                remaining = item.points - item.reversed_points
                accrual_remaining[item.participant_id] += remaining
                if item.state == AccrualState.FROZEN.value:
                    in_hold[item.participant_id] += remaining
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
                "frozen_corrections": (
                    profile.frozen_corrections if profile else 0,
                    corrected_frozen[participant_id],
                ),
                "frozen_vs_frozen_accruals": (
                    have.frozen,
                    in_hold[participant_id] + corrected_frozen[participant_id],
                ),
                "reserved_vs_open_withdrawals": (have.reserved, open_reserved[participant_id]),
                "accrued_vs_accrual_records": (accrued[participant_id], accrual_remaining[participant_id]),
            }
            for name, (stored_value, expected_value) in checks.items():
                if stored_value != expected_value:
                    report.drifts.append(Drift(participant_id, name, stored_value, expected_value))
        report.drifts.extend(_tree_drifts(stored))
        return report


def _tree_drifts(stored: dict[str, ParticipantItem]) -> list[Drift]:
    """Chains that differ from what the sponsor links give, and sponsor links that close a cycle."""
    sponsor_of: dict[str, str | None] = {pid: item.sponsor_id for pid, item in stored.items()}
    drifts = []
    for participant_id in sorted(_cycle_members(sponsor_of)):
        sponsor = sponsor_of[participant_id]
        drifts.append(Drift(participant_id, "sponsor_cycle", (sponsor,) if sponsor else (), ()))
    for participant_id, item in sorted(stored.items()):
        chain: list[str] = []
        sponsor = sponsor_of[participant_id]
        while sponsor is not None and len(chain) < MAX_LEVELS and sponsor not in chain:
            chain.append(sponsor)
            sponsor = sponsor_of.get(sponsor)
        have = tuple(item.ancestors or ())
        if have != tuple(chain):
            drifts.append(Drift(participant_id, "ancestors", have, tuple(chain)))
    return drifts


def _cycle_members(sponsor_of: dict[str, str | None]) -> set[str]:
    """Participants whose sponsor links lead back to themselves (each link followed once: linear time)."""
    state: dict[str, str] = {}  # "path" while being walked, then "done"
    members: set[str] = set()
    for start in sponsor_of:
        path: list[str] = []
        node: str | None = start
        while node is not None and node in sponsor_of and node not in state:
            state[node] = "path"
            path.append(node)
            node = sponsor_of[node]
        if node is not None and state.get(node) == "path":
            members.update(path[path.index(node) :])
        for walked in path:
            state[walked] = "done"
    return members
