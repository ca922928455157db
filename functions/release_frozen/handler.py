"""Scheduled (EventBridge): release matured accruals from frozen to available (SPEC §6, R7)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from referral.config import Settings
from referral.telegram.config import TelegramSettings
from referral.wiring import Root, bind

if TYPE_CHECKING:  # the domain is imported when the function is composed, at its first invocation
    from referral.repository.unit_of_work import CommittedNotices
    from referral.services import Services

logger = Logger()
tracer = Tracer()
metrics = Metrics()

DELIVERY_SECONDS = 60.0


class ReleaseSettings(TelegramSettings, Settings):
    """``TABLE_NAME``; the bot's settings to deliver the released notices (without a token: the sweep)."""

    table_name: str


@dataclass(frozen=True)
class ReleaseFrozen:
    services: Services
    notices: CommittedNotices
    settings: ReleaseSettings

    def __call__(self, context: LambdaContext) -> dict[str, int]:
        from referral.telegram.delivery import deliver_committed

        self.notices.drain()  # delivered after the call: what this invocation commits
        report = self.services.release.release_matured()
        metrics.add_metric(name="AccrualsReleased", unit=MetricUnit.Count, value=report.released)
        metrics.add_metric(name="PointsReleased", unit=MetricUnit.Count, value=report.points)
        metrics.add_metric(name="ReleaseConflicts", unit=MetricUnit.Count, value=report.conflicts)
        logger.info("released matured accruals", extra=asdict(report))
        deliver_committed(
            self.notices,
            outbox=self.services.outbox,
            telegram=self.settings,
            seconds=DELIVERY_SECONDS,
            remaining_seconds=context.get_remaining_time_in_millis() / 1000,
        )
        return asdict(report)


def compose(settings: ReleaseSettings) -> ReleaseFrozen:
    from referral.repository.unit_of_work import CommittedNotices
    from referral.services import Services

    bind(settings.table_name)
    notices = CommittedNotices()
    return ReleaseFrozen(Services.build(notices=notices), notices, settings)


root = Root(ReleaseSettings.from_env, compose)
root.prepare()


@logger.inject_lambda_context
@metrics.log_metrics
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, int]:
    return root.get()(context)
