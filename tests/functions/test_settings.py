"""Each function's settings: one validated model, read at start; a bad or missing value names its variable."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from referral.admin.context import AdminSettings
from referral.config import ConfigurationError
from referral.ozon.config import OzonSettings

from functions.bot_webhook.handler import WebhookSettings
from functions.ozon_sync.handler import SyncSettings

ROOT = Path(__file__).resolve().parents[2]
WEBHOOK_ENV = {
    "TABLE_NAME": "referral",
    "TELEGRAM_BOT_TOKEN": "7000000001:token",
    "TELEGRAM_BOT_USERNAME": "referral_bot",
    "TELEGRAM_WEBHOOK_SECRET": "webhook-secret",
}


def start_in_lambda(module: str, env: dict[str, str], probe: str = "") -> subprocess.CompletedProcess[str]:
    """Import a handler as a Lambda container's init does, in a fresh interpreter with only ``env`` set."""
    prefixes = ("TABLE_", "TELEGRAM_", "OZON_", "ADMIN_", "_HANDLER")
    clean = {k: v for k, v in os.environ.items() if not k.startswith(prefixes)}
    path = os.pathsep.join([str(ROOT), str(ROOT / "layers" / "shared" / "python")])
    return subprocess.run(  # noqa: S603 - our own interpreter, fixed code
        [sys.executable, "-c", f"import {module}\n{probe}"],
        env={**clean, **env, "AWS_LAMBDA_FUNCTION_NAME": "test", "PYTHONPATH": path},
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("module", "env", "named"),
    [
        ("functions.ozon_sync.handler", {"TABLE_NAME": "t", "OZON_MAX_RPS": "fast"}, "OZON_MAX_RPS"),
        ("functions.reconcile.handler", {}, "TABLE_NAME is not set"),
        (
            "functions.admin_api.handler",
            {"TABLE_NAME": "t"},
            "ADMIN_SESSION_SECRET (or ADMIN_SESSION_SECRET_SECRET_ID)",
        ),
        (
            "functions.bot_webhook.handler",
            {k: v for k, v in WEBHOOK_ENV.items() if k != "TELEGRAM_WEBHOOK_SECRET"},
            "TELEGRAM_WEBHOOK_SECRET (or TELEGRAM_WEBHOOK_SECRET_SECRET_ID)",
        ),
    ],
)
def test_a_bad_or_missing_value_fails_the_start_naming_the_variable(
    module: str, env: dict[str, str], named: str
) -> None:
    started = start_in_lambda(module, env)

    assert started.returncode != 0
    assert "ConfigurationError" in started.stderr and named in started.stderr, started.stderr


def test_the_webhook_starts_without_loading_the_bot() -> None:
    probe = "import sys; assert 'referral.telegram.app' not in sys.modules; print('started')"

    started = start_in_lambda("functions.bot_webhook.handler", WEBHOOK_ENV, probe)

    assert (started.returncode, started.stdout.strip()) == (0, "started"), started.stderr


def test_the_scheduled_rollup_starts_with_the_table_alone() -> None:
    """The rollup shares the admin API's module, not its secrets: Lambda names the entry in ``_HANDLER``."""
    started = start_in_lambda(
        "functions.admin_api.handler", {"TABLE_NAME": "t", "_HANDLER": "handler.rollup"}, "print('started')"
    )

    assert (started.returncode, started.stdout.strip()) == (0, "started"), started.stderr


def test_values_are_stripped_and_an_empty_variable_is_unset() -> None:
    settings = SyncSettings.from_env(
        {"TABLE_NAME": "  referral \n", "OZON_MAX_RPS": " 20 ", "OZON_PAGE_SIZE": " "}
    )

    assert (settings.table_name, settings.ozon_max_rps, settings.ozon_page_size) == ("referral", 20, 100)


def test_every_bad_value_is_named_at_once() -> None:
    with pytest.raises(ConfigurationError) as raised:
        OzonSettings.from_env(
            {"OZON_MAX_RPS": "41", "OZON_API_URL": "ftp://ozon", "OZON_BACKFILL_DAYS": "1.5"}
        )

    message = str(raised.value)
    assert all(name in message for name in ("OZON_MAX_RPS", "OZON_API_URL", "OZON_BACKFILL_DAYS")), message


def test_a_secret_value_never_appears_in_the_message() -> None:
    env = {
        **WEBHOOK_ENV,
        "TELEGRAM_WEBHOOK_SECRET_MAX_AGE": "3600",
        "TELEGRAM_WEBHOOK_SECRET": "hunter2-hunter2",
    }

    with pytest.raises(ConfigurationError, match="TELEGRAM_WEBHOOK_SECRET_MAX_AGE") as raised:
        WebhookSettings.from_env(env)

    assert "hunter2" not in str(raised.value)
    assert "hunter2" not in repr(
        WebhookSettings.from_env(WEBHOOK_ENV | {"TELEGRAM_WEBHOOK_SECRET": "hunter2"})
    )


def test_a_secret_is_stripped_where_it_is_given_as_a_value() -> None:
    settings = WebhookSettings.from_env(WEBHOOK_ENV | {"TELEGRAM_WEBHOOK_SECRET": "  spaced-secret \n"})

    assert settings.telegram_webhook_secret.get() == "spaced-secret"


def test_the_development_login_is_refused_next_to_deployed_secrets() -> None:
    env = {
        "TABLE_NAME": "t",
        "TELEGRAM_BOT_TOKEN": "7000000001:token",
        "ADMIN_SESSION_SECRET_SECRET_ID": "ozon-referral/admin-session-secret",
        "ADMIN_DEV_LOGIN": "1",
    }

    with pytest.raises(ConfigurationError, match="ADMIN_DEV_LOGIN is for local runs"):
        AdminSettings.from_env(env)
