"""Notices delivered right after the change, by whichever function made it (SPEC §8).

A Lambda handler decorated with ``delivers_notices`` records the outbox notifications its changes commit
during the invocation and delivers them before it returns, each claimed as the scheduled sweep claims it.
Best effort within a time budget: what does not go out in time, or fails, stays for the sweep.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from referral.repository.unit_of_work import recording_notifications

if TYPE_CHECKING:
    from referral.services.outbox import DispatchReport

logger = Logger(child=True)

Result = TypeVar("Result")
LambdaHandler = Callable[[Any, LambdaContext], Result]

RESERVED_SECONDS = 3.0
"""Kept free at the end of an invocation: delivering notices never makes a function time out."""


def delivers_notices(*, seconds: float) -> Callable[[LambdaHandler[Result]], LambdaHandler[Result]]:
    """Deliver the notices the handler's changes committed, within ``seconds``; the result is unchanged."""

    def decorate(handler: LambdaHandler[Result]) -> LambdaHandler[Result]:
        @functools.wraps(handler)
        def run(event: Any, context: LambdaContext) -> Result:
            with recording_notifications() as committed:
                result = handler(event, context)
            if committed:
                left = context.get_remaining_time_in_millis() / 1000 - RESERVED_SECONDS
                deliver_now(committed, seconds=min(seconds, left))
            return result

        return run

    return decorate


def deliver_now(notification_ids: list[str], *, seconds: float) -> DispatchReport | None:
    """Deliver these outbox notices within ``seconds``; never raises. None when nothing was tried."""
    # Imported here: a function whose invocation committed no notice never loads the Bot API client.
    from referral.config import ConfigurationError
    from referral.services.outbox import OutboxService
    from referral.telegram.bot_api import BotApi
    from referral.telegram.config import BotConfig
    from referral.telegram.notifications import TelegramNotificationSender

    if seconds <= 0:
        return None
    deadline = time.monotonic() + seconds
    try:
        sender = TelegramNotificationSender(BotApi(BotConfig.from_env(), deadline=deadline))
        report = OutboxService().dispatch(sender, notification_ids, deadline=deadline)
    except ConfigurationError as error:
        logger.warning("notices left to the sweep: the bot is not configured", extra={"error": str(error)})
        return None
    except Exception:
        logger.exception(
            "notices left to the sweep: delivery failed", extra={"notices": len(notification_ids)}
        )
        return None
    logger.info(
        "notices delivered after the change", extra={"notices": len(notification_ids), **vars(report)}
    )
    return report
