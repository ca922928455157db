"""The scheduled reconcile function: finishes an unfinished move, reconciles, reports drift and counts it."""

from __future__ import annotations

import json
from typing import Any

import pytest
from referral.domain.orders import Attribution
from referral.repository import keys
from referral.repository.models import ParticipantItem
from referral.services import Services

from tests.integration.test_tree_races import BELOW, expected_chain, interrupted_move
from tests.support.builders import chain, posting
from tests.support.clock import FakeClock
from tests.support.lambda_context import lambda_context

SCHEDULED = {"source": "aws.events", "detail-type": "Scheduled Event"}


@pytest.fixture
def reconcile(table_name: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    from functions.reconcile import handler as reconcile_function

    monkeypatch.setenv("TABLE_NAME", table_name)
    return reconcile_function.handler


def ledger_drift_metric(output: str) -> list[float]:
    """Values of the ``LedgerDrift`` metric in the Powertools (EMF) lines the function printed."""
    values = []
    for line in output.splitlines():
        if line.startswith("{") and '"_aws"' in line:
            document = json.loads(line)
            if "LedgerDrift" in document:
                value = document["LedgerDrift"]  # a list of values, or one
                values.extend(value if isinstance(value, list) else [value])
    return values


def test_the_function_reports_a_clean_ledger(
    services: Services, clock: FakeClock, reconcile: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    _, buyer = chain(services, "1", "2")
    clock.advance(hours=1)
    services.purchases.record_purchase(posting(clock.now, "1000"), buyer.id, Attribution.CUSTOMER_ID)

    result = reconcile(SCHEDULED, lambda_context())

    assert (result["clean"], result["participants"], result["drift_count"], result["drifts"]) == (
        True,
        2,
        0,
        {},
    )
    assert ledger_drift_metric(capsys.readouterr().out) == [0.0]


def test_the_function_reports_drift_per_participant_and_counts_it(
    services: Services,
    reconcile: Any,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    chain(services, "1", "2")
    ParticipantItem(keys.participant_pk("2"), keys.PROFILE).update([ParticipantItem.available.add(5)])

    result = reconcile(SCHEDULED, lambda_context())

    assert (result["clean"], result["drift_count"], result["participants_with_drift"]) == (False, 1, 1)
    assert result["drifts"] == {"2": [{"field": "available", "stored": 5, "expected": 0}]}
    assert ledger_drift_metric(capsys.readouterr().out) == [1.0]
    logged = [r for r in caplog.records if r.getMessage() == "drift"]
    assert [(r.levelname, getattr(r, "participant_id", None)) for r in logged] == [("ERROR", "2")]


def test_the_function_finishes_a_move_cut_short_before_reconciling(
    services: Services, clock: FakeClock, reconcile: Any
) -> None:
    interrupted_move(services, clock, "set_chain", after=2)
    assert not services.reconciliation.run().clean

    result = reconcile(SCHEDULED, lambda_context())

    assert (result["finished_unfinished_move"], result["clean"]) == (True, True)
    assert all(services.participants.get(p).ancestors == expected_chain(p) for p in BELOW)
    assert not services.repos.tree.tree_state().pending
