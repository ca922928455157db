"""Scheduled (EventBridge, e.g. hourly): send the daily and weekly digests that are due (SPEC §4)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from datetime import datetime
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from referral.clock import utcnow
from referral.config import Secret, Settings
from referral.telegram.config import TelegramSettings
from referral.wiring import Root, bind

if TYPE_CHECKING:  # the bot's client and the digests are imported when the function is composed
    from referral.telegram.bot_api import Pace
    from referral.telegram.digests import DigestReport, DigestSender

logger = Logger()
tracer = Tracer()
metrics = Metrics()


class DigestSettings(TelegramSettings, Settings):
    table_name: str
    telegram_bot_token: Secret


class Digests:
    def __init__(self, sender: DigestSender) -> None:
        self.sender = sender

    def __call__(self, context: LambdaContext) -> dict[str, int]:
        report = self.sender.run(time_left=lambda: context.get_remaining_time_in_millis() / 1000)
        metrics.add_metric(name="DigestsSent", unit=MetricUnit.Count, value=report.sent)
        metrics.add_metric(name="DigestsUnreachable", unit=MetricUnit.Count, value=report.unreachable)
        metrics.add_metric(name="DigestsFailed", unit=MetricUnit.Count, value=report.failed)
        logger.info("digests sent", extra=asdict(report))
        return asdict(report)


def compose(
    settings: DigestSettings, *, clock: Callable[[], datetime] = utcnow, pace: Pace | None = None
) -> Digests:
    from referral.telegram.bot_api import BotApi
    from referral.telegram.digests import DigestSender

    bind(settings.table_name)
    return Digests(DigestSender(BotApi(settings.bot_config(), pace=pace), clock=clock))


def send_due(
    *,
    clock: Callable[[], datetime] = utcnow,
    pace: Pace | None = None,
    time_left: Callable[[], float] | None = None,
) -> DigestReport:
    """One run with this clock and pace (tests; local runs)."""
    return compose(DigestSettings.from_env(), clock=clock, pace=pace).sender.run(time_left=time_left)


root = Root(DigestSettings.from_env, compose)
root.prepare()


@logger.inject_lambda_context
@metrics.log_metrics
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, int]:
    return root.get()(context)
