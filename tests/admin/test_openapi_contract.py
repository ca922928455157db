"""The committed OpenAPI document is the one the API serves, and the real handler keeps to it."""

from __future__ import annotations

import io
import json
import os
import urllib.parse
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import hypothesis
import pytest
import schemathesis
from hypothesis import HealthCheck, given
from hypothesis import strategies as st
from referral.admin.app import openapi_json
from referral.domain.orders import Attribution
from referral.services import Services
from schemathesis.core.parameters import ParameterLocation

from functions.admin_api.handler import handler
from tests.admin.conftest import OPERATOR_ID, OWNER_ID, Api, audits, http_event
from tests.support.builders import join, posting
from tests.support.clock import FakeClock
from tests.support.lambda_context import lambda_context

DOCUMENT = Path(__file__).resolve().parents[2] / "docs" / "openapi.json"


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


@pytest.fixture
def world(owner: Api, domain: Services, clock: FakeClock) -> dict[str, str]:
    """Objects the generated requests can reach by id: participants with a purchase, a withdrawal
    request, journal records, an operator (2000)."""
    sponsor = join(domain, "81")
    join(domain, "82", sponsor)
    clock.advance(minutes=5)
    domain.purchases.record_purchase(posting(clock.now, "1500.00"), "82", Attribution.CLAIM)
    domain.ledger.correct_balance(
        OWNER_ID, "81", available_change=900, total_change=900, reason="seed", idempotency_key="seed-0001"
    )
    request = domain.withdrawals.request("81", 300, "seed-request")
    [record] = [a for a in audits() if a.action == "participant.balance_correction"]
    return {
        "participant_id": "82",
        "withdrawal_id": request.withdrawal_id,
        "audit_id": record.audit_id,
        "telegram_id": OPERATOR_ID,
    }


def operation_labels() -> list[str]:
    """Every operation of the committed document, one test each (so workers share them out)."""
    document = json.loads(DOCUMENT.read_text())
    methods = ("get", "put", "post", "delete", "patch")
    return [f"{m.upper()} {path}" for path, item in document["paths"].items() for m in methods if m in item]


EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "50"))
"""Generated requests per operation and mode as the owner: 50 valid + 50 invalid = 100 in the suite;
``make fuzz`` runs 500 + 500."""
OWNER_RUNS = [
    (schemathesis.GenerationMode.POSITIVE, EXAMPLES),
    (schemathesis.GenerationMode.NEGATIVE, EXAMPLES),
]
STRANGER_RUNS = {"nobody": {}, "a garbage token": {"Authorization": "Bearer eyJzdWIiOiIxMDAwIn0.Zm9yZ2Vk"}}


@pytest.mark.parametrize("label", operation_labels())
def test_generated_requests_keep_to_the_document(label: str, owner: Api, world: dict[str, str]) -> None:
    """Generated requests, valid and invalid, for one operation: as the owner (path ids often those of
    real objects), without a session and with a garbage token. Every check schemathesis has: never a
    5xx, every answer as documented, valid data accepted, invalid data refused."""
    schema = schemathesis.openapi.from_dict(json.loads(DOCUMENT.read_text()))
    schema.app = LambdaAsWsgi()
    [operation] = [op for op in (r.ok() for r in schema.get_all_operations()) if op.label == label]
    answered: Counter[int] = Counter()
    failures: list[str] = []
    owner_headers = {"Authorization": f"Bearer {owner.tokens['owner']}"}
    runs = [(owner_headers, mode, examples) for mode, examples in OWNER_RUNS]
    runs += [(headers, schemathesis.GenerationMode.POSITIVE, 3) for headers in STRANGER_RUNS.values()]
    for headers, mode, examples in runs:
        check = generated_requests(operation, mode, examples, headers, world, answered)
        try:
            check()
        except hypothesis.errors.Unsatisfiable:
            # Nothing can be wrong in a request with no parameters, no body and no credentials.
            assert mode is schemathesis.GenerationMode.NEGATIVE, operation.label
            assert not operation.definition.raw.get("parameters") and not operation.body, operation.label
        except Exception as error:
            failures.append(f"[{mode.value}, {sorted(headers) or 'no session'}]: {error}"[:3000])
    assert not failures, "\n\n".join(failures)
    # Valid requests got past validation (an answer, a missing object or a refused state change).
    assert answered.keys() - {400, 401, 415, 422}, answered


def generated_requests(
    operation: Any,
    mode: schemathesis.GenerationMode,
    examples: int,
    headers: dict[str, str],
    world: dict[str, str],
    answered: Counter[int],
) -> Callable[[], None]:
    """A hypothesis test sending ``examples`` generated requests of one operation and checking each answer."""

    @given(case=operation.as_strategy(generation_mode=mode), real_ids=st.booleans())
    @hypothesis.settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
        phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate],
    )
    def check(case: Any, real_ids: bool) -> None:
        if real_ids and mode is schemathesis.GenerationMode.POSITIVE and case.path_parameters:
            case.path_parameters.update({name: world[name] for name in case.path_parameters if name in world})
        # A request whose credentials schemathesis made invalid on purpose goes as it made it.
        sent = None if credentials_spoiled(case) else headers
        response = case.call(headers=sent)
        answered[response.status_code] += 1
        case.validate_response(response, headers=sent)

    return check


def credentials_spoiled(case: Any) -> bool:
    headers = case.meta.components.get(ParameterLocation.HEADER) if case.meta else None
    return headers is not None and headers.mode is schemathesis.GenerationMode.NEGATIVE


@pytest.mark.parametrize(
    "path", ["/admin/participants", "/admin/withdrawals", "/admin/journal/actions", "/admin/claims"]
)
def test_every_list_route_declares_a_cursor(path: str) -> None:
    document = json.loads(DOCUMENT.read_text())
    parameters = {p["name"] for p in document["paths"][path]["get"]["parameters"]}
    assert {"cursor", "limit"} <= parameters
