"""The whole system in one stack: table, layers, functions, HTTP API, schedules, secrets, alarms."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aws_cdk import CfnOutput, Stack
from constructs import Construct

from infra.catalog import DEFAULT_SECRET_PREFIX, FUNCTIONS
from infra.constructs.data_table import DataTable
from infra.constructs.function import ReferralFunction
from infra.constructs.http_api import HttpApi
from infra.constructs.layers import Layers
from infra.constructs.monitoring import Monitoring
from infra.constructs.schedules import Schedules
from infra.constructs.secrets import Secrets

REPO_ROOT = Path(__file__).resolve().parent.parent


REQUIRED_VALUES = {
    "telegram_bot_username": (re.compile(r"[A-Za-z][A-Za-z0-9_]{1,28}[Bb][Oo][Tt]"), "the bot's @username"),
    "operators_chat_id": (re.compile(r"-100\d{5,}"), "the operators' forum supergroup, -100…"),
    "bootstrap_admin_ids": (re.compile(r"\d+(,\d+)*"), "comma-separated Telegram ids of the first owners"),
}
"""Context values a deployment cannot do without, with their form and meaning."""


class DeploymentValuesMissing(ValueError):
    """Synthesis stops before a stack without its bot, operators' chat or first owners is deployed."""


@dataclass(frozen=True)
class DeploymentSettings:
    """Deployment-specific values, from CDK context (``cdk deploy -c name=value``)."""

    telegram_bot_username: str
    operators_chat_id: str
    bootstrap_admin_ids: str
    ozon_client_id: str = ""
    """The deployment's Seller API Client-Id (its key is a secret); operators may set both in the web app."""
    admin_web_app_url: str = ""
    """The admin web app's address (``https://…/admin/app``), linked from the operators' topics; optional."""
    dependencies_path: Path = REPO_ROOT / "build" / "dependencies"
    secret_prefix: str = DEFAULT_SECRET_PREFIX
    extra_environment: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_context(cls, get: Any) -> DeploymentSettings:
        values = {name: str(get(name) or "").strip().lstrip("@") for name in REQUIRED_VALUES}
        values["bootstrap_admin_ids"] = values["bootstrap_admin_ids"].replace(" ", "")
        problems = [
            f"  {name}: {meaning}" + (f" (got {values[name]!r})" if values[name] else "")
            for name, (form, meaning) in REQUIRED_VALUES.items()
            if not form.fullmatch(values[name])
        ]
        ozon_client_id = str(get("ozon_client_id") or "").strip()
        if ozon_client_id and not ozon_client_id.isdigit():
            problems.append(f"  ozon_client_id: the Seller API Client-Id, digits (got {ozon_client_id!r})")
        admin_web_app_url = str(get("admin_web_app_url") or "").strip().rstrip("/")
        if admin_web_app_url and not re.fullmatch(r"https?://[^\s/?#]+(/[^\s?#]*)?", admin_web_app_url):
            problems.append(f"  admin_web_app_url: the web app's https address (got {admin_web_app_url!r})")
        if problems:
            raise DeploymentValuesMissing(
                "Deployment values are missing or malformed:\n"
                + "\n".join(problems)
                + "\nPass them as CDK context, e.g.\n"
                "  make deploy telegram_bot_username=<bot> operators_chat_id=-100… bootstrap_admin_ids=<id>\n"
                "  npx aws-cdk@2 deploy -c telegram_bot_username=<bot> -c operators_chat_id=-100… "
                "-c bootstrap_admin_ids=<id>"
            )
        return cls(
            telegram_bot_username=values["telegram_bot_username"],
            operators_chat_id=values["operators_chat_id"],
            bootstrap_admin_ids=values["bootstrap_admin_ids"],
            ozon_client_id=ozon_client_id,
            admin_web_app_url=admin_web_app_url,
            dependencies_path=Path(get("dependencies_path") or cls.dependencies_path),
            secret_prefix=get("secret_prefix") or cls.secret_prefix,
        )


class ReferralStack(Stack):
    def __init__(
        self, scope: Construct, construct_id: str, *, settings: DeploymentSettings, **kwargs: Any
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.table = DataTable(self, "Data").table
        layers = Layers(self, "Layers", repo_root=REPO_ROOT, dependencies_path=settings.dependencies_path)
        secrets = Secrets(self, "Secrets", prefix=settings.secret_prefix)
        environment = {
            "TELEGRAM_BOT_USERNAME": settings.telegram_bot_username,
            "OPERATORS_CHAT_ID": settings.operators_chat_id,
            "BOOTSTRAP_ADMIN_IDS": settings.bootstrap_admin_ids,
            **({"ADMIN_WEB_APP_URL": settings.admin_web_app_url} if settings.admin_web_app_url else {}),
            **settings.extra_environment,
        }
        self.functions = {
            spec.name: ReferralFunction(
                self,
                "".join(part.title() for part in spec.name.split("_")),
                spec=spec,
                repo_root=REPO_ROOT,
                layers=layers,
                table=self.table,
                secrets=secrets.by_variable,
                ozon_connection=secrets.ozon_connection,
                payout_fingerprint_key=secrets.payout_fingerprint_key,
                environment=environment
                | ({"OZON_CLIENT_ID": settings.ozon_client_id} if "ozon" in spec.talks_to else {}),
            )
            for spec in FUNCTIONS
        }
        self.api = HttpApi(
            self,
            "Http",
            [
                (f.spec.route[0], f.spec.route[1], f.function)
                for f in self.functions.values()
                if f.spec.route is not None
            ],
        )
        self.schedules = Schedules(
            self,
            "Schedules",
            [(f.spec, f.function) for f in self.functions.values() if f.spec.schedule_minutes is not None],
        )
        self.monitoring = Monitoring(
            self,
            "Monitoring",
            functions=[(f.spec, f.function) for f in self.functions.values()],
            dead_letters=self.schedules.dead_letters,
        )
        CfnOutput(self, "ApiUrl", value=self.api.stage.url, description="Base URL of the HTTP API")
        CfnOutput(self, "TableName", value=self.table.table_name)
        CfnOutput(self, "AlarmTopic", value=self.monitoring.topic.topic_arn)
