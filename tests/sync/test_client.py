"""The Seller API client on its own: parsing of real-shaped answers, retries, typed failures."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from referral.domain.orders import CANCELLED
from referral.ozon.client import OzonClient
from referral.ozon.config import ClientConfig
from referral.ozon.errors import OzonAuthError, OzonRequestError, OzonUnavailable
from referral.ozon.http import OzonHttp, decode
from referral.ozon.models import FBO, FBS, OzonPosting, OzonReturn, parse_records

from devtools.fake_ozon import FakeOzon, FakeProduct

NOW = datetime.now(UTC)
FBS_LIST = "/v4/posting/fbs/list"


def fbs_record(**overrides: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "posting_number": "05708065-0029-1",
        "order_id": 680420041,
        "order_number": "05708065-0029",
        "status": "awaiting_deliver",
        "in_process_at": "2026-11-01T10:11:12.123456Z",
        "delivering_date": "0001-01-01T00:00:00Z",
        "products": [
            {"sku": 1, "name": "Tea", "quantity": 3, "price": {"amount": "1390.10", "currency": "RUB"}}
        ],
        "financial_data": {"products": [{"product_id": 1, "price": Decimal("1390.10"), "quantity": 3}]},
        "customer": {"customer_id": 12345678, "name": "Buyer", "phone": ""},
        "a_field_ozon_added_yesterday": {"anything": [1, 2]},
    }
    record.update(overrides)
    return record


def test_amounts_are_exact_decimals_of_what_the_buyer_paid() -> None:
    answer = decode('{"price": 1390.10, "customer_price": 0.1}')
    assert answer == {"price": Decimal("1390.10"), "customer_price": Decimal("0.1")}

    posting = OzonPosting.model_validate(fbs_record()).to_posting(FBS)
    assert posting.amount == Decimal("4170.30")  # 3 × 1390.10, never 4170.299999...
    assert (posting.customer_id, posting.order_number, posting.created_at.tzinfo is not None) == (
        "12345678",
        "05708065-0029",
        True,
    )

    discounted = fbs_record(
        financial_data={
            "products": [{"product_id": 1, "price": "1390.10", "customer_price": "1200.00", "quantity": 3}]
        }
    )
    assert OzonPosting.model_validate(discounted).amount == Decimal("3600.00")

    without_financials = fbs_record(financial_data=None)
    assert OzonPosting.model_validate(without_financials).amount == Decimal("4170.30")


def test_fbo_records_and_status_variants_are_understood() -> None:
    fbo = OzonPosting.model_validate(
        {
            "posting_number": "1-2-3",
            "status": "cancelled_from_split_pending",
            "created_at": "2026-11-01T10:00:00Z",
            "products": [{"sku": 5, "quantity": 2, "price": "499.5000", "currency_code": "RUB"}],
        }
    )
    assert fbo.to_posting(FBO).status == CANCELLED
    assert fbo.amount == Decimal("999.0000")
    assert fbo.customer_id is None and not fbo.customer_reported


def test_a_missing_or_broken_required_field_fails_only_its_own_record() -> None:
    raw = [
        fbs_record(posting_number="1-1-1"),
        {k: v for k, v in fbs_record(posting_number="2-2-2").items() if k != "status"},
        fbs_record(
            posting_number="3-3-3", products=[{"sku": 1, "quantity": 1, "price": 12.5}]
        ),  # a float price
        fbs_record(posting_number="4-4-4", in_process_at="0001-01-01T00:00:00Z"),
        "not even an object",
    ]

    parsed = parse_records(OzonPosting, raw, "FBS posting", "posting_number")

    assert [p.posting_number for p in parsed.records] == ["1-1-1"]
    assert [(e.reference, e.problem.split(":")[0]) for e in parsed.errors] == [
        ("2-2-2", "status"),
        ("3-3-3", "products.0.price"),
        ("4-4-4", "record"),
        (None, "record"),
    ]
    assert "2-2-2" in str(parsed.errors[0])


def test_a_return_counts_only_once_the_buyer_has_the_money_back() -> None:
    def item(**overrides: Any) -> OzonReturn:
        data: dict[str, Any] = {
            "id": 7,
            "type": "PartialReturn",
            "schema": "FBS",
            "posting_number": "1-1-1",
            "product": {
                "sku": 1,
                "price": {"currency_code": "RUB", "price": Decimal("700.35")},
                "quantity": 2,
            },
            "visual": {
                "status": {"id": 3, "sys_name": "ReceivedBySeller"},
                "change_moment": "2026-11-02T00:00:00Z",
            },
        }
        data.update(overrides)
        return OzonReturn.model_validate(data)

    def with_status(name: str) -> OzonReturn:
        return item(visual={"status": {"sys_name": name, "display_name": name}})

    assert (item().amount, item().return_id, item().money_returned) == (
        Decimal("1400.70"),
        "ozon-return-7",
        True,
    )
    assert all(with_status(name).money_returned for name in ("MoneyReturned", "MoneyReturnedBySystem"))
    assert not item(type="Cancellation").money_returned
    in_progress_or_refused = (
        "DisputeOpened",
        "OnSellerApproval",
        "PartialCompensationReturned",
        "Rejected",
        "CancelledDisputeNotOpen",
        "Cancelled",
        "SomethingOzonAddsTomorrow",
    )
    assert not any(with_status(name).money_returned for name in in_progress_or_refused)
    assert not item(visual=None).money_returned


@pytest.fixture
def fake() -> Iterator[FakeOzon]:
    with FakeOzon(timeout_delay=0.5) as ozon:
        yield ozon


class Sleeps(list[float]):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


class NoBudget:
    """These tests are about one client's retries; the shared budget has its own tests."""

    def acquire(self) -> None:
        return None


def client(fake: FakeOzon, sleeps: Sleeps, *, api_key: str | None = None, attempts: int = 6) -> OzonClient:
    config = ClientConfig(
        base_url=fake.url, timeout_seconds=0.2, max_attempts=attempts, backoff_base_seconds=1.0
    )
    return OzonClient(
        OzonHttp(
            fake.client_id,
            api_key or fake.api_key,
            config,
            budget=NoBudget(),
            sleep=sleeps,
            jitter=lambda: 0.5,
        )
    )


@pytest.mark.parametrize("fault", ["429", "500", "503", "rate_limit", "circle_open", "timeout", "truncated"])
def test_transient_failures_are_retried_with_growing_backoff(fake: FakeOzon, fault: str) -> None:
    fake.add_fbs("1-1-1", NOW - timedelta(hours=1), [FakeProduct(1, "Tea", Decimal("100.00"))], customer_id=1)
    fake.inject(fault, path=FBS_LIST, times=3)
    sleeps = Sleeps()

    page = client(fake, sleeps).fbs_postings(NOW - timedelta(days=1), NOW)

    assert [p.posting_number for p in page.postings] == ["1-1-1"]
    assert fake.count(FBS_LIST) == 4
    assert sleeps == [0.75, 1.5, 3.0]  # base × 2^n, half of it fixed and half jitter (here 0.5)


def test_retries_give_up_with_a_clear_error(fake: FakeOzon) -> None:
    fake.inject("500", times=10)
    with pytest.raises(OzonUnavailable, match="failed 3 times"):
        client(fake, Sleeps(), attempts=3).fbs_postings(NOW - timedelta(days=1), NOW)
    assert fake.count(FBS_LIST) == 3


def test_a_rejected_key_fails_at_once_and_never_shows_the_key(
    fake: FakeOzon, capsys: pytest.CaptureFixture[str]
) -> None:
    secret = "super-secret-api-key-123"
    ozon = client(fake, Sleeps(), api_key=secret)

    with pytest.raises(OzonAuthError) as raised:
        ozon.fbs_postings(NOW - timedelta(days=1), NOW)

    assert fake.count() == 1
    assert "403" in str(raised.value) and secret not in str(raised.value)
    assert secret not in repr(ozon.http) and secret not in capsys.readouterr().out


def test_a_refused_request_is_not_retried(fake: FakeOzon) -> None:
    with pytest.raises(OzonRequestError, match="PERIOD_IS_TOO_LONG"):
        client(fake, Sleeps()).fbs_postings(NOW - timedelta(days=400), NOW)
    assert fake.count() == 1


def test_pagination_walks_every_method_to_its_end(fake: FakeOzon) -> None:
    for n in range(5):
        fake.add_fbs(f"1-{n}-1", NOW - timedelta(hours=10 - n), [FakeProduct(1, "A", Decimal("1.00"))])
        fake.add_fbo(f"2-{n}-1", NOW - timedelta(hours=10 - n), [FakeProduct(1, "A", Decimal("1.00"))])
        fake.add_return(f"1-{n}-1")
    ozon, since = client(fake, Sleeps()), NOW - timedelta(days=1)

    fbs, cursor = [], None
    while True:
        page = ozon.fbs_postings(since, NOW, cursor=cursor, limit=2)
        fbs += [p.posting_number for p in page.postings]
        if not page.has_next:
            break
        cursor = page.cursor
    fbo, cursor = [], None
    while True:
        page = ozon.fbo_postings(since, NOW, cursor=cursor, limit=2)
        fbo += [p.posting_number for p in page.postings]
        if not page.has_next:
            break
        cursor = page.cursor
    returns, last_id = [], None
    while True:
        returns_page = ozon.returns(since, datetime.now(UTC) + timedelta(minutes=1), last_id=last_id, limit=2)
        returns += [r.posting_number for r in returns_page.returns]
        if not returns_page.has_next:
            break
        last_id = returns_page.last_id

    assert fbs == [f"1-{n}-1" for n in range(5)]
    assert fbo == [f"2-{n}-1" for n in range(5)]
    assert returns == [f"1-{n}-1" for n in range(5)]
