"""The stack synthesized once for the infra tests, with the deployment values given as CDK context."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk import App
from aws_cdk.assertions import Template

from infra.app import build_app

DEPLOYMENT_CONTEXT = {
    "telegram_bot_username": "referral_bot",
    "operators_chat_id": "-1001234567890",
    "bootstrap_admin_ids": "42",
    "ozon_client_id": "123456",
}


@pytest.fixture(scope="session")
def template(tmp_path_factory: pytest.TempPathFactory) -> Template:
    dependencies = tmp_path_factory.mktemp("dependencies")
    (dependencies / "python").mkdir()
    (dependencies / "python" / "placeholder.txt").write_text(
        "dependency layer content is built by `make layer`"
    )
    app, stack = build_app(
        App(
            context={"dependencies_path": str(dependencies), **DEPLOYMENT_CONTEXT},
            outdir=str(tmp_path_factory.mktemp("cdk.out")),
        )
    )
    # Synthesis fails on any AWS Solutions (cdk-nag) finding that is not acknowledged with a reason.
    app.synth()
    return Template.from_stack(stack)


def function_properties(template: Template) -> dict[str, dict[str, Any]]:
    """Each of our functions' properties, by the name it reports to Powertools."""
    return {
        f["Properties"]["Environment"]["Variables"]["POWERTOOLS_SERVICE_NAME"]: f["Properties"]
        for f in template.find_resources("AWS::Lambda::Function").values()
        if "POWERTOOLS_SERVICE_NAME" in f["Properties"].get("Environment", {}).get("Variables", {})
    }


def role_statements(template: Template, properties: dict[str, Any]) -> list[dict[str, Any]]:
    """The statements of the policies attached to a function's role."""
    role = properties["Role"]["Fn::GetAtt"][0]
    return [
        statement
        for policy in template.find_resources("AWS::IAM::Policy").values()
        if {"Ref": role} in policy["Properties"]["Roles"]
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]


def actions(statement: dict[str, Any]) -> list[str]:
    found = statement["Action"]
    return [found] if isinstance(found, str) else list(found)
