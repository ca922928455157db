"""Scheduled (EventBridge): sync postings and returns from the Ozon Seller API (SPEC §5, R5–R9)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from referral.config import Settings
from referral.ozon.config import ClientConfig, OzonSettings, SyncConfig
from referral.telegram.config import TelegramSettings
from referral.wiring import Root, bind

if TYPE_CHECKING:  # the domain and the Seller API client are imported when the function is composed
    from referral.ozon.client import OzonClient
    from referral.repository.unit_of_work import CommittedNotices
    from referral.services import Services
    from referral.services.ozon_sync import ClientFactory

logger = Logger()
tracer = Tracer()
metrics = Metrics()

DELIVERY_SECONDS = 60.0

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


class SyncSettings(OzonSettings, TelegramSettings, Settings):
    """``TABLE_NAME``, the ``OZON_*`` client and sync settings; the bot's to deliver the accrual notices."""

    table_name: str


def client_factory(config: ClientConfig) -> ClientFactory:
    from referral.ozon.client import connect

    def build(client_id: str, api_key: str) -> OzonClient:
        return connect(client_id, api_key, config)

    return build


@dataclass(frozen=True)
class OzonSync:
    services: Services
    notices: CommittedNotices
    settings: SyncSettings
    client_config: ClientConfig
    sync_config: SyncConfig

    def __call__(self, context: LambdaContext) -> dict[str, Any]:
        from referral.services.ozon_sync import AUTH_ERROR, OK, OzonSyncService, stream_metrics
        from referral.telegram.delivery import deliver_committed

        self.notices.drain()  # delivered after the call: what this invocation commits
        report = OzonSyncService(
            self.services.purchases,
            client_factory(self.client_config),
            self.sync_config,
            time_left=lambda: context.get_remaining_time_in_millis() / 1000,
        ).run()
        result = report.as_dict()
        for key, name in COUNTS.items():
            metrics.add_metric(name=name, unit=MetricUnit.Count, value=result[key])
        metrics.add_metric(
            name="SyncAuthErrors", unit=MetricUnit.Count, value=int(report.status == AUTH_ERROR)
        )
        # The "sync behind" alarm fires when no run completes for a while (SyncRunsCompleted stays 0).
        metrics.add_metric(name="SyncRunsCompleted", unit=MetricUnit.Count, value=int(report.status == OK))
        for name, value in stream_metrics(report).items():  # one per stream: each has its own alarm
            metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)
        logger.info("ozon sync finished", extra=result)
        deliver_committed(
            self.notices,
            outbox=self.services.outbox,
            telegram=self.settings,
            seconds=DELIVERY_SECONDS,
            remaining_seconds=context.get_remaining_time_in_millis() / 1000,
        )
        return result


def compose(settings: SyncSettings) -> OzonSync:
    from referral.repository.unit_of_work import CommittedNotices
    from referral.services import Services

    bind(settings.table_name)
    notices = CommittedNotices()
    return OzonSync(
        Services.build(notices=notices), notices, settings, settings.client_config(), settings.sync_config()
    )


root = Root(SyncSettings.from_env, compose)
root.prepare()
configuration = services = root
"""The former names of what is built once per container: ``cache_clear()`` on either forgets it."""


@logger.inject_lambda_context
@metrics.log_metrics
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return root.get()(context)
