"""Scheduled (EventBridge): sync postings and returns from the Ozon Seller API (SPEC §5, R5–R9)."""

from __future__ import annotations

from functools import cache
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from referral.ozon.client import OzonClient, connect
from referral.ozon.config import ClientConfig, SyncConfig
from referral.repository.table import bind_table_from_env
from referral.services import Services
from referral.services.ozon_sync import AUTH_ERROR, OK, ClientFactory, OzonSyncService, stream_metrics
from referral.telegram.delivery import delivers_notices

logger = Logger()
tracer = Tracer()
metrics = Metrics()

COUNTS = {
    "seen": "PostingsSeen",
    "new": "PostingsNew",
    "unchanged": "PostingsUnchanged",
    "attributed": "PostingsAttributed",
    "accrued": "PointsAccrued",
    "reversed": "PointsReversed",
    "skipped": "RecordsSkipped",
    "returns_applied": "ReturnsApplied",
    "pages": "PagesApplied",
}


@cache
def configuration() -> tuple[ClientConfig, SyncConfig]:
    """Read once per container (tests clear the cache to change it)."""
    return ClientConfig.from_env(), SyncConfig.from_env()


@cache
def services() -> Services:
    """Built once per container: warm invocations reuse connections and the settings cache."""
    return Services.build()


def client_factory(config: ClientConfig) -> ClientFactory:
    def build(client_id: str, api_key: str) -> OzonClient:
        return connect(client_id, api_key, config)

    return build


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
@delivers_notices(seconds=60)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    bind_table_from_env()
    client_config, sync_config = configuration()
    report = OzonSyncService(
        services().purchases,
        client_factory(client_config),
        sync_config,
        time_left=lambda: context.get_remaining_time_in_millis() / 1000,
    ).run()
    result = report.as_dict()
    for key, name in COUNTS.items():
        metrics.add_metric(name=name, unit=MetricUnit.Count, value=result[key])
    metrics.add_metric(name="SyncAuthErrors", unit=MetricUnit.Count, value=int(report.status == AUTH_ERROR))
    # The "sync behind" alarm fires when no run completes for a while (SyncRunsCompleted stays 0).
    metrics.add_metric(name="SyncRunsCompleted", unit=MetricUnit.Count, value=int(report.status == OK))
    for name, value in stream_metrics(report).items():  # one per stream: each has its own alarm
        metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)
    logger.info("ozon sync finished", extra=result)
    return result
