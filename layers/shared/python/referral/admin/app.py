"""The admin API resolver: routes of every area, authentication, one mapping of errors to HTTP.

Every route but the login and the OpenAPI document needs a bearer session token; owner-only routes add
``owner_only``. Request validation (Pydantic, from the route signatures) runs before authentication:
a malformed request is refused with 422 whoever sends it, and nothing runs.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.middlewares import NextMiddleware
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.event_handler.openapi.models import HTTPBearer, Server

from referral.admin import auth, context, journal, participants, settings, statistics, webapp, withdrawals
from referral.admin.pagination import BadRequest
from referral.admin.schemas import ErrorBody
from referral.config import ConfigurationError
from referral.errors import Conflict, DomainError, Forbidden, InsufficientFunds, InvalidInput, NotFound
from referral.services.admins import Unauthorized

logger = Logger(child=True)

PREFIX = "/admin"
PUBLIC = {
    ("POST", f"{PREFIX}/auth/telegram"),
    ("POST", f"{PREFIX}/auth/dev"),
    ("GET", f"{PREFIX}/auth/config"),
    ("GET", f"{PREFIX}/openapi.json"),
}
"""Routes open without a session; the web app's files (``webapp``) are public too."""
TITLE = "Referral program admin API"
VERSION = "1.0.0"

STATUS = {
    Unauthorized: 401,
    Forbidden: 403,
    NotFound: 404,
    BadRequest: 400,
    InvalidInput: 422,
    Conflict: 409,
    InsufficientFunds: 409,
}
ERROR_STATUSES = (400, 401, 403, 404, 409, 422)

app = APIGatewayHttpResolver(enable_validation=True)


def error(status: int, code: str, message: str, details: dict[str, Any] | None = None) -> Response[str]:
    body = {"error": {"code": code, "message": message, "details": details or {}}}
    return Response(status_code=status, content_type=content_types.APPLICATION_JSON, body=json.dumps(body))


def authenticate(resolver: APIGatewayHttpResolver, next_middleware: NextMiddleware) -> Response[Any]:
    """Bearer session token → the active admin, re-read on every request (revocation is immediate)."""
    event = resolver.current_event
    if (event.http_method, event.path) in PUBLIC or webapp.is_app_path(event.path, PREFIX):
        return next_middleware(resolver)
    header = event.headers.get("authorization") or ""
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("Log in first: send the session token as 'Authorization: Bearer <token>'.")
    resolver.append_context(  # type: ignore[no-untyped-call]
        admin=context.current().admins.authenticate(token.strip())
    )
    return next_middleware(resolver)


app.use(middlewares=[authenticate])
for module in (auth, participants, withdrawals, journal, settings, statistics):
    app.include_router(module.router, prefix=PREFIX)


@app.exception_handler(DomainError)  # type: ignore[untyped-decorator]
def domain_error(exc: DomainError) -> Response[str]:
    status = next((code for kind, code in STATUS.items() if isinstance(exc, kind)), 400)
    if status == 401:
        logger.info("refused: not authenticated", extra={"reason": exc.code})
    return error(status, exc.code, exc.message, {**exc.details, "reason": exc.reason})


@app.exception_handler(RequestValidationError)  # type: ignore[untyped-decorator]
def invalid_request(exc: RequestValidationError) -> Response[str]:
    problems = [
        {
            "field": ".".join(str(part) for part in e.get("loc", ()) if part != "body") or "body",
            "message": str(e.get("msg", "invalid")),
        }
        for e in exc.errors()
    ]
    if any(e.get("type") == "json_invalid" for e in exc.errors()):
        return error(400, "bad_request", "The request body is not valid JSON.", {"errors": problems})
    summary = "; ".join(f"{p['field']}: {p['message']}" for p in problems[:5])
    return error(422, "invalid_input", f"Invalid request: {summary}", {"errors": problems})


@app.exception_handler(ConfigurationError)  # type: ignore[untyped-decorator]
def misconfigured(exc: ConfigurationError) -> Response[str]:
    logger.error("configuration error", extra={"problem": str(exc)})
    return error(500, "misconfigured", "The service is not configured correctly.")


@app.not_found
def not_found(exc: NotFoundError) -> Response[str]:
    return error(404, "not_found", "No such route.")


@app.get(f"{PREFIX}/openapi.json", include_in_schema=False)
def openapi_document() -> Response[str]:
    return Response(status_code=200, content_type=content_types.APPLICATION_JSON, body=openapi_json())


@cache
def openapi_json() -> str:
    """The OpenAPI document with the error responses every operation can give, and bearer security."""
    document = json.loads(
        app.get_openapi_json_schema(
            title=TITLE,
            version=VERSION,
            description="Operators' API of the referral program. JSON everywhere; lists are paginated "
            "with an opaque `cursor` (pass `next_cursor` back); errors are "
            '`{"error": {"code", "message", "details"}}`.',
            servers=[Server(url="/")],
            security_schemes={"session": HTTPBearer(bearerFormat="session token")},
            security=[{"session": []}],
        )
    )
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas.update(ErrorBody.model_json_schema(ref_template="#/components/schemas/{model}").pop("$defs", {}))
    schemas["ErrorBody"] = ErrorBody.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    error_content = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}
    for path, operations in document.get("paths", {}).items():
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            for status in ERROR_STATUSES:
                responses[str(status)] = {"description": _REASONS[status], "content": error_content}
            if (method.upper(), path) in PUBLIC:
                operation["security"] = []
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


_REASONS = {
    400: "Malformed request (unreadable body or cursor)",
    401: "Not logged in, or the session ended",
    403: "Not allowed for this admin",
    404: "Not found",
    409: "Conflicts with the current state",
    422: "Invalid input",
}
