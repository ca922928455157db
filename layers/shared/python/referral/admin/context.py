"""What the admin API's routes share per container: configuration (read once, lazily) and services.

Nothing is built at import time, so tests can bind the table to moto first; ``reset`` starts afresh.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property

from referral.clock import utcnow
from referral.config import ConfigurationError, optional, secret
from referral.repository.table import bind_table_from_env
from referral.services import Services
from referral.services.admins import AdminService, AuthSettings
from referral.services.listings import ListingService
from referral.services.statistics import StatisticsService


def _int(name: str, default: int, low: int, high: int) -> int:
    raw = optional(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigurationError(f"{name} must be a whole number") from None
    if not low <= value <= high:
        raise ConfigurationError(f"{name} must be between {low} and {high}")
    return value


def dev_login_enabled() -> bool:
    """``ADMIN_DEV_LOGIN=1``, only for local runs: never with secrets from Secrets Manager (a deployment)."""
    if (optional("ADMIN_DEV_LOGIN") or "").lower() not in ("1", "true", "yes"):
        return False
    if any(name.endswith("_SECRET_ID") and value.strip() for name, value in os.environ.items()):
        raise ConfigurationError("ADMIN_DEV_LOGIN is for local runs; it cannot be on with deployed secrets")
    return True


def bot_username() -> str | None:
    """The bot the Login Widget signs in with (``TELEGRAM_BOT_USERNAME``)."""
    return (optional("TELEGRAM_BOT_USERNAME") or "").lstrip("@") or None


def load_auth_settings() -> AuthSettings:
    dev_login = dev_login_enabled()
    ids = frozenset(
        part.strip() for part in (optional("BOOTSTRAP_ADMIN_IDS") or "").split(",") if part.strip()
    )
    if any(not i.isdigit() for i in ids):
        raise ConfigurationError("BOOTSTRAP_ADMIN_IDS must be comma-separated Telegram user ids")
    session_secret = secret("ADMIN_SESSION_SECRET")
    if len(session_secret) < 32:
        raise ConfigurationError("ADMIN_SESSION_SECRET must be at least 32 characters")
    return AuthSettings(
        dev_login=dev_login,
        bot_token=secret("TELEGRAM_BOT_TOKEN"),
        session_secret=session_secret,
        bootstrap_ids=ids,
        session_seconds=_int("ADMIN_SESSION_SECONDS", 3600, 60, 86400),
        login_max_age_seconds=_int("ADMIN_LOGIN_MAX_AGE_SECONDS", 86400, 60, 7 * 86400),
    )


@dataclass
class AdminContext:
    clock: Callable[[], datetime] = utcnow
    settings_max_age: int | None = None

    @cached_property
    def services(self) -> Services:
        bind_table_from_env()
        return Services.build(clock=self.clock, settings_max_age=self.settings_max_age)

    @cached_property
    def auth(self) -> AuthSettings:
        return load_auth_settings()

    @cached_property
    def admins(self) -> AdminService:
        return AdminService(self.auth, self.services.repos.administration, clock=self.clock)

    @cached_property
    def listings(self) -> ListingService:
        bind_table_from_env()
        return ListingService(clock=self.clock)

    @cached_property
    def statistics(self) -> StatisticsService:
        bind_table_from_env()
        return StatisticsService(clock=self.clock)


_current: AdminContext | None = None


def current() -> AdminContext:
    global _current
    if _current is None:
        _current = AdminContext()
    return _current


def reset(clock: Callable[[], datetime] | None = None, settings_max_age: int | None = None) -> AdminContext:
    """Start with fresh configuration and services (tests; a changed environment)."""
    global _current
    _current = AdminContext(clock=clock or utcnow, settings_max_age=settings_max_age)
    return _current


def environment_ready() -> bool:
    return bool(os.environ.get("TABLE_NAME"))
