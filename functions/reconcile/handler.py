"""Scheduled (EventBridge, daily): prove the balances right, and finish any unfinished re-parenting first.

A move of a subtree too large for one transaction leaves a marker until its chains and statistics are
finished (normally right away); finishing it here first means a move cut short by a crash or a timeout is
completed within a day even if no other move comes, and the chains checked below are the final ones.
Then every balance is recomputed from the ledger and the records behind it (a whole-table scan: an offline
check). Drift is logged per participant and counted in the ``LedgerDrift`` metric, to alarm on.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from referral.config import Settings
from referral.wiring import Root, bind

if TYPE_CHECKING:  # the domain is imported when the function is composed, at its first invocation
    from referral.services import Services

logger = Logger()
tracer = Tracer()
metrics = Metrics()

REPORTED_PARTICIPANTS = 1000
"""Most participants whose drift is returned and logged one by one (the counts are always exact)."""


class ReconcileSettings(Settings):
    table_name: str


@dataclass(frozen=True)
class Reconcile:
    services: Services

    def __call__(self) -> dict[str, Any]:
        unfinished = self.services.repos.tree.tree_state().pending
        self.services.tree.finish_pending()
        report = self.services.reconciliation.run()
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


def compose(settings: ReconcileSettings) -> Reconcile:
    from referral.services import Services

    bind(settings.table_name)
    return Reconcile(Services.build())


root = Root(ReconcileSettings.from_env, compose)
root.prepare()


@logger.inject_lambda_context
@metrics.log_metrics
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return root.get()()
