"""CDK entry point: ``cdk synth`` / ``cdk deploy`` (see cdk.json)."""

from __future__ import annotations

import sys

from aws_cdk import App, Environment, Validations
from cdk_nag import AwsSolutionsChecks

from infra.stack import DeploymentSettings, DeploymentValuesMissing, ReferralStack


def build_app(app: App | None = None) -> tuple[App, ReferralStack]:
    app = app or App()
    stack = ReferralStack(
        app,
        app.node.try_get_context("stack_name") or "OzonReferral",
        settings=DeploymentSettings.from_context(app.node.try_get_context),
        env=Environment(account=None, region=app.node.try_get_context("region")),
    )
    Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    return app, stack


def main() -> int:
    try:
        app, _ = build_app()
    except DeploymentValuesMissing as error:
        print(error, file=sys.stderr)
        return 2
    app.synth()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
