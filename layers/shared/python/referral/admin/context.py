"""What the admin API's routes share per container: validated settings and the services built from them.

The function's composition root builds the context and ``install``s it; nothing here is built at import,
so tests can bind the table to moto first; ``reset`` starts afresh.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property

from referral.admin.config import AdminSettings as AdminSettings
from referral.clock import utcnow
from referral.repository.table import bind_table_from_env
from referral.repository.unit_of_work import CommittedNotices
from referral.services import Services
from referral.services.admins import AdminService, AuthSettings
from referral.services.listings import ListingService
from referral.services.statistics import StatisticsService
from referral.wiring import bind


def bot_username() -> str | None:
    """The bot the Login Widget signs in with (``TELEGRAM_BOT_USERNAME``)."""
    return current().settings.telegram_bot_username or None


def load_auth_settings() -> AuthSettings:
    return AdminSettings.from_env().auth_settings()


@dataclass
class AdminContext:
    """The admin API's collaborators, built once per container from its settings (read when first needed
    unless given). ``notices`` collects the ids of the notices its changes commit, for the handler to
    deliver right after the request."""

    clock: Callable[[], datetime] = utcnow
    settings_max_age: int | None = None
    given_settings: AdminSettings | None = None
    notices: CommittedNotices = field(default_factory=CommittedNotices)

    @cached_property
    def settings(self) -> AdminSettings:
        return self.given_settings or AdminSettings.from_env()

    @cached_property
    def services(self) -> Services:
        bind(self.settings.table_name)
        return Services.build(
            clock=self.clock,
            settings_max_age=self.settings_max_age,
            notices=self.notices,
            web_app_url=self.settings.admin_web_app_url,
            operators_chat_id=self.settings.operators_chat_id,
            payout_fingerprints=self.settings.payout_fingerprinter(),
        )

    @cached_property
    def auth(self) -> AuthSettings:
        return self.settings.auth_settings()

    @cached_property
    def admins(self) -> AdminService:
        return AdminService(self.auth, self.services.repos.administration, clock=self.clock)

    @cached_property
    def listings(self) -> ListingService:
        bind_table_from_env()
        return ListingService(clock=self.clock)

    @cached_property
    def statistics(self) -> StatisticsService:
        bind_table_from_env()  # the scheduled rollup runs with the table alone, without the admin's secrets
        return StatisticsService(clock=self.clock)


_current: AdminContext | None = None


def current() -> AdminContext:
    global _current
    if _current is None:
        _current = AdminContext()
    return _current


def install(built: AdminContext) -> AdminContext:
    """The composition root hands the routes the context it built."""
    global _current
    _current = built
    return built


def reset(clock: Callable[[], datetime] | None = None, settings_max_age: int | None = None) -> AdminContext:
    """Start with fresh configuration and services (tests; a changed environment)."""
    return install(AdminContext(clock=clock or utcnow, settings_max_age=settings_max_age))


def environment_ready() -> bool:
    return bool(os.environ.get("TABLE_NAME"))
