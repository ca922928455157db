"""Use cases of the referral program, one service per domain concept, each given the repositories of the
aggregates it reads and writes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from referral.clock import utcnow
from referral.domain.payout_details import PayoutFingerprinter
from referral.repository.conversations import DialogRepository
from referral.repository.repositories import Repositories
from referral.repository.unit_of_work import CommittedNotices
from referral.services.claims import ClaimService
from referral.services.conversations import DialogService
from referral.services.ledger import LedgerService
from referral.services.links import LinkService
from referral.services.outbox import OutboxService
from referral.services.participants import ParticipantService
from referral.services.purchases import PurchaseService
from referral.services.reconciliation import ReconciliationService
from referral.services.referral_tree import ReferralTreeService
from referral.services.release import ReleaseService
from referral.services.risks import RiskService
from referral.services.settings import SettingsService
from referral.services.withdrawals import WithdrawalService


@dataclass(frozen=True)
class Services:
    repos: Repositories
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
    risks: RiskService
    dialog: DialogService
    claims: ClaimService

    @classmethod
    def build(
        cls,
        *,
        clock: Callable[[], datetime] = utcnow,
        settings_max_age: int | None = None,
        notices: CommittedNotices | None = None,
        web_app_url: str | None = None,
        operators_chat_id: int | None = None,
        payout_fingerprints: PayoutFingerprinter | None = None,
    ) -> Services:
        """``notices`` collects the ids of the notices the services commit, for the caller to deliver;
        ``web_app_url`` is where the notes posted into the operators' topics link to (none: no link), in
        ``operators_chat_id`` (none: no notes); ``payout_fingerprints`` fingerprints payout details for
        the shared payout signal (none: that signal is off)."""
        repos = Repositories.build(notices)
        settings = SettingsService(repos.administration, max_age=settings_max_age, clock=clock)
        risks = RiskService(
            repos.risks, repos.participants, settings, clock=clock, fingerprints=payout_fingerprints
        )
        dialog = DialogService(
            repos.participants,
            DialogRepository(notices),
            repos.administration,
            repos.outbox,
            web_app_url=web_app_url,
            operators_chat_id=operators_chat_id,
            clock=clock,
        )
        purchases = PurchaseService(repos.participants, repos.orders, settings, clock=clock, risks=risks)
        return cls(
            repos=repos,
            settings=settings,
            participants=ParticipantService(
                repos.participants, repos.links, settings, clock=clock, risks=risks
            ),
            links=LinkService(repos.participants, repos.links, clock=clock),
            tree=ReferralTreeService(repos.participants, repos.tree, clock=clock),
            purchases=purchases,
            release=ReleaseService(repos.orders, clock=clock),
            withdrawals=WithdrawalService(
                repos.participants,
                repos.withdrawals,
                settings,
                clock=clock,
                risks=risks,
                announce=dialog.status_notices,
            ),
            ledger=LedgerService(repos.ledger, clock=clock),
            outbox=OutboxService(repos.outbox, clock=clock),
            reconciliation=ReconciliationService(repos.ledger),
            risks=risks,
            dialog=dialog,
            claims=_claims(repos, purchases, settings, risks, clock),
        )


def _claims(
    repos: Repositories,
    purchases: PurchaseService,
    settings: SettingsService,
    risks: RiskService,
    clock: Callable[[], datetime],
) -> ClaimService:
    """Claims accrue as purchases do, and ask the risk flags whether a claimant is flagged."""
    return ClaimService(
        repos.participants,
        repos.orders,
        repos.claims,
        repos.ledger,
        purchases,
        settings,
        clock=clock,
        flagged=risks,
    )
