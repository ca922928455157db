"""Opaque cursors: the position of a listing, signed so a client can neither forge nor reuse it elsewhere.

A cursor carries DynamoDB's last evaluated key of one listing; it is bound (by a fingerprint) to the
route and filters it came from. Any other cursor names a page that does not exist: 404 (as for an id
that names no object), before DynamoDB sees it. The client starts again from the first page.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

from referral.admin import context
from referral.errors import InvalidInput, NotFound


class BadRequest(InvalidInput):
    """The request is malformed (an unreadable cursor or body): HTTP 400."""

    code = "bad_request"


def _key() -> bytes:
    return hashlib.sha256(b"admin-cursor\x00" + context.current().auth.session_secret.encode()).digest()


def fingerprint(route: str, **params: Any) -> str:
    text = json.dumps([route, params], sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def seal(state: Any, scope: str) -> str | None:
    if state is None:
        return None
    payload = json.dumps({"p": state, "f": scope}, separators=(",", ":"), sort_keys=True).encode()
    signature = hmac.new(_key(), payload, hashlib.sha256).digest()[:16]
    return base64.urlsafe_b64encode(signature + payload).rstrip(b"=").decode()


def unseal(cursor: str | None, scope: str) -> Any:
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        signature, payload = raw[:16], raw[16:]
        expected = hmac.new(_key(), payload, hashlib.sha256).digest()[:16]
        if not hmac.compare_digest(signature, expected):
            raise ValueError("signature")
        data = json.loads(payload)
        if data.get("f") != scope:
            raise ValueError("scope")
    except (ValueError, TypeError, UnicodeError, AttributeError):
        raise NotFound(
            "No such page: the cursor is not one of this listing's; start from the first page.",
            reason="bad_cursor",
        ) from None
    return data["p"]
