"""The dashboard's health panel: the preflight checks of this deployment (owners)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler.api_gateway import Router
from pydantic import BaseModel

from referral.admin import context
from referral.admin.roles import owner_only
from referral.preflight import run_checks, target_from_environment, webhook_for

router = Router()  # type: ignore[no-untyped-call]


class HealthCheck(BaseModel):
    check: str
    """bot_token, webhook, operators_chat, ozon_key or table."""
    ok: bool
    problem: str | None
    """A stable code the web app words in the operator's language."""
    advice: str | None
    """What to do, in one English sentence."""
    facts: dict[str, Any]
    """What was found (never a token or key): the webhook URL, the key's roles and expiry, …"""


class Health(BaseModel):
    ok: bool
    checks: list[HealthCheck]


@router.get(
    "/health",
    summary="Preflight: bot token, webhook, operators' chat, Ozon key and roles, table (owners)",
    tags=["health"],
    middlewares=[owner_only],
)
def health() -> Health:
    domain = (router.current_event.raw_event.get("requestContext") or {}).get("domainName")
    expected = webhook_for(f"https://{domain}" if domain else None)
    target = target_from_environment(expected, context.current().services.settings)
    checks = [
        HealthCheck(check=c.check, ok=c.ok, problem=c.problem, advice=c.advice, facts=c.facts)
        for c in run_checks(target)
    ]
    return Health(ok=all(c.ok for c in checks), checks=checks)
