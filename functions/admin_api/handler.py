"""API Gateway HTTP API (payload v2): the operators' admin API (SPEC §7); routes in ``referral.admin``."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from referral.admin.config import AdminSettings
from referral.config import Settings
from referral.wiring import bind, in_lambda

if TYPE_CHECKING:  # the routes and the domain are imported when the function is composed
    from referral.admin.context import AdminContext

logger = Logger()
tracer = Tracer()
metrics = Metrics()

DELIVERY_SECONDS = 2.0
WEB = Path(__file__).with_name("web")


@dataclass(frozen=True)
class AdminApi:
    """Answers a request, then delivers the notices its change committed (within ``DELIVERY_SECONDS``)."""

    context: AdminContext

    def __call__(self, event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        from referral.admin.app import resolve
        from referral.telegram.delivery import RESERVED_SECONDS, deliver_now

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


def read_settings() -> AdminSettings | RollupSettings:
    """The entry point's settings: Lambda names the one it will call (``_HANDLER``)."""
    if os.environ.get("_HANDLER", "").endswith(".rollup"):
        return RollupSettings.from_env()
    return AdminSettings.from_env()


settings = read_settings() if in_lambda() else None
"""Read and validated at init in a Lambda container (a bad setting fails the init); elsewhere the routes'
current context is used, which tests and local runs install or reset."""


@cache
def composed() -> AdminApi:
    """The context the routes use, built from the validated settings and installed for them (once)."""
    from referral.admin import context as admin_context

    given = settings if settings is not None else read_settings()
    if isinstance(given, RollupSettings):
        bind(given.table_name)
        return AdminApi(admin_context.current())
    return AdminApi(admin_context.install(admin_context.AdminContext(given_settings=given)))


def current() -> AdminApi:
    from referral.admin import context as admin_context
    from referral.admin.app import with_web_app

    with_web_app(WEB)
    return composed() if settings is not None else AdminApi(admin_context.current())


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
