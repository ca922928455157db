"""The committed OpenAPI document is the one the API serves, and the real handler keeps to it."""

from __future__ import annotations

import io
import json
import urllib.parse
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import hypothesis
import pytest
import schemathesis
from hypothesis import HealthCheck, given
from referral.admin.app import openapi_json
from referral.services import Services
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from functions.admin_api.handler import handler
from tests.admin.conftest import Api, http_event
from tests.support.builders import join
from tests.support.lambda_context import lambda_context

DOCUMENT = Path(__file__).resolve().parents[2] / "docs" / "openapi.json"
EXAMPLES = 5
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


def test_the_committed_document_is_current() -> None:
    assert DOCUMENT.read_text() == openapi_json(), (
        "docs/openapi.json is stale: python -m referral.admin.openapi > docs/openapi.json"
    )


def test_the_document_is_served_without_a_session(api: Api) -> None:
    reply = api.get("/admin/openapi.json", as_=None)
    assert reply.status == 200
    assert json.loads(reply.text) == json.loads(DOCUMENT.read_text())


class LambdaAsWsgi:
    """Lets the HTTP client side of the contract test reach the Lambda handler as API Gateway would."""

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length).decode("utf-8", "replace") if length else None
        headers = {
            key[5:].replace("_", "-").lower(): value
            for key, value in environ.items()
            if key.startswith("HTTP_")
        }
        if environ.get("CONTENT_TYPE"):
            headers["content-type"] = environ["CONTENT_TYPE"]
        query = dict(urllib.parse.parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True))
        path = urllib.parse.unquote(environ.get("PATH_INFO", "/"))
        event = http_event(environ["REQUEST_METHOD"], path, query=query, headers=headers, raw_body=body)
        event["rawQueryString"] = environ.get("QUERY_STRING", "")
        event["headers"].pop("authorization", None) if "authorization" not in headers else None
        result = handler(event, lambda_context())
        response_headers = [(k, str(v)) for k, v in (result.get("headers") or {}).items()]
        start_response(f"{result['statusCode']} -", response_headers)
        return [io.BytesIO((result.get("body") or "").encode()).read()]


def test_the_handler_keeps_to_the_committed_document(owner: Api, domain: Services) -> None:
    """Generated requests (valid and invalid) for every operation, authenticated as the owner."""
    join(domain, "81")
    join(domain, "82", domain.participants.get("81"))
    schema = schemathesis.openapi.from_dict(json.loads(DOCUMENT.read_text()))
    schema.app = LambdaAsWsgi()
    auth = {"Authorization": f"Bearer {owner.tokens['owner']}"}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 25
    failures: list[str] = []
    for operation in operations:
        for mode in (schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE):

            @given(case=operation.as_strategy(generation_mode=mode))
            @hypothesis.settings(
                max_examples=EXAMPLES,
                deadline=None,
                database=None,
                derandomize=True,
                suppress_health_check=list(HealthCheck),
                phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate],
            )
            def check(case: Any) -> None:
                response = case.call(headers=auth)
                case.validate_response(response, checks=CHECKS, headers=auth)

            try:
                check()
            except hypothesis.errors.Unsatisfiable:
                # Nothing can be wrong in a request with no parameters, no body and no credentials.
                assert mode is schemathesis.GenerationMode.NEGATIVE, operation.label
                assert not operation.definition.raw.get("parameters") and not operation.body, operation.label
            except Exception as error:
                failures.append(f"{operation.label} [{mode.value}]: {error}"[:2000])
    assert not failures, "\n\n".join(failures)


@pytest.mark.parametrize("path", ["/admin/participants", "/admin/withdrawals", "/admin/journal/actions"])
def test_every_list_route_declares_a_cursor(path: str) -> None:
    document = json.loads(DOCUMENT.read_text())
    parameters = {p["name"] for p in document["paths"][path]["get"]["parameters"]}
    assert {"cursor", "limit"} <= parameters
