"""What a request body must be before anything reads it: JSON in UTF-8, as the API documents.

Checked after authentication and before routing, so a body the API cannot read is a 4xx in the standard
error body with a warning in the log: 415 for a media type or charset the API does not take (forms,
multipart, text, UTF-16...), 400 for a Content-Type header that cannot be parsed or a body that is not
base64 of UTF-8 where API Gateway passed it encoded. Nothing past this point meets such a body.
"""

from __future__ import annotations

import base64
import binascii
from typing import NoReturn

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2

from referral.errors import DomainError

logger = Logger(child=True)

JSON = "application/json"
CHARSETS = frozenset({"utf-8", "utf8"})
"""JSON exchanged between systems is UTF-8 (RFC 8259); a declared charset must say so."""
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
_TOKEN = frozenset("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")


class BadBody(DomainError):
    """The body or its Content-Type header cannot be read (400)."""

    code = "bad_request"


class UnsupportedMediaType(DomainError):
    """The body is sent as something other than JSON in UTF-8 (415)."""

    code = "unsupported_media_type"


def check(request: APIGatewayProxyEventV2) -> None:
    """Refuse a body the API cannot read; a request without one (a GET, a bare POST) passes."""
    content_type = request.headers.get("content-type")
    if content_type is not None and (request.body or request.http_method in BODY_METHODS):
        _media_type_taken(content_type)
    if request.body and request.is_base64_encoded:
        _decodes(request.body)


def _media_type_taken(header: str) -> None:
    media_type, parameters = _parse(header)
    if media_type != JSON:
        _refuse(
            UnsupportedMediaType("Send the request body as application/json.", reason="media_type"), header
        )
    charset = parameters.get("charset")
    if charset is not None and charset.lower() not in CHARSETS:
        _refuse(UnsupportedMediaType("Send the request body as UTF-8 JSON.", reason="charset"), header)


def _parse(header: str) -> tuple[str, dict[str, str]]:
    """``type/subtype; name=value`` (RFC 9110); a header that is not that shape is a 400."""
    media_type, *parts = header.split(";")
    media_type = media_type.strip().lower()
    kind, slash, subtype = media_type.partition("/")
    if not (slash and _is_token(kind) and _is_token(subtype)):
        _refuse(BadBody("The Content-Type header cannot be read.", reason="content_type"), header)
    parameters = {}
    for part in parts:
        if not part.strip():
            continue
        name, equals, value = part.partition("=")
        name, value = name.strip().lower(), value.strip().strip('"')
        if not equals or not _is_token(name) or not value:
            _refuse(BadBody("The Content-Type header cannot be read.", reason="content_type"), header)
        parameters[name] = value
    return media_type, parameters


def _is_token(text: str) -> bool:
    return bool(text) and all(char in _TOKEN for char in text)


def _decodes(body: str) -> None:
    """A body API Gateway passed base64-encoded must be base64 of UTF-8 text (JSON is read from it)."""
    try:
        base64.b64decode(body, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        _refuse(
            BadBody(
                "The request body cannot be read: base64 of UTF-8 text expected.", reason="body_encoding"
            ),
            None,
        )


def _refuse(error: DomainError, content_type: str | None) -> NoReturn:
    logger.warning(
        "request body refused",
        extra={"reason": error.reason, "content_type": content_type[:200] if content_type else None},
    )
    raise error
