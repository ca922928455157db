"""The admin API's settings: read and validated at the function's init, before the routes are imported."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from pydantic import Field, field_validator, model_validator

from referral.config import ConfigurationError, Secret, Settings
from referral.telegram.config import TelegramSettings
from referral.wiring.payout_key import PayoutKeySettings

if TYPE_CHECKING:
    from referral.services.admins import AuthSettings


class AdminSettings(TelegramSettings, PayoutKeySettings, Settings):
    """The admin API's variables, validated once per container (the bot's: for the login and notices)."""

    table_name: str
    telegram_bot_token: Secret
    admin_session_secret: Secret
    bootstrap_admin_ids: str = ""
    admin_session_seconds: Annotated[int, Field(ge=60, le=86400)] = 3600
    admin_login_max_age_seconds: Annotated[int, Field(ge=60, le=7 * 86400)] = 86400
    admin_login_attempts_per_address: Annotated[int, Field(ge=1, le=10_000)] = 20
    """Login attempts one source address may make per window, signed or not."""
    admin_login_attempts_per_account: Annotated[int, Field(ge=1, le=10_000)] = 10
    """Signed logins of one Telegram account per window."""
    admin_login_window_seconds: Annotated[int, Field(ge=10, le=86400)] = 600
    admin_dev_login: bool = False
    """Local runs only: log in by Telegram id without the widget; refused next to deployed secrets."""

    @field_validator("bootstrap_admin_ids")
    @classmethod
    def _telegram_ids(cls, value: str) -> str:
        if any(not part.strip().isdigit() for part in value.split(",") if part.strip()):
            raise ValueError("must be comma-separated Telegram user ids")
        return value

    @model_validator(mode="after")
    def _dev_login_only_locally(self) -> AdminSettings:
        deployed = self.telegram_bot_token.secret_id or self.admin_session_secret.secret_id
        if self.admin_dev_login and deployed:
            raise ValueError("ADMIN_DEV_LOGIN is for local runs; it cannot be on with deployed secrets")
        return self

    def auth_settings(self) -> AuthSettings:
        """Resolves the secrets (Secrets Manager in AWS, cached) and checks the session secret's length."""
        from referral.services.admins import AuthSettings
        from referral.services.login_guard import LoginLimits

        session_secret = self.admin_session_secret.get()
        if len(session_secret) < 32:
            raise ConfigurationError("ADMIN_SESSION_SECRET must be at least 32 characters")
        return AuthSettings(
            dev_login=self.admin_dev_login,
            bot_token=self.telegram_bot_token.get(),
            session_secret=session_secret,
            bootstrap_ids=frozenset(p.strip() for p in self.bootstrap_admin_ids.split(",") if p.strip()),
            session_seconds=self.admin_session_seconds,
            login_max_age_seconds=self.admin_login_max_age_seconds,
            login_limits=LoginLimits(
                per_address=self.admin_login_attempts_per_address,
                per_account=self.admin_login_attempts_per_account,
                window_seconds=self.admin_login_window_seconds,
            ),
        )
