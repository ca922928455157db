"""Every answer the fake Seller API can give is one Ozon's document allows, with no field it lacks;
and every field our models read is one the document has."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from referral.ozon.client import FBO_GET, FBO_LIST, FBS_GET, FBS_LIST, RETURNS_LIST, ROLES
from referral.ozon.errors import OzonError
from referral.ozon.models import MONEY_RETURNED_STATUSES, KeyRoles, OzonPosting, OzonReturn

from devtools.fake_ozon import FakeOzon, FakeProduct
from devtools.ozon_contract import OzonContract
from tests.contracts.ozon_contract import answer_problems, client_of, model_fields

FBS_STATUSES = ("awaiting_packaging", "awaiting_deliver", "delivering", "delivered", "cancelled")
FBO_STATUSES = ("awaiting_packaging", "awaiting_deliver", "delivering", "delivered", "cancelled")
RETURN_TYPES = ("ClientReturn", "Cancellation", "FullReturn", "PartialReturn")
RETURN_STATUSES = ("DisputeOpened", "ReturnMoneyApproved", *sorted(MONEY_RETURNED_STATUSES))
MODELS = {
    FBS_LIST: ("postings", OzonPosting),
    FBS_GET: ("result", OzonPosting),
    FBO_LIST: ("postings", OzonPosting),
    FBO_GET: ("result", OzonPosting),
    RETURNS_LIST: ("returns", OzonReturn),
    ROLES: ("", KeyRoles),
}
NOT_IN_ANSWER = {
    FBS_LIST: {"created_at", "fact_delivery_date"},
    FBS_GET: {"created_at"},
    FBO_LIST: {
        "customer",
        "customer.customer_id",
        "fact_delivery_date",
        "financial_data.products.customer_price",
        "financial_data.products.quantity",
    },
    FBO_GET: {"customer", "customer.customer_id"},
    RETURNS_LIST: set(),
    ROLES: set(),
}
"""Fields a model reads that this method's answer does not have (the model takes them from the others:
FBS postings are dated by ``in_process_at``, FBO ones have no buyer, and so on)."""


def moments() -> tuple[datetime, datetime]:
    """Now (to the second, as Ozon's filters take it) and three days ago: read when a test runs."""
    now = datetime.now(UTC).replace(microsecond=0)
    return now, now - timedelta(days=3)


def serve_every_kind_of_posting(ozon: FakeOzon) -> None:
    now, _ = moments()
    for n, status in enumerate(FBS_STATUSES):
        ozon.add_fbs(
            f"9100-000{n}-1",
            now - timedelta(hours=9 - n),
            [FakeProduct(n, "Tea", Decimal("990.00"))],
            customer_id=70 + n,
            status=status,
        )
    ozon.add_fbs(
        "9100-0009-1",
        now - timedelta(hours=2),
        [FakeProduct(9, "Cup", Decimal("99.50"), 3, customer_price=Decimal("90.00"))],
    )  # no buyer known, a discount
    for n, status in enumerate(FBO_STATUSES):
        ozon.add_fbo(
            f"9200-000{n}-1",
            now - timedelta(hours=9 - n),
            [FakeProduct(n, "Tea", Decimal("500.00"), 2)],
            status=status,
        )
    for n, kind in enumerate(RETURN_TYPES):
        ozon.add_return(f"9100-000{n}-1", type=kind)
    for status in RETURN_STATUSES:
        ozon.add_return("9200-0003-1", status=status)


def read_everything(ozon: FakeOzon) -> None:
    now, since = moments()
    client = client_of(ozon)
    for scheme_list in (client.fbs_postings, client.fbo_postings):
        cursor = None
        while True:  # every page, the last one included
            page = scheme_list(since, now, cursor=cursor, limit=3)
            if not page.has_next:
                break
            cursor = page.cursor
    client.fbs_postings(since, now, changed_from=since, changed_to=now)
    client.fbs_postings(since, now, order_numbers=["9999-0001"])  # an empty answer
    client.fbo_postings(None, None, order_numbers=["9200-0001"])
    for number, posting in ozon.postings.items():
        (client.fbs_posting if posting.scheme == "FBS" else client.fbo_posting)(number)
    client.fbs_posting("9999-0001-1")  # not found
    last_id = None
    while True:
        returns = client.returns(since, now + timedelta(minutes=1), last_id=last_id, limit=4)
        if not returns.has_next:
            break
        last_id = returns.last_id
    ozon.include_customer = False
    client.fbs_postings(since, now)
    client.key_roles()


def test_every_answer_the_fake_gives_is_one_the_document_allows(
    contract: OzonContract, ozon: FakeOzon
) -> None:
    serve_every_kind_of_posting(ozon)

    read_everything(ozon)

    assert {r.status for r in ozon.requests} == {200, 404}
    assert {r.path for r in ozon.requests} == set(MODELS)
    problems = [problem for request in ozon.requests for problem in answer_problems(contract, request)]
    assert problems == []


@pytest.mark.parametrize("status", [400, 403, 404, 409, 429, 500, 503])
@pytest.mark.parametrize("path", sorted(MODELS))
def test_every_error_the_fake_can_answer_is_in_ozons_error_shape(
    contract: OzonContract, ozon: FakeOzon, path: str, status: int
) -> None:
    ozon.fail(path, status, message="refused for the test")

    with pytest.raises(OzonError):
        client_of(ozon).http.post(path, {} if path == ROLES else _minimal_body(path))

    assert [r.status for r in ozon.requests] == [status]
    assert answer_problems(contract, ozon.requests[0]) == []


@pytest.mark.parametrize("how", ["rejected key", "missing role", "injected fault"])
def test_refusals_of_the_key_are_in_ozons_error_shape(
    contract: OzonContract, ozon: FakeOzon, how: str
) -> None:
    if how == "rejected key":
        ozon.reject_key()
    elif how == "missing role":
        ozon.without_role("Posting FBO")
    else:
        ozon.inject("circle_open", path=FBO_LIST)

    with pytest.raises(OzonError):
        client_of(ozon).fbo_postings(*moments()[::-1])

    assert [r.status for r in ozon.requests] == [403 if how != "injected fault" else 400]
    assert answer_problems(contract, ozon.requests[0]) == []


def test_the_roles_of_the_key_are_served_as_configured(contract: OzonContract, ozon: FakeOzon) -> None:
    expires = moments()[0] + timedelta(days=3)
    ozon.set_roles({"Posting FBS": [FBS_LIST, FBS_GET]}, expires_at=expires)

    roles = client_of(ozon).key_roles()

    assert roles.expires_at == expires
    assert roles.allows(FBS_LIST) and not roles.allows(FBO_LIST)
    assert answer_problems(contract, ozon.requests[0]) == []


@pytest.mark.parametrize("path", sorted(MODELS))
def test_every_field_our_models_read_is_in_the_documented_answer(contract: OzonContract, path: str) -> None:
    container, model = MODELS[path]
    prefix = f"{container}." if container else ""

    missing = {field for field in model_fields(model) if not contract.has_field(path, prefix + field)}

    assert missing == NOT_IN_ANSWER[path]


def _minimal_body(path: str) -> dict[str, object]:
    if path in (FBS_GET, FBO_GET):
        return {"posting_number": "1-1-1"}
    if path == FBS_LIST:
        return {"filter": {"since": "2026-01-01T00:00:00Z", "to": "2026-01-02T00:00:00Z"}, "limit": 1}
    return {"filter": {}, "limit": 1}
