"""Use cases of the referral program, one service per domain concept, wired over one store."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from referral.clock import utcnow
from referral.repository.store import Store
from referral.repository.unit_of_work import CommittedNotices
from referral.services.ledger import LedgerService
from referral.services.links import LinkService
from referral.services.outbox import OutboxService
from referral.services.participants import ParticipantService
from referral.services.purchases import PurchaseService
from referral.services.reconciliation import ReconciliationService
from referral.services.referral_tree import ReferralTreeService
from referral.services.release import ReleaseService
from referral.services.settings import SettingsService
from referral.services.withdrawals import WithdrawalService


@dataclass(frozen=True)
class Services:
    store: Store
    settings: SettingsService
    participants: ParticipantService
    links: LinkService
    tree: ReferralTreeService
    purchases: PurchaseService
    release: ReleaseService
    withdrawals: WithdrawalService
    ledger: LedgerService
    outbox: OutboxService
    reconciliation: ReconciliationService

    @classmethod
    def build(
        cls,
        *,
        clock: Callable[[], datetime] = utcnow,
        settings_max_age: int | None = None,
        notices: CommittedNotices | None = None,
    ) -> Services:
        """``notices`` collects the ids of the notices the services commit, for the caller to deliver."""
        store = Store(notices)
        settings = SettingsService(store, max_age=settings_max_age, clock=clock)
        return cls(
            store=store,
            settings=settings,
            participants=ParticipantService(store, settings, clock=clock),
            links=LinkService(store, clock=clock),
            tree=ReferralTreeService(store, clock=clock),
            purchases=PurchaseService(store, settings, clock=clock),
            release=ReleaseService(store, clock=clock),
            withdrawals=WithdrawalService(store, settings, clock=clock),
            ledger=LedgerService(store, clock=clock),
            outbox=OutboxService(store, clock=clock),
            reconciliation=ReconciliationService(store),
        )
