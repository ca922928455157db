"""Scheduled (EventBridge): release matured accruals from frozen to available (SPEC §6, R7)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from referral.repository.table import bind_table_from_env
from referral.services.release import ReleaseService
from referral.telegram.delivery import delivers_notices

logger = Logger()
tracer = Tracer()
metrics = Metrics()


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
@delivers_notices(seconds=60)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, int]:
    bind_table_from_env()
    report = ReleaseService().release_matured()
    metrics.add_metric(name="AccrualsReleased", unit=MetricUnit.Count, value=report.released)
    metrics.add_metric(name="PointsReleased", unit=MetricUnit.Count, value=report.points)
    metrics.add_metric(name="ReleaseConflicts", unit=MetricUnit.Count, value=report.conflicts)
    logger.info("released matured accruals", extra=asdict(report))
    return asdict(report)
