"""The public HTTP API: Telegram's webhook and the admin API, throttled and access-logged."""

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
        for method, path, function in routes:
            self.api.add_routes(
                path=path,
                methods=[_METHODS[method]],
                integration=integrations.HttpLambdaIntegration(f"{function.node.id}Integration", function),
            )
