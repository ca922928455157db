"""Post-deploy step: point Telegram at the deployed webhook, with the secret token Telegram must echo.

    python -m infra.set_webhook --stack OzonReferral            # URL from the stack's ApiUrl output
    python -m infra.set_webhook --api-url https://….execute-api….amazonaws.com

The bot token and the webhook secret are read from Secrets Manager (the names the stack uses), never
printed. Telegram then sends every update with ``X-Telegram-Bot-Api-Secret-Token``, which the webhook checks.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

import boto3
import requests

from infra.catalog import SECRET_NAMES

ALLOWED_UPDATES = ["message", "edited_message", "callback_query", "my_chat_member"]


def stack_api_url(stack_name: str, cloudformation: Any = None) -> str:
    client = cloudformation or boto3.client("cloudformation")
    [stack] = client.describe_stacks(StackName=stack_name)["Stacks"]
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
    if "ApiUrl" not in outputs:
        raise SystemExit(f"stack {stack_name} has no ApiUrl output: is it deployed?")
    return str(outputs["ApiUrl"])


def read_secret(prefix: str, variable: str, secrets: Any = None) -> str:
    client = secrets or boto3.client("secretsmanager")
    value = client.get_secret_value(SecretId=f"{prefix}/{SECRET_NAMES[variable]}")["SecretString"]
    return str(value).strip()


def set_webhook(
    api_url: str, token: str, secret_token: str, telegram_api: str = "https://api.telegram.org"
) -> str:
    webhook = f"{api_url.rstrip('/')}/telegram/webhook"
    answer = requests.post(
        f"{telegram_api}/bot{token}/setWebhook",
        json={
            "url": webhook,
            "secret_token": secret_token,
            "allowed_updates": ALLOWED_UPDATES,
            "drop_pending_updates": False,
        },
        timeout=30,
    )
    data = answer.json()
    if not data.get("ok"):
        raise SystemExit(f"Telegram refused setWebhook: {data.get('description')}")
    return webhook


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--stack", help="CloudFormation stack name (reads its ApiUrl output)")
    where.add_argument("--api-url", help="base URL of the HTTP API")
    parser.add_argument("--secret-prefix", default="ozon-referral")
    parser.add_argument("--telegram-api", default="https://api.telegram.org")
    args = parser.parse_args(argv)
    api_url = args.api_url or stack_api_url(args.stack)
    webhook = set_webhook(
        api_url,
        read_secret(args.secret_prefix, "TELEGRAM_BOT_TOKEN"),
        read_secret(args.secret_prefix, "TELEGRAM_WEBHOOK_SECRET"),
        args.telegram_api,
    )
    print(f"Telegram now delivers updates to {webhook}", file=sys.stdout)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
