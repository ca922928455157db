"""The post-deploy step sets Telegram's webhook with the secret token from Secrets Manager."""

from __future__ import annotations

import boto3
import pytest
from moto import mock_aws

from devtools.fake_telegram import FakeTelegram
from infra.set_webhook import main


def test_set_webhook_reads_the_secrets_and_calls_telegram(capsys: pytest.CaptureFixture[str]) -> None:
    with mock_aws(), FakeTelegram() as telegram:
        secrets = boto3.client("secretsmanager")
        secrets.create_secret(Name="ozon-referral/telegram-bot-token", SecretString="4242:prod-token")
        secrets.create_secret(Name="ozon-referral/telegram-webhook-secret", SecretString="s3cr3t_token-1")

        code = main(
            [
                "--api-url",
                "https://abc.execute-api.eu-central-1.amazonaws.com/",
                "--telegram-api",
                telegram.url,
            ]
        )

        assert code == 0
        [call] = telegram.calls_to("setWebhook")
        assert call.token == "4242:prod-token"
        assert call.params["url"] == "https://abc.execute-api.eu-central-1.amazonaws.com/telegram/webhook"
        assert call.params["secret_token"] == "s3cr3t_token-1"
        assert "message" in call.params["allowed_updates"]
        output = capsys.readouterr().out
        assert "s3cr3t" not in output and "prod-token" not in output
