"""Reconciliation recomputes balances from the ledger and reports drift."""

from __future__ import annotations

from referral.clock import to_iso
from referral.domain.ledger import EntryKind
from referral.domain.orders import Attribution
from referral.domain.withdrawals import WithdrawalStatus
from referral.repository import keys
from referral.repository.models import LedgerEntryItem, ParticipantItem, WithdrawalItem
from referral.services import Services
from referral.services.reconciliation import Drift

from tests.support.builders import chain, posting
from tests.support.clock import FakeClock


def test_balances_equal_ledger_sums_after_business_and_drift_is_reported(
    services: Services, clock: FakeClock
) -> None:
    _, sponsor, buyer = chain(services, "1", "2", "3")
    clock.advance(hours=1)
    services.purchases.record_purchase(
        posting(clock.now, "5000", number="X"), buyer.id, Attribution.CUSTOMER_ID
    )
    services.purchases.apply_return("X", "r", "1000")
    clean = services.reconciliation.run()
    assert clean.clean and clean.participants == 3 and clean.entries == 4

    # someone edits a balance behind the ledger's back
    ParticipantItem(keys.participant_pk(sponsor.id), keys.PROFILE).update([ParticipantItem.available.add(7)])

    report = services.reconciliation.run()
    assert [(d.participant_id, d.field, d.stored, d.expected) for d in report.drifts] == [
        ("2", "available", 7, 0)
    ]


def test_reconciliation_ignores_item_types_it_does_not_know(services: Services, table_name: str) -> None:
    from referral.repository.table import low_level_client

    chain(services, "1", "2")
    low_level_client().put_item(
        TableName=table_name,
        Item={"PK": {"S": "X#1"}, "SK": {"S": "X"}, "type": {"S": "defined_elsewhere"}},
    )

    report = services.reconciliation.run()

    assert report.clean and report.participants == 2


def _delivered_and_matured(services: Services, clock: FakeClock) -> str:
    """A sponsor with one delivered purchase of a referral past its hold: 50 points ready to release."""
    sponsor, buyer = chain(services, "1", "2")
    clock.advance(hours=1)
    sold = posting(clock.now, "1000", number="P-1", status="delivered")
    services.purchases.record_purchase(sold, buyer.id, Attribution.CUSTOMER_ID)
    clock.advance(days=31)
    return sponsor.id


def test_a_release_applied_twice_is_reported_though_balances_equal_ledger_sums(
    services: Services, clock: FakeClock
) -> None:
    sponsor_id = _delivered_and_matured(services, clock)
    services.release.release_matured()
    # the same release once more, as a run without the accrual's state condition would have written it
    ParticipantItem(keys.participant_pk(sponsor_id), keys.PROFILE).update(
        [ParticipantItem.frozen.add(-50), ParticipantItem.available.add(50)]
    )
    LedgerEntryItem(
        keys.participant_pk(sponsor_id),
        keys.ledger_sk(to_iso(clock.now), "second-release"),
        entry_id="second-release",
        participant_id=sponsor_id,
        kind=EntryKind.RELEASE.value,
        created_at=to_iso(clock.now),
        d_frozen=-50,
        d_available=50,
        idempotency_key="second-release",
    ).save()

    report = services.reconciliation.run()

    assert [(d.participant_id, d.field, d.stored, d.expected) for d in report.drifts] == [
        (sponsor_id, "frozen_vs_frozen_accruals", -50, 0)
    ]


def test_reserved_points_without_an_open_request_are_reported(services: Services) -> None:
    (participant,) = chain(services, "1")
    services.ledger.correct_balance(
        "a", participant.id, available_change=300, total_change=300, reason="seed", idempotency_key="seed-1"
    )
    withdrawal = services.withdrawals.request(participant.id, 200, "w-1")
    # the request is closed behind the ledger's back: its reservation stays
    WithdrawalItem(keys.withdrawal_pk(withdrawal.withdrawal_id), "WD").update(
        [WithdrawalItem.status.set(WithdrawalStatus.PAID.value)]
    )

    report = services.reconciliation.run()

    assert report.by_participant() == {
        participant.id: [Drift(participant.id, "reserved_vs_open_withdrawals", 200, 0)]
    }


def test_chains_that_differ_from_the_sponsor_links_and_sponsor_cycles_are_reported(
    services: Services,
) -> None:
    chain(services, "1", "2", "3")
    ParticipantItem(keys.participant_pk("3"), keys.PROFILE).update([ParticipantItem.ancestors.set(["2"])])
    assert [
        (d.participant_id, d.field, d.stored, d.expected) for d in services.reconciliation.run().drifts
    ] == [("3", "ancestors", ("2",), ("2", "1"))]

    ParticipantItem(keys.participant_pk("1"), keys.PROFILE).update([ParticipantItem.sponsor_id.set("3")])
    fields = {(d.participant_id, d.field) for d in services.reconciliation.run().drifts}

    assert {("1", "sponsor_cycle"), ("2", "sponsor_cycle"), ("3", "sponsor_cycle")} <= fields
    assert ("1", "ancestors") in fields
