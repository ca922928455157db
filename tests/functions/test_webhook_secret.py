"""The webhook's secret token: re-read within a bounded time, refreshed once on a mismatch, rate-limited."""

from __future__ import annotations

import pytest
from referral.config import ConfigurationError, Secret
from referral.wiring.webhook_secret import WebhookSecret

from tests.functions.conftest import SecretsManager

MAX_AGE = 60.0
INTERVAL = 10.0


class Ticks:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def webhook_secret(manager: SecretsManager, ticks: Ticks, value: str = "first-secret") -> WebhookSecret:
    secret_id = manager.create("ozon-referral/telegram-webhook-secret", value)
    source = Secret(variable="TELEGRAM_WEBHOOK_SECRET", secret_id=secret_id)
    return WebhookSecret(source, max_age=MAX_AGE, refresh_interval=INTERVAL, clock=ticks)


def test_the_secret_is_read_once_per_window(secrets_manager: SecretsManager) -> None:
    ticks = Ticks()
    secret = webhook_secret(secrets_manager, ticks)

    assert all(secret.matches("first-secret") for _ in range(20))
    assert len(secrets_manager.reads) == 1
    ticks.now += MAX_AGE
    assert secret.matches("first-secret")
    assert len(secrets_manager.reads) == 2


def test_a_rotated_secret_is_accepted_at_once_and_the_old_one_refused(
    secrets_manager: SecretsManager,
) -> None:
    ticks = Ticks()
    secret = webhook_secret(secrets_manager, ticks)
    assert secret.matches("first-secret")

    secrets_manager.rotate("ozon-referral/telegram-webhook-secret", "second-secret")

    assert secret.matches("second-secret")  # a mismatch inside the window forced one refresh
    assert not secret.matches("first-secret")
    assert len(secrets_manager.reads) == 2


def test_a_flood_of_bad_tokens_forces_at_most_one_refresh_per_interval(
    secrets_manager: SecretsManager,
) -> None:
    ticks = Ticks()
    secret = webhook_secret(secrets_manager, ticks)
    assert secret.matches("first-secret")

    assert not any(secret.matches(f"guess-{n}") for n in range(200))
    assert len(secrets_manager.reads) == 2
    ticks.now += INTERVAL
    assert not any(secret.matches(f"guess-{n}") for n in range(200))
    assert len(secrets_manager.reads) == 3


def test_without_a_refresh_the_rotation_takes_effect_within_the_window(
    secrets_manager: SecretsManager,
) -> None:
    ticks = Ticks()
    secret = webhook_secret(secrets_manager, ticks)
    assert not secret.matches("nobody-knows")  # the forced refresh of this interval is spent
    secrets_manager.rotate("ozon-referral/telegram-webhook-secret", "second-secret")

    assert not secret.matches("second-secret")  # still inside the interval: not refreshed yet
    ticks.now += MAX_AGE
    assert secret.matches("second-secret")


@pytest.mark.parametrize("stored", ["  padded-secret\n", "\tpadded-secret "])
def test_surrounding_whitespace_of_a_stored_secret_is_stripped(
    secrets_manager: SecretsManager, stored: str
) -> None:
    secret = webhook_secret(secrets_manager, Ticks(), stored)

    assert secret.matches("padded-secret")


def test_an_empty_secret_is_a_configuration_error_naming_the_variable(
    secrets_manager: SecretsManager,
) -> None:
    secret = webhook_secret(secrets_manager, Ticks(), "   ")

    with pytest.raises(ConfigurationError, match="TELEGRAM_WEBHOOK_SECRET"):
        secret.matches("anything")


def test_a_missing_header_never_reads_the_secret(secrets_manager: SecretsManager) -> None:
    secret = webhook_secret(secrets_manager, Ticks())

    assert not secret.matches(None)
    assert not secret.matches("")
    assert secrets_manager.reads == []
