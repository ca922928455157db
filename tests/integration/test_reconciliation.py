"""Reconciliation recomputes balances from the ledger and reports drift."""

from __future__ import annotations

from referral.domain.orders import Attribution
from referral.repository import keys
from referral.repository.models import ParticipantItem
from referral.services import Services

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
