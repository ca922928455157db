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
    table_actions: tuple[str, ...] = ()
    """The DynamoDB actions it calls on the table and its indexes (IAM names without ``dynamodb:``).
    A transaction needs the action of each part (Put → PutItem, ConditionCheck → ConditionCheckItem)."""
    talks_to: tuple[str, ...] = ()
    """External APIs it calls (``telegram``, ``ozon``): it gets their base-URL variables."""
    retry_attempts: int = 2
    """Retries of a failed scheduled run; 0 where the next run does the same work anyway."""
    alarm_on_throttles: bool = True
    ozon_connection: str = ""
    """The operators' Seller API key secret (``OZON_CONNECTION_SECRET``): ``read`` it, or ``manage`` it
    (create, put a new version, delete: the admin API, where operators enter it)."""
    payout_fingerprint_key: bool = False
    """It fingerprints payout details: it gets ``PAYOUT_FINGERPRINT_KEY_ARN`` and may read that secret."""

    @property
    def code_folder(self) -> str:
        return self.folder or self.name


ASSET_EXCLUDES = ("**/__pycache__", "**/*.pyc")
"""Left out of every code asset (CDK glob patterns)."""

READS = ("GetItem", "BatchGetItem", "Query")
TRANSACTIONS = ("PutItem", "UpdateItem", "ConditionCheckItem")
"""What ``UnitOfWork.commit`` sends: conditional puts, updates and condition checks."""

DEFAULT_SECRET_PREFIX = "ozon-referral"  # noqa: S105 - a name prefix, not a secret

SECRET_NAMES = {
    "TELEGRAM_BOT_TOKEN": "telegram-bot-token",
    "TELEGRAM_WEBHOOK_SECRET": "telegram-webhook-secret",
    "OZON_API_KEY": "ozon-api-key",
    "ADMIN_SESSION_SECRET": "admin-session-secret",
}
"""Secrets Manager names (prefixed by the stack's secret prefix) that ops create before deploying."""

OZON_CONNECTION_SECRET = "ozon-api-key-operator"  # noqa: S105 - a name, not a secret
"""The Seller API key operators enter in the admin app (prefixed like the others); the admin API makes it."""

PAYOUT_FINGERPRINT_KEY_SECRET = "payout-fingerprint-key"  # noqa: S105 - a name, not a secret
"""The key of the payout details' fingerprints (prefixed like the others): the stack generates its value."""

FUNCTIONS: tuple[FunctionSpec, ...] = (
    FunctionSpec(
        "bot_webhook",
        "Telegram webhook: the participants' bot",
        secrets=("TELEGRAM_BOT_TOKEN", "TELEGRAM_WEBHOOK_SECRET", "OZON_API_KEY"),
        route=("POST", "/telegram/webhook"),
        timeout_seconds=25,
        table_actions=(*READS, *TRANSACTIONS, "DeleteItem"),
        talks_to=("telegram", "ozon"),
        ozon_connection="read",
        payout_fingerprint_key=True,
    ),
    FunctionSpec(
        "admin_api",
        "Operators' admin HTTP API",
        # The deployment's Ozon key: the health panel checks the key in force, whichever it is.
        secrets=("TELEGRAM_BOT_TOKEN", "ADMIN_SESSION_SECRET", "OZON_API_KEY"),
        route=("ANY", "/admin/{proxy+}"),
        timeout_seconds=25,
        memory_mb=1024,
        table_actions=(*READS, *TRANSACTIONS),
        talks_to=("telegram", "ozon"),
        ozon_connection="manage",
        payout_fingerprint_key=True,
    ),
    FunctionSpec(
        "ozon_sync",
        "Scheduled polling of the Ozon Seller API",
        secrets=("OZON_API_KEY", "TELEGRAM_BOT_TOKEN"),
        schedule_minutes=5,
        reserved_concurrency=1,
        # Shorter than the schedule: a run stops in time and the next one continues from its checkpoint.
        timeout_seconds=240,
        memory_mb=1024,
        table_actions=(*READS, *TRANSACTIONS, "DeleteItem"),
        talks_to=("ozon", "telegram"),
        ozon_connection="read",
        retry_attempts=0,
        alarm_on_throttles=False,
    ),
    FunctionSpec(
        "release_frozen",
        "Hourly release of matured accruals",
        secrets=("TELEGRAM_BOT_TOKEN",),
        schedule_minutes=60,
        timeout_seconds=300,
        table_actions=(*READS, *TRANSACTIONS),
        talks_to=("telegram",),
    ),
    FunctionSpec(
        "notify_outbox",
        "Sweep of notifications not delivered right after their change",
        secrets=("TELEGRAM_BOT_TOKEN",),
        schedule_minutes=5,
        timeout_seconds=120,
        table_actions=(*READS, *TRANSACTIONS),
        talks_to=("telegram",),
    ),
    FunctionSpec(
        "notify_digest",
        "Daily and weekly digests for participants (each participant's own schedule, checked hourly)",
        secrets=("TELEGRAM_BOT_TOKEN",),
        schedule_minutes=60,
        timeout_seconds=900,
        table_actions=(*READS, *TRANSACTIONS),
        talks_to=("telegram",),
    ),
    FunctionSpec(
        "reconcile",
        "Daily check that every balance equals its ledger; finishes an interrupted re-parenting",
        schedule_minutes=24 * 60,
        timeout_seconds=900,
        memory_mb=1024,
        # The one reader of the whole table (an offline check); the re-parenting it may finish writes chains.
        table_actions=(*READS, *TRANSACTIONS, "Scan"),
        retry_attempts=0,
    ),
    FunctionSpec(
        "statistics_rollup",
        "Recomputes the dashboard's monthly rollups",
        folder="admin_api",
        entry="handler.rollup",
        schedule_minutes=60,
        timeout_seconds=600,
        memory_mb=1024,
        table_actions=(*READS, "PutItem"),
    ),
)
