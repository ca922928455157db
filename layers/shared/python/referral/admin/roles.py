"""Role checks of routes (owners manage admins and settings)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.middlewares import NextMiddleware

from referral.errors import Forbidden
from referral.services.admins import Admin


def owner_only(resolver: APIGatewayHttpResolver, next_middleware: NextMiddleware) -> Response[Any]:
    admin: Admin = resolver.context["admin"]
    if not admin.is_owner:
        raise Forbidden("Only an owner may do this.", reason="owner_only")
    return next_middleware(resolver)


def actor(resolver: Any) -> Admin:
    admin: Admin = resolver.context["admin"]
    return admin
