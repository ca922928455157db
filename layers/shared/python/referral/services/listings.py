"""What the operators' API lists: participants, referrals by level, ledgers, withdrawals, the journal.

Routes translate HTTP to the filters of ``referral.read`` and back; the read package holds the rules of
each listing (which index or feed serves it, what is filtered after reading) and returns read models.
Here the listings get the service's clock. A listing returns its items and an opaque position (``None``
at the end) that the API seals into a cursor.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from referral.clock import utcnow
from referral.read import exports, feeds, network, participants, people, withdrawals
from referral.read.exports import Table
from referral.read.feeds import ActionFilter, LedgerFilter, Page
from referral.read.network import Card
from referral.read.participants import ParticipantFilter
from referral.read.people import People
from referral.read.views import AuditView, LedgerEntryView, ParticipantView, WithdrawalView
from referral.read.withdrawals import WithdrawalDetail, WithdrawalFilter


class ListingService:
    def __init__(self, *, clock: Callable[[], datetime] = utcnow) -> None:
        self.clock = clock

    # --- participants ---------------------------------------------------------------------------------

    @staticmethod
    def profile(participant_id: str) -> ParticipantView:
        return network.profile(participant_id)

    @staticmethod
    def participants(
        sort: str,
        descending: bool,
        limit: int,
        flt: ParticipantFilter,
        start: Any,
        *,
        ozon_id: str | None = None,
    ) -> Page[ParticipantView]:
        """A page of the list; an Ozon ID narrows it to that ID's owner (one GetItem)."""
        return participants.participants_page(sort, descending, limit, flt, start, ozon_id=ozon_id)

    @staticmethod
    def card(participant_id: str) -> Card:
        return network.card(participant_id)

    @staticmethod
    def referrals(root: str, level: int, limit: int, state: Any) -> Page[ParticipantView]:
        return network.referrals(root, level, limit, state)

    # --- ledgers -------------------------------------------------------------------------------------

    @staticmethod
    def participant_ledger(
        participant_id: str, flt: LedgerFilter, limit: int, start: Any
    ) -> Page[LedgerEntryView]:
        """A participant's ledger, newest first (an unknown participant is a 404 on the first page)."""
        if start is None:
            network.profile(participant_id)
        return feeds.participant_ledger(participant_id, flt, limit, start)

    def ledger(self, flt: LedgerFilter, limit: int, start: Any) -> Page[LedgerEntryView]:
        return feeds.ledger(flt, limit, start, self.clock())

    # --- withdrawals ---------------------------------------------------------------------------------

    def withdrawals(
        self, flt: WithdrawalFilter, sort: str, descending: bool, limit: int, start: Any
    ) -> Page[WithdrawalView]:
        return withdrawals.withdrawals(flt, sort, descending, limit, start, self.clock())

    @staticmethod
    def open_withdrawal_counts() -> dict[str, int]:
        """Requests waiting per open status (the badge): count queries on the sparse queue index."""
        return withdrawals.open_withdrawal_counts()

    @staticmethod
    def withdrawal(withdrawal_id: str) -> WithdrawalDetail:
        return withdrawals.withdrawal(withdrawal_id)

    @staticmethod
    def find_withdrawal(text: str) -> WithdrawalDetail:
        return withdrawals.find(text)

    def payouts(self, since: str, until: str, statuses: list[str], limit: int, start: Any) -> Table:
        """The payouts export for accounting: requests of a period with their payouts."""
        return exports.payouts(since, until, statuses, limit, start, self.clock())

    # --- the journal ---------------------------------------------------------------------------------

    def actions(self, flt: ActionFilter, limit: int, start: Any) -> Page[AuditView]:
        return feeds.actions(flt, limit, start, self.clock())

    @staticmethod
    def action(audit_id: str) -> AuditView:
        return feeds.action(audit_id)

    # --- names of the people a page shows (batched reads, see referral.read.people) -----------------

    @staticmethod
    def names_for_ledger(entries: list[LedgerEntryView]) -> People:
        return people.for_ledger(entries)

    @staticmethod
    def names_for_withdrawals(requests: list[WithdrawalView]) -> People:
        return people.for_withdrawals(requests)

    @staticmethod
    def names_for_actions(records: list[AuditView]) -> People:
        return people.for_actions(records)

    @staticmethod
    def names_of(participant_ids: list[str | None], operator_ids: list[str | None]) -> People:
        return people.resolve(participant_ids, operator_ids)
