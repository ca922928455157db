"""Preflight of a deployment: can the bot, the operators' chat, the Ozon key, the table and the payout
fingerprint key do their jobs?

The same checks run from the command line (``make doctor``) and on the admin dashboard (``GET
/admin/health``). Each answers with a stable problem code (the web app words it in RU/EN) and one sentence
saying what to do. Tokens and keys are only sent to their services: never in a result, never in a log.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import requests

from referral.config import optional, optional_secret
from referral.ozon import client as ozon_client
from referral.ozon.client import connect
from referral.ozon.config import ClientConfig
from referral.ozon.errors import OzonAuthError, OzonError
from referral.ozon.streams import STREAMS
from referral.repository.sync_state import STREAM_FAILING, StreamHealth, SyncState
from referral.services.settings import SettingsService
from referral.wiring.payout_key import VARIABLE as PAYOUT_KEY_VARIABLE
from referral.wiring.payout_key import read_payout_key

USED_METHODS = (
    ozon_client.FBS_LIST,
    ozon_client.FBS_GET,
    ozon_client.FBO_LIST,
    ozon_client.FBO_GET,
    ozon_client.RETURNS_LIST,
)
"""The Seller API methods the sync and the claims call (the client's own constants)."""
KEY_EXPIRY_WARNING = timedelta(days=14)
WEBHOOK_ERROR_WINDOW = timedelta(hours=1)
"""A delivery error older than this is history, not a current problem."""
WEBHOOK_BACKLOG = 20
"""More updates than this waiting for delivery means the webhook is not keeping up."""
TELEGRAM_TIMEOUT_SECONDS = 10
DEFAULT_TELEGRAM_API = "https://api.telegram.org"
LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1", "0.0.0.0", "host.docker.internal"}  # noqa: S104 - names

ADVICE = {
    "bot_token_missing": "Put the bot token from @BotFather in the telegram-bot-token secret.",
    "bot_token_rejected": "Telegram rejects the bot token: put the current one from @BotFather there.",
    "telegram_unreachable": "The Bot API did not answer: check TELEGRAM_API_URL and the network, then retry.",
    "webhook_not_set": "Run `python -m infra.set_webhook --stack <stack>` to point Telegram at this API.",
    "webhook_elsewhere": "The webhook points elsewhere: run `python -m infra.set_webhook` for this stack.",
    "webhook_set_while_polling": "A webhook is set while this bot polls: delete it (deleteWebhook) first.",
    "webhook_errors": "Telegram failed to deliver updates lately: check the bot function's logs and alarms.",
    "webhook_backlog": "Updates are piling up undelivered: check the bot function's errors and throttles.",
    "operators_chat_missing": "Set OPERATORS_CHAT_ID (operators_chat_id) to the operators' supergroup id.",
    "operators_chat_not_found": "The bot cannot see the operators' chat: add the bot to it and check its id.",
    "operators_chat_not_forum": "Turn the operators' chat into a supergroup with Topics enabled.",
    "bot_not_admin": "Make the bot an administrator of the operators' chat.",
    "bot_cannot_manage_topics": "Give the bot the Manage topics right in the operators' chat.",
    "ozon_not_configured": "Enter the Ozon Client-Id and Api-Key in Settings → Ozon connection.",
    "ozon_key_rejected": "Ozon rejects the Client-Id/Api-Key: make a new key in the Seller account.",
    "ozon_unreachable": "The Seller API did not answer: check OZON_API_URL and the network, then retry.",
    "ozon_key_expiring": "The Ozon key expires soon: create a new one in the Seller account and enter it.",
    "ozon_key_expired": "The Ozon key has expired: create a new one in the Seller account and enter it.",
    "ozon_roles_missing": "The Ozon key lacks roles for methods we call: add them in the Seller account.",
    "table_unavailable": "The DynamoDB table does not answer: check TABLE_NAME and the permissions.",
    "sync_stream_failing": "A sync stream keeps failing: read its reason, fix the key's roles or the method.",
    # the fraud signals' input: a failure turns the signal off, never a money flow
    "payout_key_not_configured": "Set PAYOUT_FINGERPRINT_KEY_ARN to the payout-fingerprint-key secret (the "
    "stack does): until then the shared payout signal is off.",
    "payout_key_unreadable": "The payout-fingerprint-key secret cannot be read: check it exists and the "
    "function may read it; the shared payout signal is off until then.",
    "payout_key_weak": "The payout-fingerprint-key secret is too short: put 32 or more random characters "
    "in it; the shared payout signal is off until then.",
}
"""One sentence per problem: what to do about it."""


@dataclass(frozen=True, slots=True)
class CheckResult:
    check: str
    problem: str | None = None
    facts: dict[str, Any] = field(default_factory=dict)
    """What was found (never a secret), e.g. the webhook URL or the methods without a role."""

    @property
    def ok(self) -> bool:
        return self.problem is None

    @property
    def advice(self) -> str | None:
        if not self.problem:
            return None
        return ADVICE[self.problem]


@dataclass(frozen=True, slots=True)
class Target:
    """What the checks look at, read the way the functions read it."""

    telegram_api: str
    bot_token: str | None
    expected_webhook: str | None
    """The webhook URL this deployment should have; None where the bot polls (a local run)."""
    operators_chat_id: str | None
    ozon_credentials: Callable[[], tuple[str, str] | None]
    table_answers: Callable[[], object]
    ozon_config: ClientConfig | None = None
    now: Callable[[], datetime] = lambda: datetime.now(UTC)
    sync_streams: Callable[[], list[StreamHealth]] | None = None
    """Each sync stream's health as the last runs recorded it; None: not looked at."""
    payout_key: Callable[[], str | None] | None = None
    """Why the payout fingerprint key cannot be used (a problem code; None: it can); None: not checked."""


class _TelegramError(Exception):
    def __init__(self, status: int | None, description: str = "") -> None:
        super().__init__(description)
        self.status = status
        self.description = description


def _telegram(target: Target, method: str, **params: Any) -> Any:
    try:
        answer = requests.post(
            f"{target.telegram_api.rstrip('/')}/bot{target.bot_token}/{method}",
            json=params,
            timeout=TELEGRAM_TIMEOUT_SECONDS,
        )
        body = answer.json()
    except (requests.RequestException, ValueError):
        raise _TelegramError(None) from None  # the exception's text carries the URL, hence the token
    if not body.get("ok"):
        raise _TelegramError(answer.status_code, str(body.get("description", "")))
    return body["result"]


def check_bot(target: Target) -> tuple[CheckResult, int | None]:
    """``getMe``: the token works. Also the bot's id, for the chat check."""
    if not target.bot_token:
        return CheckResult("bot_token", "bot_token_missing"), None
    try:
        me = _telegram(target, "getMe")
    except _TelegramError as error:
        problem = "telegram_unreachable" if error.status in (None, 429) or error.status >= 500 else None
        return CheckResult("bot_token", problem or "bot_token_rejected"), None
    return CheckResult("bot_token", facts={"username": me.get("username")}), int(me["id"])


def check_webhook(target: Target) -> CheckResult:
    """``getWebhookInfo``: set to this API (or unset where the bot polls), no recent errors, no backlog."""
    try:
        info = _telegram(target, "getWebhookInfo")
    except _TelegramError:
        return CheckResult("webhook", "telegram_unreachable")
    url, pending = str(info.get("url") or ""), int(info.get("pending_update_count") or 0)
    facts: dict[str, Any] = {"url": url, "pending_update_count": pending}
    error_date = info.get("last_error_date")
    recent_error = (
        bool(error_date)
        and target.now() - datetime.fromtimestamp(int(error_date), UTC) < WEBHOOK_ERROR_WINDOW
    )
    if recent_error:
        facts["last_error_message"] = info.get("last_error_message")
    problem = None
    if target.expected_webhook is None:
        problem = "webhook_set_while_polling" if url else None
    elif not url:
        problem = "webhook_not_set"
    elif url != target.expected_webhook:
        problem = "webhook_elsewhere"
    elif recent_error:
        problem = "webhook_errors"
    elif pending > WEBHOOK_BACKLOG:
        problem = "webhook_backlog"
    return CheckResult("webhook", problem, facts)


def check_operators_chat(target: Target, bot_id: int | None) -> CheckResult:
    """``getChat`` and ``getChatMember``: a forum supergroup where the bot is an admin managing topics."""
    if not target.operators_chat_id:
        return CheckResult("operators_chat", "operators_chat_missing")
    facts: dict[str, Any] = {"chat_id": target.operators_chat_id}
    if bot_id is None:
        return CheckResult("operators_chat", "bot_token_rejected", facts)
    try:
        chat = _telegram(target, "getChat", chat_id=target.operators_chat_id)
        member = _telegram(target, "getChatMember", chat_id=target.operators_chat_id, user_id=bot_id)
    except _TelegramError as error:
        problem = "telegram_unreachable" if error.status is None else "operators_chat_not_found"
        return CheckResult("operators_chat", problem, facts)
    facts["title"] = chat.get("title")
    if chat.get("type") != "supergroup" or not chat.get("is_forum"):
        return CheckResult("operators_chat", "operators_chat_not_forum", facts)
    status = member.get("status")
    if status not in ("administrator", "creator"):
        return CheckResult("operators_chat", "bot_not_admin", facts)
    if status == "administrator" and not member.get("can_manage_topics"):
        return CheckResult("operators_chat", "bot_cannot_manage_topics", facts)
    return CheckResult("operators_chat", facts=facts)


def check_ozon_key(target: Target) -> CheckResult:
    """``/v1/roles``: the key in force is accepted, not about to expire, and allows every method we call."""
    try:
        credentials = target.ozon_credentials()
    except Exception:  # a secret that cannot be read is a key that is not configured
        credentials = None
    if credentials is None:
        return CheckResult("ozon_key", "ozon_not_configured")
    client = connect(*credentials, target.ozon_config or ClientConfig.for_claims_from_env())
    try:
        roles = client.key_roles()
    except OzonAuthError:
        return CheckResult("ozon_key", "ozon_key_rejected", {"client_id": credentials[0]})
    except OzonError:
        return CheckResult("ozon_key", "ozon_unreachable", {"client_id": credentials[0]})
    finally:
        client.close()
    missing = [method for method in USED_METHODS if not roles.allows(method)]
    facts: dict[str, Any] = {
        "client_id": credentials[0],
        "roles": sorted(role.name for role in roles.roles),
        "expires_at": roles.expires_at.isoformat() if roles.expires_at else None,
    }
    problem = None
    if roles.expires_at is not None and roles.expires_at <= target.now():
        problem = "ozon_key_expired"
    elif missing:
        problem, facts["missing_methods"] = "ozon_roles_missing", missing
    elif roles.expires_at is not None and roles.expires_at - target.now() < KEY_EXPIRY_WARNING:
        problem = "ozon_key_expiring"
    return CheckResult("ozon_key", problem, facts)


def check_table(target: Target) -> CheckResult:
    try:
        target.table_answers()
    except Exception:  # any failure to read is the finding itself
        return CheckResult("table", "table_unavailable")
    return CheckResult("table")


def check_sync_streams(target: Target) -> CheckResult:
    """Every stream of the Ozon sync progresses: a stream failing run after run is named with its reason."""
    if target.sync_streams is None:
        return CheckResult("sync_streams")
    try:
        streams = target.sync_streams()
    except Exception:  # the table check says why the table cannot be read
        return CheckResult("sync_streams", "table_unavailable")
    failing = {
        health.stream: {"since": health.failing_since, "reason": health.reason, "runs": health.failures}
        for health in streams
        if health.state == STREAM_FAILING
    }
    if not failing:
        return CheckResult("sync_streams")
    return CheckResult("sync_streams", "sync_stream_failing", {"failing": failing})


def check_payout_key(target: Target) -> CheckResult:
    """The payout fingerprint key is configured and readable: without it the shared payout signal is off."""
    if target.payout_key is None:
        return CheckResult("payout_key")
    try:
        problem = target.payout_key()
    except Exception:  # reading it never raises; anything else is a key that cannot be used
        problem = "payout_key_unreadable"
    return CheckResult("payout_key", problem)


def run_checks(target: Target) -> list[CheckResult]:
    """Every check, in the order a fix is best made (the token first: the chat check needs the bot)."""
    bot, bot_id = check_bot(target)
    webhook = check_webhook(target) if bot_id is not None else CheckResult("webhook", bot.problem)
    return [
        bot,
        webhook,
        check_operators_chat(target, bot_id),
        check_ozon_key(target),
        check_table(target),
        check_sync_streams(target),
        check_payout_key(target),
    ]


def target_from_environment(expected_webhook: str | None, settings: SettingsService | None = None) -> Target:
    """The checks' target as the functions see it: their variables and secrets, the operators' Ozon key."""
    settings = settings or SettingsService()
    return Target(
        telegram_api=optional("TELEGRAM_API_URL") or DEFAULT_TELEGRAM_API,
        bot_token=optional_secret("TELEGRAM_BOT_TOKEN"),
        expected_webhook=expected_webhook,
        operators_chat_id=optional("OPERATORS_CHAT_ID"),
        ozon_credentials=settings.ozon_credentials,
        table_answers=settings.administration.get_settings_item,
        sync_streams=lambda: list(SyncState().stream_health(STREAMS).values()),
        payout_key=lambda: read_payout_key(optional(PAYOUT_KEY_VARIABLE)).problem,
    )


def webhook_for(api_url: str | None) -> str | None:
    """The webhook a deployment at ``api_url`` should have; None for a local address (the bot polls there:
    Telegram delivers only to public HTTPS URLs)."""
    if not api_url:
        return None
    host = (urlsplit(api_url).hostname or "").lower()
    if host in LOCAL_HOSTS or host.endswith(".localhost"):
        return None
    return f"{api_url.rstrip('/')}/telegram/webhook"
