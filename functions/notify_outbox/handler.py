"""Scheduled (EventBridge): deliver whatever the notification outbox still holds (SPEC §4, §8).

Notices are normally sent right after the change that wrote them; this sweep catches the rest (a failed
send waiting for its backoff, a function that stopped in between). Each item is claimed with a
conditional write before it is sent, so running next to other senders never doubles a message.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from referral.clock import utcnow
from referral.config import Secret, Settings
from referral.telegram.config import TelegramSettings
from referral.wiring import Root, bind

if TYPE_CHECKING:  # the domain and the bot's sender are imported when the function is composed
    from referral.services.outbox import DispatchReport, OutboxService
    from referral.telegram.notifications import TelegramNotificationSender

logger = Logger()
tracer = Tracer()
metrics = Metrics()

BATCH = 100
MARGIN_SECONDS = 10


class OutboxSettings(TelegramSettings, Settings):
    table_name: str
    telegram_bot_token: Secret


@dataclass(frozen=True)
class OutboxSweep:
    outbox: OutboxService
    sender: TelegramNotificationSender

    def sweep(self, time_left: Callable[[], float] | None = None) -> DispatchReport:
        from referral.services.outbox import DispatchReport

        total = DispatchReport()
        while time_left is None or time_left() > MARGIN_SECONDS:
            report = self.outbox.dispatch_due(self.sender, limit=BATCH)
            total.add(report)
            if report.sent + report.retried + report.failed + report.skipped < BATCH:
                break
        return total

    def __call__(self, context: LambdaContext) -> dict[str, int]:
        report = self.sweep(time_left=lambda: context.get_remaining_time_in_millis() / 1000)
        metrics.add_metric(name="NotificationsSent", unit=MetricUnit.Count, value=report.sent)
        metrics.add_metric(name="NotificationsRetried", unit=MetricUnit.Count, value=report.retried)
        metrics.add_metric(name="NotificationsFailed", unit=MetricUnit.Count, value=report.failed)
        logger.info("outbox swept", extra=asdict(report))
        return asdict(report)


def compose(settings: OutboxSettings, *, clock: Callable[[], datetime] = utcnow) -> OutboxSweep:
    from referral.services.outbox import OutboxService
    from referral.telegram.bot_api import BotApi
    from referral.telegram.notifications import TelegramNotificationSender

    bind(settings.table_name)
    return OutboxSweep(OutboxService(clock=clock), TelegramNotificationSender(BotApi(settings.bot_config())))


def sweep(
    *, clock: Callable[[], datetime] = utcnow, time_left: Callable[[], float] | None = None
) -> DispatchReport:
    """One sweep with this clock (tests; local runs)."""
    return compose(OutboxSettings.from_env(), clock=clock).sweep(time_left)


root = Root(OutboxSettings.from_env, compose)
root.prepare()


@logger.inject_lambda_context
@metrics.log_metrics
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, int]:
    return root.get()(context)
