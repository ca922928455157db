"""The bot's configuration, read from the environment once per container (secrets resolved lazily)."""

from __future__ import annotations

from dataclasses import dataclass

from referral.config import ConfigurationError, optional, secret

DEFAULT_API_URL = "https://api.telegram.org"


@dataclass(frozen=True, slots=True)
class BotConfig:
    token: str
    api_url: str
    operators_chat_id: int | None
    bot_username: str
    """Needed by the webhook (deep links, the bot's identity); the scheduled senders do without it."""

    @property
    def bot_id(self) -> int:
        """A bot token starts with the bot's user id: the bot knows itself without asking ``getMe``."""
        return int(self.token.split(":", 1)[0])

    @property
    def base_url(self) -> str:
        return f"{self.api_url}/bot"

    @classmethod
    def from_env(cls) -> BotConfig:
        token = secret("TELEGRAM_BOT_TOKEN")
        if not token.split(":", 1)[0].isdigit() or ":" not in token:
            raise ConfigurationError("TELEGRAM_BOT_TOKEN does not look like a bot token")
        api_url = (optional("TELEGRAM_API_URL") or DEFAULT_API_URL).rstrip("/")
        if not api_url.startswith(("http://", "https://")):
            raise ConfigurationError("TELEGRAM_API_URL must be an http(s) URL")
        raw_chat = optional("OPERATORS_CHAT_ID")
        try:
            operators = int(raw_chat) if raw_chat else None
        except ValueError:
            raise ConfigurationError("OPERATORS_CHAT_ID must be a chat id such as -1001234567890") from None
        username = (optional("TELEGRAM_BOT_USERNAME") or "").lstrip("@")
        return cls(token=token, api_url=api_url, operators_chat_id=operators, bot_username=username)


def webhook_secret() -> str:
    return secret("TELEGRAM_WEBHOOK_SECRET")
