"""The CDK stack, synthesized without an AWS account: resources, permissions, routes, schedules, alarms."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App
from aws_cdk.assertions import Match, Template
from referral.repository.table import table_definition

from infra import app as cdk_app
from infra.app import build_app
from infra.catalog import FUNCTIONS, OZON_CONNECTION_SECRET, SECRET_NAMES
from infra.stack import DeploymentValuesMissing
from tests.infra.conftest import DEPLOYMENT_CONTEXT, actions, function_properties, role_statements


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
        secret_statements = [s for s in statements if "secretsmanager:GetSecretValue" in actions(s)]
        granted = sorted(
            name
            for s in secret_statements
            for name in SECRET_NAMES.values()
            if f'ozon-referral/{name}-??????"' in json.dumps(s["Resource"])
        )
        assert granted == sorted(SECRET_NAMES[v] for v in spec.secrets)
        for statement in statements:
            for action in actions(statement):
                assert action != "*" and not action.endswith(":*"), (
                    f"{spec.name} has wildcard action {action}"
                )


def test_http_api_routes_and_throttling(template: Template) -> None:
    routes = {r["Properties"]["RouteKey"] for r in resources(template, "AWS::ApiGatewayV2::Route").values()}
    assert routes == {"POST /telegram/webhook", "ANY /admin/{proxy+}", "POST /admin/auth/telegram"}
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


def test_a_sync_that_is_still_running_drops_the_next_run_instead_of_queueing_it(template: Template) -> None:
    """One sync at a time: an overlapping run is throttled, waits a minute at most and is not retried."""
    functions = function_properties(template)
    names = {
        logical_id: f["Properties"]["Environment"]["Variables"]["POWERTOOLS_SERVICE_NAME"]
        for logical_id, f in resources(template, "AWS::Lambda::Function").items()
        if "POWERTOOLS_SERVICE_NAME" in f["Properties"].get("Environment", {}).get("Variables", {})
    }
    configs = {
        names[config["Properties"]["FunctionName"]["Ref"]]: config["Properties"]
        for config in resources(template, "AWS::Lambda::EventInvokeConfig").values()
    }
    sync = configs["ozon_sync"]
    assert sync["MaximumRetryAttempts"] == 0
    assert sync["MaximumEventAgeInSeconds"] == 60
    assert functions["ozon_sync"]["ReservedConcurrentExecutions"] == 1
    [spec] = [s for s in FUNCTIONS if s.name == "ozon_sync"]
    assert spec.schedule_minutes is not None
    assert functions["ozon_sync"]["Timeout"] < spec.schedule_minutes * 60, "a run ends before the next is due"
    for spec in FUNCTIONS:
        if spec.schedule_minutes and spec.name != "ozon_sync":
            config = configs[spec.name]
            assert config["MaximumRetryAttempts"] == spec.retry_attempts
            assert 60 <= config["MaximumEventAgeInSeconds"] <= spec.schedule_minutes * 60


def test_alarms_on_errors_throttles_failed_runs_and_a_stale_sync(template: Template) -> None:
    alarms = resources(template, "AWS::CloudWatch::Alarm").values()
    metric_names = sorted(a["Properties"].get("MetricName", "") for a in alarms)
    assert metric_names.count("Errors") == len(FUNCTIONS)
    throttled = {
        json.dumps(a["Properties"]["Dimensions"])
        for a in alarms
        if a["Properties"].get("MetricName") == "Throttles"
    }
    sync_function = next(
        logical_id
        for logical_id, f in resources(template, "AWS::Lambda::Function").items()
        if f["Properties"]["Environment"]["Variables"].get("POWERTOOLS_SERVICE_NAME") == "ozon_sync"
    )
    assert len(throttled) == len(FUNCTIONS) - 1, "every function but the sync, whose throttles are expected"
    assert not any(sync_function in dimensions for dimensions in throttled)
    assert "ApproximateNumberOfMessagesVisible" in metric_names
    stale = next(a["Properties"] for a in alarms if a["Properties"].get("MetricName") == "SyncRunsCompleted")
    assert stale["TreatMissingData"] == "breaching"
    assert stale["ComparisonOperator"] == "LessThanThreshold"
    drift = next(a["Properties"] for a in alarms if a["Properties"].get("MetricName") == "LedgerDrift")
    assert drift["Dimensions"] == [{"Name": "service", "Value": "reconcile"}]
    assert (drift["ComparisonOperator"], drift["Threshold"]) == ("GreaterThanOrEqualToThreshold", 1)
    assert all(a["Properties"]["AlarmActions"] for a in alarms)


def test_external_endpoints_are_the_real_services_and_no_secret_is_a_plain_variable(
    template: Template,
) -> None:
    """Endpoints are declared (so a local run can point them elsewhere) with the production values."""
    for name, props in function_properties(template).items():
        variables = props["Environment"]["Variables"]
        assert variables["POWERTOOLS_TRACE_DISABLED"] == "false"
        for variable, value in variables.items():
            if variable.startswith("AWS_ENDPOINT_URL"):
                service = variable.removeprefix("AWS_ENDPOINT_URL_").lower().replace("_", "")
                assert json.dumps(value) == json.dumps(
                    {
                        "Fn::Join": [
                            "",
                            [f"https://{service}.", {"Ref": "AWS::Region"}, ".", {"Ref": "AWS::URLSuffix"}],
                        ]
                    }
                ), (name, variable)
        assert variables.get("TELEGRAM_API_URL", "https://api.telegram.org") == "https://api.telegram.org"
        assert variables.get("OZON_API_URL", "https://api-seller.ozon.ru") == "https://api-seller.ozon.ru"
        assert not any(name.endswith(("_TOKEN", "_SECRET", "_KEY")) for name in variables)
        assert not any("DEV_LOGIN" in variable for variable in variables)


def test_the_operators_ozon_key_is_managed_by_the_admin_api_and_read_by_the_sync_and_the_bot(
    template: Template,
) -> None:
    functions = function_properties(template)
    connection = f"ozon-referral/{OZON_CONNECTION_SECRET}"
    granted: dict[str, set[str]] = {}
    for name, props in functions.items():
        for statement in role_statements(template, props):
            if f'{connection}-??????"' in json.dumps(statement["Resource"]):
                granted.setdefault(name, set()).update(actions(statement))
        if name in granted:
            assert props["Environment"]["Variables"]["OZON_CONNECTION_SECRET_NAME"] == connection
        else:
            assert "OZON_CONNECTION_SECRET_NAME" not in props["Environment"]["Variables"]
    read = {"secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"}
    assert granted == {
        "admin_api": {
            "secretsmanager:CreateSecret",
            "secretsmanager:PutSecretValue",
            "secretsmanager:DeleteSecret",
            "secretsmanager:GetSecretValue",
        },
        "ozon_sync": read,
        "bot_webhook": read,
    }


def test_the_sync_and_the_bot_get_the_ozon_client_id_and_key(template: Template) -> None:
    functions = function_properties(template)
    for name in ("ozon_sync", "bot_webhook", "admin_api"):
        variables = functions[name]["Environment"]["Variables"]
        assert variables["OZON_CLIENT_ID"] == DEPLOYMENT_CONTEXT["ozon_client_id"]
        assert variables["OZON_API_KEY_SECRET_ID"] == "ozon-referral/ozon-api-key"
        assert variables["OZON_API_URL"] == "https://api-seller.ozon.ru"
    others = {
        name for name, props in functions.items() if "OZON_CLIENT_ID" in props["Environment"]["Variables"]
    }
    assert others == {"ozon_sync", "bot_webhook", "admin_api"}


READ = {"GetItem", "BatchGetItem", "Query"}
WRITE = {"PutItem", "UpdateItem", "ConditionCheckItem"}
DYNAMODB_ACTIONS = {
    "bot_webhook": READ | WRITE | {"DeleteItem"},
    "admin_api": READ | WRITE,
    "ozon_sync": READ | WRITE | {"DeleteItem"},
    "release_frozen": READ | WRITE,
    "notify_outbox": READ | WRITE,
    "notify_digest": READ | WRITE,
    "statistics_rollup": READ | {"PutItem"},
    "reconcile": READ | WRITE | {"Scan"},
}
"""Only the daily reconciliation scans the table; no function writes in batches, reads streams (there are
none) or manages the table; only the bot (conversation state) and the sync (its lease) delete items."""


def test_each_function_gets_only_the_dynamodb_actions_it_uses(template: Template) -> None:
    table = next(iter(resources(template, "AWS::DynamoDB::GlobalTable")))
    for name, props in function_properties(template).items():
        statements = [
            s for s in role_statements(template, props) if any("dynamodb:" in a for a in actions(s))
        ]
        granted = {a.removeprefix("dynamodb:") for s in statements for a in actions(s)}
        assert granted == DYNAMODB_ACTIONS[name], name
        for statement in statements:
            assert json.dumps(statement["Resource"]) == json.dumps(
                [
                    {"Fn::GetAtt": [table, "Arn"]},
                    {"Fn::Join": ["", [{"Fn::GetAtt": [table, "Arn"]}, "/index/*"]]},
                ]
            )


def test_the_statistics_rollup_reads_no_secret(template: Template) -> None:
    props = function_properties(template)["statistics_rollup"]
    assert not [v for v in props["Environment"]["Variables"] if v.endswith("_SECRET_ID")]
    assert not [s for s in role_statements(template, props) if any("secretsmanager" in a for a in actions(s))]


def test_synthesis_stops_without_the_deployment_values(tmp_path: Path) -> None:
    with pytest.raises(DeploymentValuesMissing) as missing:
        build_app(App(context={"dependencies_path": str(tmp_path)}, outdir=str(tmp_path)))
    message = str(missing.value)
    for name in ("telegram_bot_username", "operators_chat_id", "bootstrap_admin_ids"):
        assert name in message
    assert "make deploy telegram_bot_username=" in message

    malformed = {**DEPLOYMENT_CONTEXT, "operators_chat_id": "12345", "bootstrap_admin_ids": "42,abc"}
    with pytest.raises(DeploymentValuesMissing) as wrong:
        build_app(App(context={"dependencies_path": str(tmp_path), **malformed}, outdir=str(tmp_path)))
    assert "'12345'" in str(wrong.value) and "'42,abc'" in str(wrong.value)
    assert "  telegram_bot_username:" not in str(wrong.value)


def test_cdk_synth_without_the_deployment_values_says_what_to_pass(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CDK_CONTEXT_JSON", raising=False)
    assert cdk_app.main() == 2
    error = capsys.readouterr().err
    assert "Deployment values are missing" in error and "-c telegram_bot_username=" in error


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
        if name.startswith("AWS_ENDPOINT_URL"):
            continue  # the services' own endpoints, here moto in this process
        if name == "TABLE_NAME":
            value = table_name  # a reference to the table in the template
        elif name.endswith("_SECRET_ID"):
            secrets.create_secret(Name=value, SecretString="x" * 48)
        elif name == "PAYOUT_FINGERPRINT_KEY_ARN":  # a reference to the generated secret in the template
            value = secrets.create_secret(Name="payout-fingerprint-key", SecretString="k" * 64)["ARN"]
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


def test_each_sync_stream_has_its_own_alarm_when_it_stops_progressing(template: Template) -> None:
    from referral.ozon.streams import STREAMS, stream_metric

    from infra.constructs.monitoring import STREAM_STALE_AFTER

    alarms = [a["Properties"] for a in resources(template, "AWS::CloudWatch::Alarm").values()]
    by_metric = {a.get("MetricName"): a for a in alarms}
    for stream in STREAMS:
        alarm = by_metric[stream_metric(stream)]
        assert alarm["Dimensions"] == [{"Name": "service", "Value": "ozon_sync"}]
        assert (alarm["ComparisonOperator"], alarm["Threshold"]) == ("LessThanThreshold", 1)
        assert alarm["TreatMissingData"] == "breaching"  # a stream the sync no longer reaches alarms too
        assert alarm["Period"] == STREAM_STALE_AFTER.to_seconds()
        assert alarm["AlarmActions"] and stream in alarm["AlarmDescription"]
