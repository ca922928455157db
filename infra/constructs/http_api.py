"""The public HTTP API: Telegram's webhook and the admin API, throttled per route and access-logged.

Each route has a budget of its own, so a flood on one (the login, the admin API) cannot use up another's
(Telegram's deliveries). HTTP APIs take no WAF; the login counts attempts per client address and account
in the handler (429 with ``Retry-After``), see the README's deploy section.
"""

from __future__ import annotations

import json

from aws_cdk import RemovalPolicy
from aws_cdk import aws_apigatewayv2 as apigw
from aws_cdk import aws_apigatewayv2_integrations as integrations
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from infra.constructs.findings import acknowledge

ACCESS_LOG_FORMAT = {
    "requestId": "$context.requestId",
    "ip": "$context.identity.sourceIp",
    "requestTime": "$context.requestTime",
    "method": "$context.httpMethod",
    "path": "$context.path",
    "status": "$context.status",
    "latency": "$context.responseLatency",
    "integrationError": "$context.integrationErrorMessage",
}
RATE_LIMIT = 50
BURST_LIMIT = 100
LOGIN_ROUTE = ("POST", "/admin/auth/telegram")
"""Its own route (to the admin function) so that it can have a budget of its own."""
ROUTE_THROTTLES = {
    "POST /telegram/webhook": (50, 100),
    "POST /admin/auth/telegram": (5, 20),
    "ANY /admin/{proxy+}": (25, 50),
}
"""Requests per second and burst of each route, for all clients together."""

_METHODS = {
    "ANY": apigw.HttpMethod.ANY,
    "GET": apigw.HttpMethod.GET,
    "POST": apigw.HttpMethod.POST,
}


class HttpApi(Construct):
    def __init__(
        self, scope: Construct, construct_id: str, routes: list[tuple[str, str, lambda_.IFunction]]
    ) -> None:
        super().__init__(scope, construct_id)
        self.api = apigw.HttpApi(self, "Api", create_default_stage=False, description="Ozon referral program")
        access_logs = logs.LogGroup(
            self,
            "AccessLogs",
            retention=logs.RetentionDays.THREE_MONTHS,
            removal_policy=RemovalPolicy.DESTROY,
        )
        self.stage = apigw.HttpStage(
            self,
            "DefaultStage",
            http_api=self.api,
            auto_deploy=True,
            throttle=apigw.ThrottleSettings(rate_limit=RATE_LIMIT, burst_limit=BURST_LIMIT),
        )
        cfn_stage = self.stage.node.default_child
        assert isinstance(cfn_stage, apigw.CfnStage)
        cfn_stage.access_log_settings = apigw.CfnStage.AccessLogSettingsProperty(
            destination_arn=access_logs.log_group_arn, format=json.dumps(ACCESS_LOG_FORMAT)
        )
        acknowledge(
            self.api,
            "APIG4",
            "Authorization is in the handlers: Telegram's secret-token header for the webhook, "
            "signed operator session tokens for the admin API",
        )
        cfn_stage.route_settings = {
            # A JSON map in CloudFormation: written with its property names as they are spelt there.
            key: {"ThrottlingRateLimit": rate, "ThrottlingBurstLimit": burst}
            for key, (rate, burst) in ROUTE_THROTTLES.items()
        }
        for method, path, function in routes:
            integration = integrations.HttpLambdaIntegration(f"{function.node.id}Integration", function)
            added = [(method, path)] + ([LOGIN_ROUTE] if path.startswith("/admin/") else [])
            for route_method, route_path in added:
                for route in self.api.add_routes(
                    path=route_path, methods=[_METHODS[route_method]], integration=integration
                ):
                    # Route settings name routes by key: the stage must come after them.
                    cfn_stage.add_dependency(route.node.default_child)  # type: ignore[arg-type]
