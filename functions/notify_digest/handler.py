"""Scheduled (EventBridge, e.g. hourly): send the daily and weekly digests that are due (SPEC §4)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from datetime import datetime
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from referral.clock import utcnow
from referral.repository.table import bind_table_from_env
from referral.telegram.bot_api import BotApi, Pace
from referral.telegram.config import BotConfig
from referral.telegram.digests import DigestReport, DigestSender

logger = Logger()
tracer = Tracer()
metrics = Metrics()


def send_due(
    *,
    clock: Callable[[], datetime] = utcnow,
    pace: Pace | None = None,
    time_left: Callable[[], float] | None = None,
) -> DigestReport:
    bind_table_from_env()
    api = BotApi(BotConfig.from_env(), pace=pace)
    return DigestSender(api, clock=clock).run(time_left=time_left)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, int]:
    report = send_due(time_left=lambda: context.get_remaining_time_in_millis() / 1000)
    metrics.add_metric(name="DigestsSent", unit=MetricUnit.Count, value=report.sent)
    metrics.add_metric(name="DigestsUnreachable", unit=MetricUnit.Count, value=report.unreachable)
    metrics.add_metric(name="DigestsFailed", unit=MetricUnit.Count, value=report.failed)
    logger.info("digests sent", extra=asdict(report))
    return asdict(report)
