"""API Gateway HTTP API (payload v2): the operators' admin API (SPEC §7); routes in ``referral.admin``."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from referral.admin import context as admin_context
from referral.admin import webapp
from referral.admin.app import PREFIX, app, resolve
from referral.admin.context import AdminContext, AdminSettings
from referral.config import Settings
from referral.telegram.delivery import RESERVED_SECONDS, deliver_now
from referral.wiring import bind, in_lambda

logger = Logger()
tracer = Tracer()
metrics = Metrics()

DELIVERY_SECONDS = 2.0

app.include_router(webapp.router(Path(__file__).with_name("web")), prefix=PREFIX)


@dataclass(frozen=True)
class AdminApi:
    """Answers a request, then delivers the notices its change committed (within ``DELIVERY_SECONDS``)."""

    context: AdminContext

    def __call__(self, event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        self.context.notices.drain()  # delivered after the call: what this invocation commits
        metrics.add_metric(name="AdminRequests", unit=MetricUnit.Count, value=1)
        response = resolve(event, context)
        committed = self.context.notices.drain()
        if committed:  # the settings are good: a request that changed something went through them
            left = context.get_remaining_time_in_millis() / 1000 - RESERVED_SECONDS
            deliver_now(
                committed,
                outbox=self.context.services.outbox,
                telegram=self.context.settings,
                seconds=min(DELIVERY_SECONDS, left),
            )
        return response

    def rollup(self) -> dict[str, list[str]]:
        months = self.context.statistics.rollup()
        metrics.add_metric(name="RollupMonths", unit=MetricUnit.Count, value=len(months))
        return {"months": months}


class RollupSettings(Settings):
    """The scheduled rollup (``handler.rollup``) runs with the table alone."""

    table_name: str


def compose() -> AdminApi:
    """The context the routes use, built from the validated settings and installed for them."""
    if os.environ.get("_HANDLER", "").endswith(".rollup"):  # Lambda names the entry point it will call
        bind(RollupSettings.from_env().table_name)
        return AdminApi(admin_context.current())
    return AdminApi(admin_context.install(AdminContext(given_settings=AdminSettings.from_env())))


api = compose() if in_lambda() else None
"""Built at import in a Lambda container (a bad setting fails the init); elsewhere the routes' current
context is used, which tests and local runs install or reset."""


def current() -> AdminApi:
    return api or AdminApi(admin_context.current())


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@metrics.log_metrics
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return current()(event, context)


@logger.inject_lambda_context
@metrics.log_metrics
@tracer.capture_lambda_handler
def rollup(event: dict[str, Any], context: LambdaContext) -> dict[str, list[str]]:
    """Scheduled (EventBridge): recompute the dashboard's recent monthly rollups."""
    return current().rollup()
