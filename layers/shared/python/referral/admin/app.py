"""The admin API resolver: routes of every area, authentication, one mapping of errors to HTTP.

Every route but the login and the OpenAPI document needs a bearer session token; owner-only routes add
``owner_only``. ``resolve`` authenticates before anything reads the request: a caller without a valid
session gets 401 and learns nothing about what a valid request looks like. Then the body must be JSON
in UTF-8 (``body``: 415 or 400 if not), and request validation (Pydantic, from the route signatures)
refuses a malformed request with 422 before any route code runs. Any other failure is a logged 500 in
the same error body.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.event_handler.exceptions import NotFoundError, ServiceError
from aws_lambda_powertools.event_handler.middlewares import NextMiddleware
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
)
from aws_lambda_powertools.event_handler.openapi.models import HTTPBearer, Server
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2
from aws_lambda_powertools.utilities.typing import LambdaContext

from referral.admin import (
    auth,
    body,
    claims,
    context,
    conversations,
    health,
    journal,
    money,
    orders,
    participants,
    payouts,
    risks,
    settings,
    statistics,
    webapp,
    withdrawals,
)
from referral.admin.pagination import BadRequest
from referral.admin.schemas import ErrorBody
from referral.config import ConfigurationError
from referral.errors import (
    Conflict,
    DomainError,
    Forbidden,
    InsufficientFunds,
    InvalidInput,
    NotFound,
    field_errors,
)
from referral.services.admins import Admin, Unauthorized
from referral.services.login_guard import TooManyRequests

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
    body.BadBody: 400,
    body.UnsupportedMediaType: 415,
    TooManyRequests: 429,
    InvalidInput: 422,
    Conflict: 409,
    InsufficientFunds: 409,
}
ERROR_STATUSES = (400, 401, 403, 404, 409, 422, 500)


def parse_json(text: str) -> Any:
    """The request body as JSON; a body nested too deeply or with a number too long is malformed too."""
    try:
        return json.loads(text)
    except (RecursionError, ValueError) as exc:
        if isinstance(exc, json.JSONDecodeError):
            raise
        raise json.JSONDecodeError("nested too deeply or a number too long", text, 0) from None


app = APIGatewayHttpResolver(enable_validation=True, json_body_deserializer=parse_json)
ROUTE_MODULES = (
    auth,
    participants,
    withdrawals,
    journal,
    settings,
    statistics,
    health,
    money,
    orders,
    risks,
    claims,
)
for module in ROUTE_MODULES:
    app.include_router(module.router, prefix=PREFIX)
app.include_router(conversations.router, prefix=PREFIX)
app.include_router(payouts.router, prefix=PREFIX)


def declared_query_only(resolver: APIGatewayHttpResolver, next_middleware: NextMiddleware) -> Response[str]:
    """A query parameter the route does not declare is refused (422), as the document says: a misspelt
    filter would otherwise be dropped in silence and the answer hold everything."""
    route = resolver.context.get("_route")
    declared = {param.alias for param in route.dependant.query_params} if route is not None else set()
    unknown = sorted(set(resolver.current_event.query_string_parameters or {}) - declared)
    if unknown and not webapp.is_app_path(resolver.current_event.path, PREFIX):
        raise InvalidInput(
            f"Unknown query parameters: {', '.join(unknown)}.",
            details={"unknown": unknown},
            reason="unknown_parameter",
        )
    return next_middleware(resolver)


app.use(middlewares=[declared_query_only])


@cache
def with_web_app(folder: Path) -> APIGatewayHttpResolver:
    """The resolver with the web app's pages from ``folder`` added (once per folder)."""
    app.include_router(webapp.router(folder), prefix=PREFIX)
    return app


def error(status: int, code: str, message: str, details: dict[str, Any] | None = None) -> Response[str]:
    body = {"error": {"code": code, "message": message, "details": {"reason": code, **(details or {})}}}
    return Response(status_code=status, content_type=content_types.APPLICATION_JSON, body=json.dumps(body))


def resolve(event: Mapping[str, Any], lambda_context: LambdaContext) -> dict[str, Any]:
    """Authenticate and check the body's encoding first; then route (validation, the route, errors)."""
    request = APIGatewayProxyEventV2(dict(event))
    try:
        if not _public(request):
            app.append_context(admin=authenticate(request))  # type: ignore[no-untyped-call]
        body.check(request)
    except Exception as exc:  # every failure becomes an error body, as in routing
        app.clear_context()  # type: ignore[no-untyped-call]
        return _as_result(error_response(exc))
    return app.resolve(event, lambda_context)


def _public(request: APIGatewayProxyEventV2) -> bool:
    return (request.http_method, request.path) in PUBLIC or webapp.is_app_path(request.path, PREFIX)


def authenticate(request: APIGatewayProxyEventV2) -> Admin:
    """Bearer session token → the active admin, re-read on every request (revocation is immediate)."""
    header = request.headers.get("authorization") or ""
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized(
            "Log in first: send the session token as 'Authorization: Bearer <token>'.", reason="no_session"
        )
    return context.current().admins.authenticate(token.strip())


def _as_result(response: Response[str]) -> dict[str, Any]:
    """An API Gateway HTTP API (payload v2) result, as the resolver builds it."""
    return {
        "statusCode": response.status_code,
        "headers": {"Content-Type": response.content_type, **response.headers},
        "body": response.body,
        "isBase64Encoded": False,
        "cookies": [],
    }


@app.exception_handler(Exception)  # type: ignore[untyped-decorator]
def error_response(exc: Exception) -> Response[str]:
    """The one mapping of failures to HTTP: every error body is ``{"error": {code, message, details}}``."""
    if isinstance(exc, DomainError):
        return domain_error(exc)
    if isinstance(exc, RequestValidationError):
        return invalid_request(exc)
    if isinstance(exc, RequestUnsupportedContentType):
        return error(415, "unsupported_media_type", "Send the request body as application/json.")
    if isinstance(exc, NotFoundError):
        return error(404, "not_found", "No such route.", {"reason": "no_such_route"})
    if isinstance(exc, ServiceError):
        return error(exc.status_code, "bad_request" if exc.status_code < 500 else "internal", str(exc.msg))
    if isinstance(exc, ConfigurationError):
        logger.error("configuration error", extra={"problem": str(exc)})
        return error(500, "misconfigured", "The service is not configured correctly.")
    logger.exception("unexpected failure", extra={"error_type": type(exc).__name__})
    return error(500, "internal", "Something went wrong on our side; try again later.")


def domain_error(exc: DomainError) -> Response[str]:
    status = next((code for kind, code in STATUS.items() if isinstance(exc, kind)), 400)
    if status == 401:
        logger.info("refused: not authenticated", extra={"reason": exc.reason})
    response = error(status, exc.code, exc.message, {**exc.details, "reason": exc.reason})
    if isinstance(exc, TooManyRequests):
        logger.warning("refused: too many requests", extra={"reason": exc.reason})
        response.headers["Retry-After"] = str(exc.retry_after)
    return response


def invalid_request(exc: RequestValidationError) -> Response[str]:
    if any(e.get("type") == "json_invalid" for e in exc.errors()):
        problems = [{"field": "body", "message": "Not valid JSON", "type": "json_invalid"}]
        return error(
            400, "bad_request", "The request body is not valid JSON.", {"errors": problems, "reason": "json"}
        )
    problems = field_errors(exc.errors(), skip={"body"})
    summary = "; ".join(f"{p['field']}: {p['message']}" for p in problems[:5])
    return error(422, "invalid_input", f"Invalid request: {summary}", {"errors": problems})


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
            for status in ERROR_STATUSES + _statuses_of(method, path, operation):
                responses[str(status)] = {"description": _REASONS[status], "content": error_content}
            if (method.upper(), path) in PUBLIC:
                operation["security"] = []
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


LIMITED = {("POST", f"{PREFIX}/auth/telegram")}
"""Routes that count attempts per client and answer 429 (with ``Retry-After``) past the limit."""


def _statuses_of(method: str, path: str, operation: dict[str, Any]) -> tuple[int, ...]:
    """415 where a body may be sent; 429 where attempts are counted."""
    takes_body = "requestBody" in operation or method.upper() in body.BODY_METHODS
    return ((415,) if takes_body else ()) + ((429,) if (method.upper(), path) in LIMITED else ())


_REASONS = {
    400: "Malformed request (unreadable body or cursor)",
    401: "Not logged in, or the session ended",
    403: "Not allowed for this admin",
    404: "Not found",
    409: "Conflicts with the current state",
    415: "The body is not sent as application/json in UTF-8",
    429: "Too many attempts from this client; wait the seconds Retry-After says",
    422: "Invalid input",
    500: "Unexpected failure (logged); the request may be retried",
}
