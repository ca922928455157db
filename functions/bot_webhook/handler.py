"""API Gateway (HTTP API, payload v2) → the participants' Telegram bot (SPEC §4).

Thin: checks Telegram's secret-token header, parses the update, hands it to the bot (which takes each
``update_id`` once) and answers 200 — also for updates it ignores or cannot parse, so Telegram never
retries forever. Heavy imports (the bot, the domain) wait for the first genuine update, keeping rejected
calls cheap.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import Field
from referral.config import Secret, Settings
from referral.ozon.config import OzonSettings
from referral.telegram.config import TelegramSettings
from referral.wiring import Root, bind
from referral.wiring.payout_key import PayoutKeySettings
from referral.wiring.webhook_secret import WebhookSecret

if TYPE_CHECKING:
    from datetime import datetime

    from referral.domain.orders import PostingLookup
    from referral.telegram.app import BotRuntime

logger = Logger()
tracer = Tracer()
metrics = Metrics()

SECRET_HEADER = "x-telegram-bot-api-secret-token"  # noqa: S105 - a header name, not a secret
JSON = {"content-type": "application/json"}
OK = {"statusCode": 200, "headers": JSON, "body": "{}"}
UNAUTHORIZED = {"statusCode": 401, "headers": JSON, "body": '{"ok":false}'}


class WebhookSettings(OzonSettings, TelegramSettings, PayoutKeySettings, Settings):
    """``TABLE_NAME``, the bot's settings, the webhook's secret token, the Seller API's (order claims) and
    where the payout fingerprint key is."""

    table_name: str
    telegram_bot_token: Secret
    telegram_bot_username: str
    telegram_webhook_secret: Secret
    telegram_webhook_secret_max_age: Annotated[float, Field(ge=0, le=60)] = 60.0
    """Seconds a fetched secret token is trusted before it is re-read (a rotation takes effect within)."""
    telegram_webhook_secret_refresh_interval: Annotated[float, Field(ge=1, le=300)] = 10.0
    """Least seconds between two refreshes forced by a token that did not match."""


class Webhook:
    """The container's webhook: its secret token, and the bot built on the first genuine update."""

    def __init__(self, settings: WebhookSettings) -> None:
        self.settings = settings
        self.secret = WebhookSecret(
            settings.telegram_webhook_secret,
            max_age=settings.telegram_webhook_secret_max_age,
            refresh_interval=settings.telegram_webhook_secret_refresh_interval,
        )
        self._runtime: BotRuntime | None = None

    def runtime(
        self,
        posting_lookup: PostingLookup | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> BotRuntime:
        """The bot, built once (tests pass a fake Seller API lookup and a clock)."""
        if self._runtime is None:
            from referral.clock import utcnow
            from referral.repository.unit_of_work import CommittedNotices
            from referral.services import Services
            from referral.telegram.app import BotRuntime

            bind(self.settings.table_name)
            clock = clock or utcnow
            notices = CommittedNotices()
            services = Services.build(
                clock=clock, notices=notices, payout_fingerprints=self.settings.payout_fingerprinter()
            )
            if posting_lookup is None:
                from referral.ozon.lookup import ConfiguredPostingLookup

                claims = self.settings.claims_client_config()
                posting_lookup = ConfiguredPostingLookup(
                    services.settings.ozon_credentials, claims, clock=clock
                )
            self._runtime = BotRuntime(
                self.settings.bot_config(),
                services=services,
                notices=notices,
                posting_lookup=posting_lookup,
                clock=clock,
            )
        return self._runtime

    def close(self) -> None:
        if self._runtime is not None:
            self._runtime.close()
            self._runtime = None

    def __call__(self, event: dict[str, Any]) -> dict[str, Any]:
        if not self.secret.matches(_header(event, SECRET_HEADER)):
            metrics.add_metric(name="WebhookRejected", unit=MetricUnit.Count, value=1)
            logger.warning("webhook call without the right secret token")
            return UNAUTHORIZED
        update = parse_update(event)
        if update is None:
            metrics.add_metric(name="MalformedUpdates", unit=MetricUnit.Count, value=1)
            logger.warning("malformed update body ignored")
            return OK
        logger.append_keys(update_id=update["update_id"])
        answer = self.runtime().handle(update)
        metrics.add_metric(name="UpdatesHandled", unit=MetricUnit.Count, value=1)
        return OK if answer is None else {**OK, "body": json.dumps(answer, ensure_ascii=False)}


def _header(event: dict[str, Any], name: str) -> object:
    headers = event.get("headers")
    if not isinstance(headers, dict):
        return None
    return next((value for key, value in headers.items() if str(key).lower() == name), None)


def parse_update(event: dict[str, Any]) -> dict[str, Any] | None:
    """The update in the body, or None for anything that is not one (never raises)."""
    body = event.get("body") or ""
    try:
        if not isinstance(body, str):
            return None
        if event.get("isBase64Encoded"):
            body = base64.b64decode(body, validate=True).decode()
        data = json.loads(body)
    except (ValueError, TypeError, RecursionError):  # RecursionError: e.g. [[[[...]]]] nested 100k deep
        return None
    if not isinstance(data, dict) or type(data.get("update_id")) is not int:
        return None
    return data


root = Root(WebhookSettings.from_env, Webhook, keep=True)
root.prepare()


def runtime(
    posting_lookup: PostingLookup | None = None, clock: Callable[[], datetime] | None = None
) -> BotRuntime:
    """The container's bot (tests pass a fake Seller API lookup and a clock)."""
    return root.get().runtime(posting_lookup, clock)


def reset() -> None:
    """Forget the container's state (configuration changed, e.g. between tests)."""
    if root.built is not None:
        root.built.close()
    root.reset()


@logger.inject_lambda_context
@metrics.log_metrics
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return root.get()(event)
