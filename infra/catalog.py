"""What each Lambda function needs: its trigger, schedule, secrets and limits. Data, not wiring."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class FunctionSpec:
    name: str
    description: str
    folder: str = ""
    """The function's folder under functions/ (default: ``name``)."""
    entry: str = "handler.handler"
    secrets: tuple[str, ...] = ()
    """Secret variables (``referral.config.secret``): it gets ``<NAME>_SECRET_ID`` and read access to it."""
    route: tuple[str, str] | None = None
    """(method, path) on the HTTP API."""
    schedule_minutes: int | None = None
    reserved_concurrency: int | None = None
    timeout_seconds: int = 30
    memory_mb: int = 512
    environment: dict[str, str] = field(default_factory=dict)

    @property
    def code_folder(self) -> str:
        return self.folder or self.name


SECRET_NAMES = {
    "TELEGRAM_BOT_TOKEN": "telegram-bot-token",
    "TELEGRAM_WEBHOOK_SECRET": "telegram-webhook-secret",
    "OZON_API_KEY": "ozon-api-key",
    "ADMIN_SESSION_SECRET": "admin-session-secret",
}
"""Secrets Manager names (prefixed by the stack's secret prefix) that ops create before deploying."""

FUNCTIONS: tuple[FunctionSpec, ...] = (
    FunctionSpec(
        "bot_webhook",
        "Telegram webhook: the participants' bot",
        secrets=("TELEGRAM_BOT_TOKEN", "TELEGRAM_WEBHOOK_SECRET"),
        route=("POST", "/telegram/webhook"),
        timeout_seconds=25,
    ),
    FunctionSpec(
        "admin_api",
        "Operators' admin HTTP API",
        secrets=("TELEGRAM_BOT_TOKEN", "ADMIN_SESSION_SECRET"),
        route=("ANY", "/admin/{proxy+}"),
        timeout_seconds=25,
        memory_mb=1024,
    ),
    FunctionSpec(
        "ozon_sync",
        "Scheduled polling of the Ozon Seller API",
        secrets=("OZON_API_KEY", "TELEGRAM_BOT_TOKEN"),
        schedule_minutes=5,
        reserved_concurrency=1,
        timeout_seconds=600,
        memory_mb=1024,
    ),
    FunctionSpec(
        "release_frozen",
        "Hourly release of matured accruals",
        secrets=("TELEGRAM_BOT_TOKEN",),
        schedule_minutes=60,
        timeout_seconds=300,
    ),
    FunctionSpec(
        "notify_outbox",
        "Sweep of notifications not delivered right after their change",
        secrets=("TELEGRAM_BOT_TOKEN",),
        schedule_minutes=5,
        timeout_seconds=120,
    ),
    FunctionSpec(
        "notify_digest",
        "Daily and weekly digests for participants (each participant's own schedule, checked hourly)",
        secrets=("TELEGRAM_BOT_TOKEN",),
        schedule_minutes=60,
        timeout_seconds=900,
    ),
    FunctionSpec(
        "statistics_rollup",
        "Recomputes the dashboard's monthly rollups",
        folder="admin_api",
        entry="handler.rollup",
        secrets=("TELEGRAM_BOT_TOKEN", "ADMIN_SESSION_SECRET"),
        schedule_minutes=60,
        timeout_seconds=600,
        memory_mb=1024,
    ),
)
