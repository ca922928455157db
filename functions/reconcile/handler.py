"""Scheduled (EventBridge, daily): prove the balances right, and finish any unfinished re-parenting first.

A move of a subtree too large for one transaction leaves a marker until its chains and statistics are
finished (normally right away); finishing it here first means a move cut short by a crash or a timeout is
completed within a day even if no other move comes, and the chains checked below are the final ones.
Then every balance is recomputed from the ledger and the records behind it (a whole-table scan: an offline
check). Drift is logged per participant and counted in the ``LedgerDrift`` metric, to alarm on.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from referral.repository.ledger import LedgerRepository
from referral.repository.table import bind_table_from_env
from referral.repository.tree import TreeRepository
from referral.services.reconciliation import ReconciliationService
from referral.services.referral_tree import ReferralTreeService

logger = Logger()
tracer = Tracer()
metrics = Metrics()

REPORTED_PARTICIPANTS = 1000
"""Most participants whose drift is returned and logged one by one (the counts are always exact)."""


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    bind_table_from_env()
    tree = TreeRepository()
    unfinished = tree.tree_state().pending
    ReferralTreeService(tree=tree).finish_pending()
    report = ReconciliationService(LedgerRepository()).run()
    metrics.add_metric(name="LedgerDrift", unit=MetricUnit.Count, value=len(report.drifts))
    by_participant = report.by_participant()
    summary = {
        "participants": report.participants,
        "entries": report.entries,
        "clean": report.clean,
        "drift_count": len(report.drifts),
        "participants_with_drift": len(by_participant),
        "finished_unfinished_move": unfinished,
    }
    drifts = {
        participant_id: [{"field": d.field, "stored": d.stored, "expected": d.expected} for d in found]
        for participant_id, found in list(by_participant.items())[:REPORTED_PARTICIPANTS]
    }
    if report.clean:
        logger.info("balances reconciled", extra=summary)
    else:
        logger.error("ledger drift", extra=summary)
        for participant_id, found in drifts.items():
            logger.error("drift", extra={"participant_id": participant_id, "drifts": found})
    return {**summary, "drifts": drifts}
