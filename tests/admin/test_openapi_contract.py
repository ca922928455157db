"""The committed OpenAPI document is the one the API serves, and the real handler keeps to it."""

from __future__ import annotations

import io
import json
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
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from functions.admin_api.handler import handler
from tests.admin.conftest import OPERATOR_ID, OWNER_ID, Api, audits, http_event
from tests.support.builders import join, posting
from tests.support.clock import FakeClock
from tests.support.lambda_context import lambda_context

DOCUMENT = Path(__file__).resolve().parents[2] / "docs" / "openapi.json"
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


RUNS = [
    # (who, generation mode, examples per operation): ~60 s in all
    ("owner", schemathesis.GenerationMode.POSITIVE, 20),
    ("owner", schemathesis.GenerationMode.NEGATIVE, 15),
    ("nobody", schemathesis.GenerationMode.POSITIVE, 3),
    ("a garbage token", schemathesis.GenerationMode.POSITIVE, 3),
]


def test_the_handler_keeps_to_the_committed_document(owner: Api, world: dict[str, str]) -> None:
    """Generated requests (valid and invalid) for every operation — as the owner (path ids often those of
    real objects), without a session and with a garbage token: never a 5xx, every response as documented."""
    schema = schemathesis.openapi.from_dict(json.loads(DOCUMENT.read_text()))
    schema.app = LambdaAsWsgi()
    credentials = {
        "owner": {"Authorization": f"Bearer {owner.tokens['owner']}"},
        "nobody": {},
        "a garbage token": {"Authorization": "Bearer eyJzdWIiOiIxMDAwIn0.Zm9yZ2Vk"},
    }
    operations = [result.ok() for result in schema.get_all_operations()]
    # Logging out revokes the owner's sessions: that operation goes last.
    operations.sort(key=lambda operation: operation.path.endswith("/auth/logout"))
    assert len(operations) >= 25
    failures: list[str] = []
    answered: Counter[int] = Counter()
    for operation in operations:
        for who, mode, examples in RUNS:
            check = generated_requests(operation, mode, examples, credentials[who], world, answered)
            try:
                check()
            except hypothesis.errors.Unsatisfiable:
                # Nothing can be wrong in a request with no parameters, no body and no credentials.
                assert mode is schemathesis.GenerationMode.NEGATIVE, operation.label
                assert not operation.definition.raw.get("parameters") and not operation.body, operation.label
            except Exception as error:
                failures.append(f"{operation.label} [{who}, {mode.value}]: {error}"[:2000])
    assert not failures, "\n\n".join(failures)
    # Real paths were reached (200, 404), callers were refused (401), invalid input was caught (422).
    assert min(answered[200], answered[401], answered[422]) > 100 and answered[404] > 20, answered


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
        response = case.call(headers=headers)
        answered[response.status_code] += 1
        case.validate_response(response, checks=CHECKS, headers=headers)

    return check  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    "path", ["/admin/participants", "/admin/withdrawals", "/admin/journal/actions", "/admin/claims"]
)
def test_every_list_route_declares_a_cursor(path: str) -> None:
    document = json.loads(DOCUMENT.read_text())
    parameters = {p["name"] for p in document["paths"][path]["get"]["parameters"]}
    assert {"cursor", "limit"} <= parameters
