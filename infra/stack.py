"""The whole system in one stack: table, layers, functions, HTTP API, schedules, secrets, alarms."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aws_cdk import CfnOutput, Stack
from constructs import Construct

from infra.catalog import FUNCTIONS
from infra.constructs.data_table import DataTable
from infra.constructs.function import ReferralFunction
from infra.constructs.http_api import HttpApi
from infra.constructs.layers import Layers
from infra.constructs.monitoring import Monitoring
from infra.constructs.schedules import Schedules
from infra.constructs.secrets import Secrets

REPO_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class DeploymentSettings:
    """Deployment-specific values, from CDK context (``cdk deploy -c name=value``)."""

    dependencies_path: Path = REPO_ROOT / "build" / "dependencies"
    secret_prefix: str = "ozon-referral"  # noqa: S105 - a name prefix, not a secret
    telegram_bot_username: str = ""
    operators_chat_id: str = ""
    bootstrap_admin_ids: str = ""
    extra_environment: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_context(cls, get: Any) -> DeploymentSettings:
        defaults = cls()
        return cls(
            dependencies_path=Path(get("dependencies_path") or defaults.dependencies_path),
            secret_prefix=get("secret_prefix") or defaults.secret_prefix,
            telegram_bot_username=get("telegram_bot_username") or "",
            operators_chat_id=str(get("operators_chat_id") or ""),
            bootstrap_admin_ids=str(get("bootstrap_admin_ids") or ""),
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
                environment=environment,
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
            [
                (f.spec.name, f.spec.schedule_minutes, f.function)
                for f in self.functions.values()
                if f.spec.schedule_minutes is not None
            ],
        )
        self.monitoring = Monitoring(
            self,
            "Monitoring",
            functions={name: f.function for name, f in self.functions.items()},
            dead_letters=self.schedules.dead_letters,
        )
        CfnOutput(self, "ApiUrl", value=self.api.stage.url, description="Base URL of the HTTP API")
        CfnOutput(self, "TableName", value=self.table.table_name)
        CfnOutput(self, "AlarmTopic", value=self.monitoring.topic.topic_arn)
