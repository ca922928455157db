"""The bot's settings: validated once per container from the environment; the token resolved when needed."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from aws_lambda_powertools import Logger
from pydantic import field_validator

from referral.config import ConfigurationError, Secret, Settings

DEFAULT_API_URL = "https://api.telegram.org"

logger = Logger(child=True)


@dataclass(frozen=True, slots=True)
class BotConfig:
    token: str
    api_url: str
    operators_chat_id: int | None
    bot_username: str
    """Needed by the webhook (deep links, the bot's identity); the scheduled senders do without it."""
    web_app_url: str | None = None
    """The admin web app, linked from the operators' topics; None: posted without links."""

    @property
    def bot_id(self) -> int:
        """A bot token starts with the bot's user id: the bot knows itself without asking ``getMe``."""
        return int(self.token.split(":", 1)[0])

    @property
    def base_url(self) -> str:
        return f"{self.api_url}/bot"

    @classmethod
    def from_env(cls) -> BotConfig:
        return TelegramSettings.from_env().bot_config()


class TelegramSettings(Settings):
    """How to reach the Bot API as the bot (``TELEGRAM_*``, ``OPERATORS_CHAT_ID``).

    The token is optional here (a function that only delivers notices right after its change leaves them
    to the sweep without it); a function that needs it declares ``telegram_bot_token: Secret``.
    """

    telegram_bot_token: Secret | None = None
    telegram_api_url: str = DEFAULT_API_URL
    operators_chat_id: int | None = None
    telegram_bot_username: str = ""
    admin_web_app_url: str | None = None
    """The admin web app's address (``https://…/admin/app``): the operators' topics link to requests there."""

    @field_validator("telegram_api_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http(s) URL")
        return value.rstrip("/")

    @field_validator("admin_web_app_url")
    @classmethod
    def _web_app_url(cls, value: str | None) -> str | None:
        return web_app_url(value)

    @field_validator("telegram_bot_username")
    @classmethod
    def _no_at(cls, value: str) -> str:
        return value.lstrip("@")

    def bot_config(self) -> BotConfig:
        """Resolves the token (Secrets Manager in AWS, cached) and checks that it looks like a bot token."""
        if self.telegram_bot_token is None:
            raise ConfigurationError("TELEGRAM_BOT_TOKEN is not set")
        token = self.telegram_bot_token.get()
        if ":" not in token or not token.split(":", 1)[0].isdigit():
            raise ConfigurationError("TELEGRAM_BOT_TOKEN does not look like a bot token")
        return BotConfig(
            token=token,
            api_url=self.telegram_api_url,
            operators_chat_id=self.operators_chat_id,
            bot_username=self.telegram_bot_username,
            web_app_url=self.admin_web_app_url,
        )


def web_app_url(value: str | None) -> str | None:
    """An absolute http(s) address without query or fragment, its trailing slash dropped; empty or
    malformed: none (logged), never a failed start."""
    value = (value or "").strip()
    if not value:
        return None
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        # Only links depend on it: the bot and the web app work on, posting without them.
        logger.warning(
            "ADMIN_WEB_APP_URL ignored: not an http(s) address without query or fragment",
            extra={"value": value[:200]},
        )
        return None
    return value.rstrip("/")


def webhook_secret() -> str:
    return WebhookSecretSettings.from_env().telegram_webhook_secret.get()


class WebhookSecretSettings(Settings):
    """The secret token Telegram sends with every webhook call (``setWebhook``'s ``secret_token``)."""

    telegram_webhook_secret: Secret
