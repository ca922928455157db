"""One Lambda function with its own log group, least-privilege role, tracing and Powertools settings."""

from __future__ import annotations

from pathlib import Path

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from infra.catalog import ASSET_EXCLUDES, FunctionSpec
from infra.constructs.findings import acknowledge
from infra.constructs.layers import ARCHITECTURE, RUNTIME, Layers

LOG_RETENTION = logs.RetentionDays.THREE_MONTHS
OZON_CONNECTION_MANAGE = ("CreateSecret", "PutSecretValue", "DeleteSecret", "GetSecretValue")
"""What the admin API does with the operators' Seller API key secret, and nothing else."""
METRICS_NAMESPACE = "OzonReferral"
EXTERNAL_APIS = {
    "telegram": {"TELEGRAM_API_URL": "https://api.telegram.org"},
    "ozon": {"OZON_API_URL": "https://api-seller.ozon.ru"},
}
"""Base URLs of the external APIs, declared so that a local run (``sam local``) can point them elsewhere."""


class ReferralFunction(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        spec: FunctionSpec,
        repo_root: Path,
        layers: Layers,
        table: dynamodb.ITableV2,
        secrets: dict[str, secretsmanager.ISecret],
        environment: dict[str, str],
        ozon_connection: secretsmanager.ISecret | None = None,
        payout_fingerprint_key: secretsmanager.ISecret | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.spec = spec
        log_group = logs.LogGroup(self, "Logs", retention=LOG_RETENTION, removal_policy=RemovalPolicy.DESTROY)
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"{spec.name}: its log group, the table, its own secrets",
        )
        log_group.grant_write(self.role)
        stack = Stack.of(self)
        env = {
            "TABLE_NAME": table.table_name,
            "AWS_ENDPOINT_URL_DYNAMODB": f"https://dynamodb.{stack.region}.{stack.url_suffix}",
            "POWERTOOLS_SERVICE_NAME": spec.name,
            "POWERTOOLS_METRICS_NAMESPACE": METRICS_NAMESPACE,
            "POWERTOOLS_LOG_LEVEL": "INFO",
            "POWERTOOLS_TRACE_DISABLED": "false",
            **environment,
            **spec.environment,
        }
        for api in spec.talks_to:
            env.update(EXTERNAL_APIS[api])
        if spec.secrets:
            env["AWS_ENDPOINT_URL_SECRETS_MANAGER"] = (
                f"https://secretsmanager.{stack.region}.{stack.url_suffix}"
            )
        for variable in spec.secrets:
            secret = secrets[variable]
            env[f"{variable}_SECRET_ID"] = secret.secret_name
            secret.grant_read(self.role)
        if spec.ozon_connection and ozon_connection is not None:
            env["OZON_CONNECTION_SECRET_NAME"] = ozon_connection.secret_name
            self._grant_ozon_connection(spec.ozon_connection, ozon_connection)
        if spec.payout_fingerprint_key and payout_fingerprint_key is not None:
            env["PAYOUT_FINGERPRINT_KEY_ARN"] = payout_fingerprint_key.secret_arn
            payout_fingerprint_key.grant_read(self.role)
        self.function = lambda_.Function(
            self,
            "Function",
            description=spec.description,
            runtime=RUNTIME,
            architecture=ARCHITECTURE,
            handler=spec.entry,
            code=lambda_.Code.from_asset(
                str(repo_root / "functions" / spec.code_folder), exclude=list(ASSET_EXCLUDES)
            ),
            layers=[layers.dependencies, layers.shared],
            role=self.role,
            log_group=log_group,
            timeout=Duration.seconds(spec.timeout_seconds),
            memory_size=spec.memory_mb,
            reserved_concurrent_executions=spec.reserved_concurrency,
            tracing=lambda_.Tracing.ACTIVE,
            environment=env,
        )
        table.grant(self.role, *(f"dynamodb:{action}" for action in spec.table_actions))
        acknowledge(
            self,
            "IAM5[Resource::*]",
            "X-Ray's PutTraceSegments/PutTelemetryRecords take no resource; added by active tracing",
        )
        table_id = Stack.of(self).get_logical_id(table.node.default_child)  # type: ignore[arg-type]
        acknowledge(
            self,
            f"IAM5[Resource::<{table_id}.Arn>/index/*]",
            "The function queries the table's own indexes (GSI1, GSI2, DUE); nothing beyond this table",
        )
        acknowledge(
            self,
            "L1",
            "Pinned to Python 3.13, the runtime the dependency layer is built for (`make layer`); "
            "the test suite runs on Python 3.11+, and a newer runtime is adopted by changing RUNTIME",
        )

    def _grant_ozon_connection(self, access: str, secret: secretsmanager.ISecret) -> None:
        """Readers may read the operators' key; the admin API also creates, versions and deletes it."""
        if access == "read":
            secret.grant_read(self.role)
            return
        self.role.add_to_policy(
            iam.PolicyStatement(
                actions=[f"secretsmanager:{action}" for action in OZON_CONNECTION_MANAGE],
                # A secret's ARN ends in six random characters after its name.
                resources=[f"{secret.secret_arn}-??????"],
            )
        )
