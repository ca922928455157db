"""Every request our Seller API client can send is one Ozon's published document accepts.

The bodies are the ones the client really sent (recorded by the fake), never restated here.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import requests
from referral.ozon import client as client_module
from referral.ozon.errors import OzonRequestError

from devtools.fake_ozon import FakeOzon, FakeProduct
from devtools.ozon_contract import OzonContract
from tests.contracts.ozon_contract import client_of, request_problems

TEA = [FakeProduct(1, "Tea", Decimal("990.00"), 2)]


def moments() -> tuple[datetime, datetime]:
    """Now (to the second, as Ozon's filters take it) and three days ago: read when a test runs."""
    now = datetime.now(UTC).replace(microsecond=0)
    return now, now - timedelta(days=3)


def client_methods() -> dict[str, str]:
    """The Seller API methods the client module names (``FBS_LIST = "/v4/posting/fbs/list"``…)."""
    return {
        name: value
        for name, value in vars(client_module).items()
        if name.isupper() and isinstance(value, str) and value.startswith("/v")
    }


def exercise_every_option(ozon: FakeOzon) -> None:
    """Each method the client has, with each option the sync and order claims use."""
    now, since = moments()
    for n in range(3):
        ozon.add_fbs(f"8800-000{n}-1", now - timedelta(hours=5 - n), TEA, customer_id=77)
        ozon.add_fbo(f"8801-000{n}-1", now - timedelta(hours=5 - n), TEA)
    ozon.add_fbs("8800-0000-2", now - timedelta(hours=1), TEA, customer_id=77)
    ozon.add_return("8800-0000-1")
    ozon.add_return("8801-0000-1")
    ozon.add_return("8800-0001-1")
    client = client_of(ozon)
    first = client.fbs_postings(since, now, limit=2)
    client.fbs_postings(since, now, cursor=first.cursor, limit=2)
    client.fbs_postings(since, now, changed_from=now - timedelta(hours=1), changed_to=now, limit=100)
    client.fbs_postings(since, now, order_numbers=["8800-0000"])
    page = client.fbo_postings(since, now, limit=2)
    client.fbo_postings(since, now, cursor=page.cursor, limit=2)
    client.fbo_postings(None, None, order_numbers=["8801-0000"])
    client.fbs_posting("8800-0000-1")
    client.fbo_posting("8801-0000-1")
    client.posting("8801-0001-1")  # not FBS: the FBS detail says 404, then FBO is asked
    returns = client.returns(since, now + timedelta(minutes=1), limit=2)
    client.returns(since, now + timedelta(minutes=1), last_id=returns.last_id, limit=2)
    client.order_postings("8800-0000", since, now)
    client.key_roles()


def test_every_method_the_client_names_is_a_current_method_of_the_document(contract: OzonContract) -> None:
    methods = client_methods()

    assert methods, "the client names no Seller API method"
    for name, path in methods.items():
        assert contract.operation(path) is not None, f"{name} = {path}: no such method in the document"
        assert not contract.deprecated(path), f"{name} = {path} is deprecated: use its successor"


def test_every_request_the_client_sends_is_accepted_by_the_document(
    contract: OzonContract, ozon: FakeOzon
) -> None:
    exercise_every_option(ozon)

    sent = {request.path for request in ozon.requests}
    assert sent == set(client_methods().values())  # every method was exercised
    problems = [problem for request in ozon.requests for problem in request_problems(contract, request)]
    assert problems == []
    refused = [(r.path, r.status, r.answer) for r in ozon.requests if r.status not in (200, 404)]
    assert refused == []
    features = [r.body.get("filter", {}) for r in ozon.requests if r.path.endswith("/list")]
    assert any("order_numbers" in f for f in features) and any(
        "last_changed_status_date" in f for f in features
    )
    assert any(r.body.get("cursor") for r in ozon.requests) and any(
        r.body.get("last_id") for r in ozon.requests
    )


@pytest.mark.parametrize(
    ("path", "body", "reason"),
    [
        ("/v2/posting/fbo/list", {"filter": {}, "limit": 10}, "deprecated"),
        ("/v9/posting/fbo/list", {"filter": {}, "limit": 10}, "not a method"),
        ("/v3/posting/fbo/list", {"filter": {}, "limit": 1000}, "maximum"),
        ("/v3/posting/fbo/list", {"filter": {}, "limit": 10, "dir": "ASC"}, "'dir' was unexpected"),
        ("/v4/posting/fbs/list", {"filter": {"since": "2026-01-01T00:00:00Z"}, "limit": 10}, "'to'"),
    ],
)
def test_the_fake_refuses_what_ozon_would_refuse_in_ozons_error_shape(
    contract: OzonContract, ozon: FakeOzon, path: str, body: dict[str, object], reason: str
) -> None:
    answer = requests.post(
        f"{ozon.url}{path}",
        json=body,
        headers={"Client-Id": ozon.client_id, "Api-Key": ozon.api_key},
        timeout=5,
    )

    assert answer.status_code == 400
    assert reason in answer.json()["message"]
    assert (
        contract.response_problems(
            path if contract.operation(path) else "/v4/posting/fbs/list", 400, answer.json()
        )
        == []
    )


def test_a_client_sending_the_deprecated_fbo_list_is_refused(ozon: FakeOzon) -> None:
    """What the sync met before it moved to ``/v3/posting/fbo/list``."""
    client = client_of(ozon)

    with pytest.raises(OzonRequestError, match="deprecated"):
        client.http.post("/v2/posting/fbo/list", {"filter": {}, "limit": 10, "offset": 0})
