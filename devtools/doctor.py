"""Preflight of a deployment from the command line (``make doctor``): the dashboard's health checks.

    python -m devtools.doctor --stack OzonReferral      # a deployed stack: its functions' secrets and table
    python -m devtools.doctor --local                   # the system `make run` runs (.local/runtime.json)
    python -m devtools.doctor --api-url https://…       # the environment as it is, with this API's webhook

With ``--stack`` the values are the admin API function's own environment (table, the secrets' names, the
operators' chat, Client-Id, endpoints); secrets are then read from Secrets Manager as the function reads
them, the operators' Ozon key from its secret. Exit
status 1 when a check fails; every failure says what to do. Tokens and keys are never printed.
"""

from __future__ import annotations

import argparse
import os
from typing import Any

from devtools.local_run import LOCAL_BOT_TOKEN, LOCAL_OPERATORS_CHAT, RUNTIME_FILE, Runtime


def _stack_environment(stack: str, session: Any = None) -> str:
    """Take the admin API function's environment from the deployed stack (its table, secrets' names, chat,
    Client-Id and endpoints: what the dashboard's checks read); the stack's API URL."""
    import boto3

    session = session or boto3.session.Session()
    cloudformation, functions = session.client("cloudformation"), session.client("lambda")
    [described] = cloudformation.describe_stacks(StackName=stack)["Stacks"]
    outputs = {o["OutputKey"]: o["OutputValue"] for o in described.get("Outputs", [])}
    resources = cloudformation.get_paginator("list_stack_resources").paginate(StackName=stack)
    for resource in (r for page in resources for r in page["StackResourceSummaries"]):
        if resource["ResourceType"] != "AWS::Lambda::Function":
            continue
        configuration = functions.get_function_configuration(FunctionName=resource["PhysicalResourceId"])
        variables = configuration.get("Environment", {}).get("Variables", {})
        if variables.get("POWERTOOLS_SERVICE_NAME") == "admin_api":
            for name, value in variables.items():
                os.environ.setdefault(name, value)
            break
    else:
        raise SystemExit(f"stack {stack} has no admin API function: is it deployed?")
    return str(outputs["ApiUrl"])


def _local_environment() -> str:
    """Point this process at the local system; its gateway's URL (a local bot polls: no webhook)."""
    runtime = Runtime.read(RUNTIME_FILE)
    values = {
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_DEFAULT_REGION": "eu-central-1",
        "TABLE_NAME": "referral-local",
        "AWS_ENDPOINT_URL_DYNAMODB": runtime.dynamodb,
        "AWS_ENDPOINT_URL_SECRETS_MANAGER": runtime.dynamodb,
        "TELEGRAM_API_URL": runtime.telegram_api,
        "OZON_API_URL": runtime.ozon_api,
        "OPERATORS_CHAT_ID": LOCAL_OPERATORS_CHAT,
    }
    if runtime.payout_key_arn:
        values["PAYOUT_FINGERPRINT_KEY_ARN"] = runtime.payout_key_arn
    if runtime.fake_telegram:
        values["TELEGRAM_BOT_TOKEN"] = LOCAL_BOT_TOKEN
    if runtime.fake_ozon:
        from devtools.fake_ozon import FakeOzon

        fake = FakeOzon(contract=False)
        values |= {"OZON_CLIENT_ID": fake.client_id, "OZON_API_KEY": fake.api_key}
    for name, value in values.items():
        os.environ.setdefault(name, value)
    return runtime.gateway


def report(results: list[Any]) -> str:
    lines = []
    for result in results:
        facts = ", ".join(f"{k}={v}" for k, v in result.facts.items() if v not in (None, "", []))
        mark = "ok  " if result.ok else "FAIL"
        lines.append(f"[{mark}] {result.check}" + (f" ({facts})" if facts else ""))
        if not result.ok:
            lines.append(f"       {result.problem}: {result.advice}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--stack", help="a deployed CloudFormation stack (reads its outputs and secrets)")
    where.add_argument("--local", action="store_true", help="the system `make run` is running")
    where.add_argument("--api-url", help="this deployment's API URL, for the webhook check")
    args = parser.parse_args(argv)
    if args.stack:
        api_url: str | None = _stack_environment(args.stack)
    elif args.local:
        api_url = _local_environment()
    else:
        api_url = args.api_url

    from referral.preflight import run_checks, target_from_environment, webhook_for
    from referral.repository.table import bind_table

    bind_table(os.environ.get("TABLE_NAME", ""))
    results = run_checks(target_from_environment(webhook_for(api_url)))
    print(report(results))
    return 0 if all(r.ok for r in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
