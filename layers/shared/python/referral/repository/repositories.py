"""The write side's repositories, one per aggregate, built together over one ``CommittedNotices``."""

from __future__ import annotations

from dataclasses import dataclass

from referral.repository.administration import AdministrationRepository
from referral.repository.claims import ClaimRepository
from referral.repository.ledger import LedgerRepository
from referral.repository.links import LinkRepository
from referral.repository.orders import OrderRepository
from referral.repository.outbox import OutboxRepository
from referral.repository.participants import ParticipantRepository
from referral.repository.risk_flags import RiskFlagRepository
from referral.repository.tree import TreeRepository
from referral.repository.unit_of_work import CommittedNotices
from referral.repository.withdrawals import WithdrawalRepository


@dataclass(frozen=True)
class Repositories:
    participants: ParticipantRepository
    links: LinkRepository
    tree: TreeRepository
    orders: OrderRepository
    ledger: LedgerRepository
    withdrawals: WithdrawalRepository
    administration: AdministrationRepository
    outbox: OutboxRepository
    risks: RiskFlagRepository
    claims: ClaimRepository

    @classmethod
    def build(cls, notices: CommittedNotices | None = None) -> Repositories:
        """Every unit of work of every repository records the notices it commits into ``notices``."""
        return cls(
            participants=ParticipantRepository(notices),
            links=LinkRepository(notices),
            tree=TreeRepository(notices),
            orders=OrderRepository(notices),
            ledger=LedgerRepository(notices),
            withdrawals=WithdrawalRepository(notices),
            administration=AdministrationRepository(notices),
            outbox=OutboxRepository(notices),
            risks=RiskFlagRepository(notices),
            claims=ClaimRepository(notices),
        )
