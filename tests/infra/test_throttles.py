"""Per-route budgets on the HTTP API stage: a flood on the login or the admin API leaves Telegram's
deliveries their own budget, and the login has the smallest one."""

from __future__ import annotations

from typing import Any

from aws_cdk.assertions import Template


def stage(template: Template) -> dict[str, Any]:
    [found] = template.find_resources("AWS::ApiGatewayV2::Stage").values()
    return found


def test_every_route_has_a_budget_of_its_own(template: Template) -> None:
    routes = {
        r["Properties"]["RouteKey"] for r in template.find_resources("AWS::ApiGatewayV2::Route").values()
    }
    settings = stage(template)["Properties"]["RouteSettings"]

    assert set(settings) == routes
    budgets = {key: (s["ThrottlingRateLimit"], s["ThrottlingBurstLimit"]) for key, s in settings.items()}
    assert budgets["POST /admin/auth/telegram"] < budgets["ANY /admin/{proxy+}"]
    assert budgets["ANY /admin/{proxy+}"] < budgets["POST /telegram/webhook"]
    default = stage(template)["Properties"]["DefaultRouteSettings"]
    assert all(rate <= default["ThrottlingRateLimit"] for rate, _ in budgets.values())


def test_the_login_route_reaches_the_admin_function_and_the_stage_waits_for_every_route(
    template: Template,
) -> None:
    routes = template.find_resources("AWS::ApiGatewayV2::Route")
    by_key = {r["Properties"]["RouteKey"]: r["Properties"]["Target"] for r in routes.values()}
    assert by_key["POST /admin/auth/telegram"] == by_key["ANY /admin/{proxy+}"]
    assert set(routes) <= set(stage(template)["DependsOn"])
