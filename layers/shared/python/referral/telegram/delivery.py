"""Notices delivered right after the change, by whichever function made it (SPEC §8).

A function's composition root hands its services a ``CommittedNotices``; after each invocation the handler
drains it and delivers those notices here, each claimed as the scheduled sweep claims it. Best effort
within a time budget: what does not go out in time, or fails, stays for the sweep (``notify_outbox``).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from aws_lambda_powertools import Logger

from referral.config import ConfigurationError

if TYPE_CHECKING:
    from referral.repository.unit_of_work import CommittedNotices
    from referral.services.outbox import DispatchReport, OutboxService
    from referral.telegram.config import TelegramSettings

logger = Logger(child=True)

RESERVED_SECONDS = 3.0
"""Kept free at the end of an invocation: delivering notices never makes a function time out."""


def deliver_committed(
    notices: CommittedNotices,
    *,
    outbox: OutboxService,
    telegram: TelegramSettings,
    seconds: float,
    remaining_seconds: float,
) -> DispatchReport | None:
    """Deliver what the invocation committed within ``seconds`` (less near the function's timeout)."""
    committed = notices.drain()
    if not committed:
        return None
    return deliver_now(
        committed,
        outbox=outbox,
        telegram=telegram,
        seconds=min(seconds, remaining_seconds - RESERVED_SECONDS),
    )


def deliver_now(
    notification_ids: list[str], *, outbox: OutboxService, telegram: TelegramSettings, seconds: float
) -> DispatchReport | None:
    """Deliver these outbox notices within ``seconds``; never raises. None when nothing was tried."""
    # Imported here: a function whose invocation committed no notice never loads the Bot API client.
    from referral.telegram.bot_api import BotApi
    from referral.telegram.notifications import TelegramNotificationSender

    if seconds <= 0:
        return None
    deadline = time.monotonic() + seconds
    try:
        sender = TelegramNotificationSender(BotApi(telegram.bot_config(), deadline=deadline))
        report = outbox.dispatch(sender, notification_ids, deadline=deadline)
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
