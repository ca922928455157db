"""The CDK stack, synthesized without an AWS account: resources, permissions, routes, schedules, alarms."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

aws_cdk = pytest.importorskip("aws_cdk")
from aws_cdk import App  # noqa: E402
from aws_cdk.assertions import Match, Template  # noqa: E402
from referral.repository.table import table_definition  # noqa: E402

from infra.app import build_app  # noqa: E402
from infra.catalog import FUNCTIONS, SECRET_NAMES  # noqa: E402


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Template:
    dependencies = tmp_path_factory.mktemp("dependencies")
    (dependencies / "python").mkdir()
    (dependencies / "python" / "placeholder.txt").write_text(
        "dependency layer content is built by `make layer`"
    )
    app, stack = build_app(
        App(
            context={
                "dependencies_path": str(dependencies),
                "telegram_bot_username": "referral_bot",
                "operators_chat_id": "-1001234567890",
                "bootstrap_admin_ids": "42",
            },
            outdir=str(tmp_path_factory.mktemp("cdk.out")),
        )
    )
    # Synthesis fails on any AWS Solutions (cdk-nag) finding that is not acknowledged with a reason.
    app.synth()
    return Template.from_stack(stack)


def resources(template: Template, kind: str) -> dict[str, Any]:
    return template.find_resources(kind)


def test_the_table_is_exactly_the_one_table_definition(template: Template) -> None:
    spec = table_definition()
    [table] = resources(template, "AWS::DynamoDB::GlobalTable").values()
    props = table["Properties"]
    assert props["KeySchema"] == [
        {"AttributeName": spec.partition_key, "KeyType": "HASH"},
        {"AttributeName": spec.sort_key, "KeyType": "RANGE"},
    ]
    indexes = {
        gsi["IndexName"]: (
            [k["AttributeName"] for k in gsi["KeySchema"]],
            gsi["Projection"]["ProjectionType"],
        )
        for gsi in props["GlobalSecondaryIndexes"]
    }
    assert indexes == {i.name: ([i.partition_key, i.sort_key], i.projection) for i in spec.global_indexes}
    declared = {d["AttributeName"]: d["AttributeType"] for d in props["AttributeDefinitions"]}
    assert declared == spec.attribute_types
    assert props["TimeToLiveSpecification"] == {"AttributeName": spec.ttl_attribute, "Enabled": True}
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    replica = props["Replicas"][0]
    assert replica["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
    assert replica["DeletionProtectionEnabled"] is True
    assert table["DeletionPolicy"] == "Retain"


def test_every_function_is_arm64_python_with_powertools_and_its_own_role(template: Template) -> None:
    functions = resources(template, "AWS::Lambda::Function")
    ours = {
        f["Properties"]["Environment"]["Variables"]["POWERTOOLS_SERVICE_NAME"]: f["Properties"]
        for f in functions.values()
        if "POWERTOOLS_SERVICE_NAME" in f["Properties"].get("Environment", {}).get("Variables", {})
    }
    assert set(ours) == {spec.name for spec in FUNCTIONS}
    roles = {props["Role"]["Fn::GetAtt"][0] for props in ours.values()}
    assert len(roles) == len(ours), "each function has its own role"
    for props in ours.values():
        assert props["Architectures"] == ["arm64"]
        assert props["Runtime"].startswith("python3.1")
        assert int(props["Runtime"].removeprefix("python3.")) >= 12
        assert props["Handler"] in ("handler.handler", "handler.rollup")
        assert props["TracingConfig"] == {"Mode": "Active"}
        assert len(props["Layers"]) == 2
        variables = props["Environment"]["Variables"]
        assert "TABLE_NAME" in variables and variables["POWERTOOLS_METRICS_NAMESPACE"] == "OzonReferral"
        assert "LoggingConfig" in props  # its own log group with retention
    assert ours["ozon_sync"]["ReservedConcurrentExecutions"] == 1
    log_groups = resources(template, "AWS::Logs::LogGroup")
    assert all(g["Properties"].get("RetentionInDays") for g in log_groups.values())


def test_functions_read_only_their_own_secrets(template: Template) -> None:
    functions = resources(template, "AWS::Lambda::Function")
    policies = resources(template, "AWS::IAM::Policy")
    by_role = {
        p["Properties"]["Roles"][0]["Ref"]: p["Properties"]["PolicyDocument"]["Statement"]
        for p in policies.values()
    }
    for spec in FUNCTIONS:
        props = next(
            f["Properties"]
            for f in functions.values()
            if f["Properties"].get("Environment", {}).get("Variables", {}).get("POWERTOOLS_SERVICE_NAME")
            == spec.name
        )
        variables = props["Environment"]["Variables"]
        assert {k.removesuffix("_SECRET_ID") for k in variables if k.endswith("_SECRET_ID")} == set(
            spec.secrets
        )
        for variable in spec.secrets:
            assert variables[f"{variable}_SECRET_ID"] == f"ozon-referral/{SECRET_NAMES[variable]}"
        statements = by_role[props["Role"]["Fn::GetAtt"][0]]
        secret_statements = [s for s in statements if "secretsmanager:GetSecretValue" in _actions(s)]
        granted = sorted(
            name
            for s in secret_statements
            for name in SECRET_NAMES.values()
            if f"ozon-referral/{name}-" in json.dumps(s["Resource"])
        )
        assert granted == sorted(SECRET_NAMES[v] for v in spec.secrets)
        for statement in statements:
            for action in _actions(statement):
                assert action != "*" and not action.endswith(":*"), (
                    f"{spec.name} has wildcard action {action}"
                )


def _actions(statement: dict[str, Any]) -> list[str]:
    actions = statement["Action"]
    return [actions] if isinstance(actions, str) else list(actions)


def test_http_api_routes_and_throttling(template: Template) -> None:
    routes = {r["Properties"]["RouteKey"] for r in resources(template, "AWS::ApiGatewayV2::Route").values()}
    assert routes == {"POST /telegram/webhook", "ANY /admin/{proxy+}"}
    template.has_resource_properties(
        "AWS::ApiGatewayV2::Stage",
        {
            "AutoDeploy": True,
            "DefaultRouteSettings": {
                "ThrottlingRateLimit": Match.any_value(),
                "ThrottlingBurstLimit": Match.any_value(),
            },
            "AccessLogSettings": Match.object_like({"DestinationArn": Match.any_value()}),
        },
    )


def test_schedules_with_dead_letters(template: Template) -> None:
    rules = resources(template, "AWS::Events::Rule")
    expressions = sorted(r["Properties"]["ScheduleExpression"] for r in rules.values())
    assert expressions == sorted(
        f"rate({s.schedule_minutes} minutes)"
        if s.schedule_minutes != 60 and s.schedule_minutes != 1440
        else ("rate(1 hour)" if s.schedule_minutes == 60 else "rate(1 day)")
        for s in FUNCTIONS
        if s.schedule_minutes
    )
    for rule in rules.values():
        [target] = rule["Properties"]["Targets"]
        assert "DeadLetterConfig" in target and target["RetryPolicy"]["MaximumRetryAttempts"] == 2
    queues = resources(template, "AWS::SQS::Queue")
    assert len(queues) == 1
    [queue] = queues.values()
    assert queue["Properties"]["SqsManagedSseEnabled"] is True
    configs = resources(template, "AWS::Lambda::EventInvokeConfig")
    assert len(configs) == len([s for s in FUNCTIONS if s.schedule_minutes])


def test_alarms_on_errors_throttles_failed_runs_and_a_stale_sync(template: Template) -> None:
    alarms = resources(template, "AWS::CloudWatch::Alarm").values()
    metric_names = sorted(a["Properties"].get("MetricName", "") for a in alarms)
    assert metric_names.count("Errors") == len(FUNCTIONS)
    assert metric_names.count("Throttles") == len(FUNCTIONS)
    assert "ApproximateNumberOfMessagesVisible" in metric_names
    stale = next(a["Properties"] for a in alarms if a["Properties"].get("MetricName") == "SyncRunsCompleted")
    assert stale["TreatMissingData"] == "breaching"
    assert stale["ComparisonOperator"] == "LessThanThreshold"
    assert all(a["Properties"]["AlarmActions"] for a in alarms)


def test_the_deployment_has_no_development_shortcuts(template: Template) -> None:
    for function in resources(template, "AWS::Lambda::Function").values():
        variables = function["Properties"].get("Environment", {}).get("Variables", {})
        assert not any(name.startswith("AWS_ENDPOINT_URL") for name in variables)
        assert "TELEGRAM_API_URL" not in variables and "OZON_API_URL" not in variables
        assert not any(name.endswith(("_TOKEN", "_SECRET", "_KEY")) for name in variables)


def test_repository_root_is_where_the_stack_looks(template: Template) -> None:
    from infra.stack import REPO_ROOT

    assert (REPO_ROOT / "layers" / "shared" / "python" / "referral").is_dir()
    for spec in FUNCTIONS:
        module, _, function = spec.entry.partition(".")
        source = (REPO_ROOT / "functions" / spec.code_folder / f"{module}.py").read_text()
        assert f"def {function}(event" in source
    assert Path(REPO_ROOT / "cdk.json").is_file()


def test_the_deployed_admin_api_refuses_the_development_login(
    template: Template, table_name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The admin function with exactly the environment the stack gives it, secrets in Secrets Manager."""
    import boto3
    from referral.admin import context

    from functions.admin_api.handler import handler
    from tests.admin.conftest import http_event
    from tests.support.lambda_context import lambda_context

    [variables] = [
        f["Properties"]["Environment"]["Variables"]
        for f in resources(template, "AWS::Lambda::Function").values()
        if f["Properties"]["Environment"]["Variables"].get("POWERTOOLS_SERVICE_NAME") == "admin_api"
    ]
    assert not any("DEV_LOGIN" in name for name in variables)
    secrets = boto3.client("secretsmanager", region_name="eu-central-1")
    for name, value in variables.items():
        if name == "TABLE_NAME":
            value = table_name  # a reference to the table in the template
        elif name.endswith("_SECRET_ID"):
            secrets.create_secret(Name=value, SecretString="x" * 48)
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("ADMIN_DEV_LOGIN", raising=False)
    for local_only in ("TELEGRAM_BOT_TOKEN", "ADMIN_SESSION_SECRET"):
        monkeypatch.delenv(local_only, raising=False)
    context.reset()
    try:
        config = handler(http_event("GET", "/admin/auth/config"), lambda_context())
        login = handler(http_event("POST", "/admin/auth/dev", body={"telegram_id": "42"}), lambda_context())
    finally:
        context.reset()

    assert json.loads(config["body"]) == {"bot_username": "referral_bot", "dev_login": False}
    assert login["statusCode"] == 403
    assert json.loads(login["body"])["error"]["code"] == "dev_login_disabled"
