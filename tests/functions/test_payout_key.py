"""The payout fingerprint key as the bot and the admin API read it: once, from Secrets Manager, by the ARN
the stack gives them; anything short of a usable key turns the signal off with a reason, never a failure."""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest
from moto import mock_aws
from referral.wiring.payout_key import PayoutKeySettings, read_payout_key

from functions.bot_webhook.handler import WebhookSettings

KEY = "x" * 48


@pytest.fixture
def secrets() -> Iterator[object]:
    with mock_aws():
        yield boto3.client("secretsmanager")


def test_a_readable_key_makes_a_fingerprinter_and_is_read_once(secrets: object) -> None:
    arn = boto3.client("secretsmanager").create_secret(Name="shop/payout-fingerprint-key", SecretString=KEY)[
        "ARN"
    ]
    state = read_payout_key(arn)
    assert state.problem is None and state.fingerprinter is not None
    boto3.client("secretsmanager").delete_secret(SecretId=arn, ForceDeleteWithoutRecovery=True)
    cached = read_payout_key(arn)  # the container's copy: Powertools keeps it for the key's cache age
    assert cached.fingerprinter is not None
    assert cached.fingerprinter.of_message("+79151234567") == state.fingerprinter.of_message("+79151234567")
    assert KEY not in repr(state) and KEY not in repr(cached.fingerprinter)


@pytest.mark.parametrize(
    ("secret", "problem"),
    [(None, "payout_key_not_configured"), ("missing", "payout_key_unreadable"), ("short", "payout_key_weak")],
)
def test_no_usable_key_says_why(secrets: object, secret: str | None, problem: str) -> None:
    client = boto3.client("secretsmanager")
    client.create_secret(Name="shop/short", SecretString="too-short-a-key")
    secret_id = {"missing": "shop/no-such-secret", "short": "shop/short"}.get(secret or "")
    state = read_payout_key(secret_id)
    assert (state.fingerprinter, state.problem) == (None, problem)


def test_the_settings_take_the_arn_and_log_a_warning_without_a_key(
    secrets: object, caplog: pytest.LogCaptureFixture
) -> None:
    settings = WebhookSettings.from_env(
        {
            "TABLE_NAME": "t",
            "TELEGRAM_BOT_TOKEN": "1:x",
            "TELEGRAM_BOT_USERNAME": "bot",
            "TELEGRAM_WEBHOOK_SECRET": "s",
            "PAYOUT_FINGERPRINT_KEY_ARN": " arn:aws:secretsmanager:eu-central-1:1:secret:shop/k-AbCdEf ",
        }
    )
    assert isinstance(settings, PayoutKeySettings)
    assert settings.payout_fingerprint_key_arn == "arn:aws:secretsmanager:eu-central-1:1:secret:shop/k-AbCdEf"
    assert settings.payout_fingerprinter() is None
    [warning] = [r for r in caplog.records if r.getMessage().startswith("shared payout signal is off")]
    assert (warning.levelname, getattr(warning, "problem", None)) == ("WARNING", "payout_key_unreadable")
