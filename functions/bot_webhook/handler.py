"""API Gateway (HTTP API, payload v2) → the participants' Telegram bot (SPEC §4).

Thin: checks Telegram's secret-token header, parses the update, hands it to the bot (which takes each
``update_id`` once) and answers 200 — also for updates it ignores, so Telegram never retries forever.
Heavy imports (the bot, the domain) wait for the first genuine update, keeping rejected calls cheap.
"""

from __future__ import annotations

import base64
import hmac
import json
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime

    from referral.domain.orders import PostingLookup
    from referral.telegram.app import BotRuntime

logger = Logger()
tracer = Tracer()
metrics = Metrics()

SECRET_HEADER = "x-telegram-bot-api-secret-token"  # noqa: S105 - a header name, not a secret
OK = {"statusCode": 200, "headers": {"content-type": "application/json"}, "body": "{}"}

_secret: str | None = None
_runtime: BotRuntime | None = None


def runtime(
    posting_lookup: PostingLookup | None = None, clock: Callable[[], datetime] | None = None
) -> BotRuntime:
    """The container's bot, built on first use (tests pass a fake Seller API lookup and a clock)."""
    global _runtime
    if _runtime is None:
        from referral.clock import utcnow
        from referral.repository.table import bind_table_from_env
        from referral.telegram.app import BotRuntime
        from referral.telegram.config import BotConfig

        bind_table_from_env()
        if posting_lookup is None:
            from referral.ozon.lookup import ConfiguredPostingLookup
            from referral.services.settings import SettingsService

            posting_lookup = ConfiguredPostingLookup(SettingsService().ozon_credentials)
        _runtime = BotRuntime(BotConfig.from_env(), posting_lookup=posting_lookup, clock=clock or utcnow)
    return _runtime


def reset() -> None:
    """Forget the container's state (configuration changed, e.g. between tests)."""
    global _runtime, _secret
    if _runtime is not None:
        _runtime.close()
    _runtime = None
    _secret = None


def _expected_secret() -> str:
    global _secret
    if _secret is None:
        from referral.telegram.config import webhook_secret

        _secret = webhook_secret()
    return _secret


def _authentic(event: dict[str, Any]) -> bool:
    headers = {str(k).lower(): v for k, v in (event.get("headers") or {}).items()}
    given = headers.get(SECRET_HEADER)
    return isinstance(given, str) and hmac.compare_digest(given.encode(), _expected_secret().encode())


def _update(event: dict[str, Any]) -> dict[str, Any] | None:
    body = event.get("body") or ""
    try:
        if event.get("isBase64Encoded"):
            body = base64.b64decode(body).decode()
        data = json.loads(body)
    except (ValueError, TypeError):
        return None
    if not isinstance(data, dict) or type(data.get("update_id")) is not int:
        return None
    return data


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    if not _authentic(event):
        metrics.add_metric(name="WebhookRejected", unit=MetricUnit.Count, value=1)
        logger.warning("webhook call without the right secret token")
        return {"statusCode": 401, "headers": {"content-type": "application/json"}, "body": '{"ok":false}'}
    update = _update(event)
    if update is None:
        metrics.add_metric(name="MalformedUpdates", unit=MetricUnit.Count, value=1)
        logger.warning("malformed update body ignored")
        return OK
    logger.append_keys(update_id=update["update_id"])
    answer = runtime().handle(update)
    metrics.add_metric(name="UpdatesHandled", unit=MetricUnit.Count, value=1)
    return OK if answer is None else {**OK, "body": json.dumps(answer, ensure_ascii=False)}
