"""API Gateway HTTP API (payload v2): the operators' admin API (SPEC §7); routes in ``referral.admin``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from referral.admin import webapp
from referral.admin.app import PREFIX, app, resolve
from referral.telegram.delivery import delivers_notices

logger = Logger()
tracer = Tracer()
metrics = Metrics()

app.include_router(webapp.router(Path(__file__).with_name("web")), prefix=PREFIX)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@tracer.capture_lambda_handler
@metrics.log_metrics
@delivers_notices(seconds=2)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    metrics.add_metric(name="AdminRequests", unit=MetricUnit.Count, value=1)
    return resolve(event, context)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def rollup(event: dict[str, Any], context: LambdaContext) -> dict[str, list[str]]:
    """Scheduled (EventBridge): recompute the dashboard's recent monthly rollups."""
    from referral.admin import context as admin_context

    months = admin_context.current().statistics.rollup()
    metrics.add_metric(name="RollupMonths", unit=MetricUnit.Count, value=len(months))
    return {"months": months}
