"""A local fake of the Ozon Seller API: the postings and returns methods the sync and order claims use.

It serves realistic payloads over real HTTP (``http.server`` on 127.0.0.1, a random port), with the
real pagination of each method (FBS cursor, FBO offset, returns ``last_id``), checks the Client-Id /
Api-Key headers, and can misbehave on demand: 429s, 5xx, "Circle is open", timeouts, malformed
records, a rejected key, an answer cut off mid-body, or a hard failure of the n-th request. Postings and
returns can be added or changed between runs. Standard library only, so tests, benchmarks and the local
runner can all use it.

    with FakeOzon() as ozon:
        ozon.add_fbs("0001-0001-1", created_at, [FakeProduct(1, "Tea", Decimal("990.00"), 2)], customer_id=42)
        os.environ["OZON_API_URL"] = ozon.url
"""

from __future__ import annotations

import argparse
import base64
import itertools
import json
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

FBS = "FBS"
FBO = "FBO"
MAX_PERIOD = timedelta(days=365)
MISSING = object()
UNSET_TIME = "0001-01-01T00:00:00Z"
"""How Ozon fills a date it does not know."""
REJECTED_KEY = {"code": 7, "message": "Invalid Api-Key, please contact support", "details": []}
_DECIMAL_MARK = re.compile(r'"@dec:(-?[0-9]+(?:\.[0-9]+)?)"')

RATE_LIMIT_MESSAGE = "You have reached request rate limit per second"
CIRCLE_OPEN_MESSAGE = "Circle is open"
FAULTS = (
    "429",
    "500",
    "503",
    "rate_limit",
    "circle_open",
    "timeout",
    "slow",
    "hold",
    "reject_key",
    "fatal",
    "truncated",
)


def _now() -> datetime:
    return datetime.now(UTC)


def ozon_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _parse_time(value: Any) -> datetime:
    if not isinstance(value, str) or not value:
        raise ValueError("missing date")
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


def _number(value: Decimal) -> str:
    """Marks a Decimal to be written as a bare JSON number (Ozon sends many prices as numbers)."""
    return f"@dec:{value}"


def dumps(payload: Any) -> str:
    return _DECIMAL_MARK.sub(r"\1", json.dumps(payload, ensure_ascii=False))


@dataclass
class FakeProduct:
    sku: int
    name: str
    price: Decimal
    quantity: int = 1
    customer_price: Decimal | None = None
    """What the buyer paid per unit, when it differs from ``price`` (Ozon's own discounts)."""


@dataclass
class FakePosting:
    posting_number: str
    scheme: str
    status: str
    created_at: datetime
    products: list[FakeProduct]
    customer_id: int | None = None
    order_number: str = ""
    order_id: int = 0
    status_changed_at: datetime = field(default_factory=_now)
    corruptions: dict[str, Any] = field(default_factory=dict)
    detail_corruptions: dict[str, Any] = field(default_factory=dict)
    """Applied only to the single-posting answers (``get``), on top of ``corruptions``."""

    def payload(self, *, include_customer: bool = True, detail: bool = False) -> dict[str, Any]:
        financial = {
            "products": [
                {
                    "product_id": p.sku,
                    "price": _number(p.price),
                    "old_price": _number(p.price),
                    "total_discount_value": _number(Decimal("0.00")),
                    "commission_amount": _number(
                        (p.price * p.quantity * Decimal("0.15")).quantize(Decimal("0.01"))
                    ),
                    "commission_percent": 15,
                    "payout": _number((p.price * p.quantity * Decimal("0.85")).quantize(Decimal("0.01"))),
                    "quantity": p.quantity,
                    "currency_code": "RUB",
                    "actions": [],
                    **({"customer_price": _number(p.customer_price)} if p.customer_price is not None else {}),
                }
                for p in self.products
            ],
            "posting_services": {"marketplace_service_item_fulfillment": 0},
        }
        if self.scheme == FBS:
            data: dict[str, Any] = {
                "posting_number": self.posting_number,
                "order_id": self.order_id,
                "order_number": self.order_number,
                "status": self.status,
                "substatus": f"posting_{self.status}",
                "in_process_at": ozon_time(self.created_at),
                "shipment_date": ozon_time(self.created_at + timedelta(days=2)),
                "delivering_date": "0001-01-01T00:00:00Z",
                "fact_delivery_date": (
                    ozon_time(self.status_changed_at) if self.status == "delivered" else UNSET_TIME
                ),
                "last_changed_status_date": ozon_time(self.status_changed_at),
                "tpl_integration_type": "ozon",
                "products": [
                    {
                        "sku": p.sku,
                        "offer_id": f"ART-{p.sku}",
                        "name": p.name,
                        "quantity": p.quantity,
                        "price": {"amount": f"{p.price:.2f}", "currency": "RUB"},
                        "mandatory_mark": [],
                    }
                    for p in self.products
                ],
                "financial_data": financial,
                "analytics_data": None,
                "cancellation": {"cancel_reason_id": 0, "cancellation_type": ""},
            }
            if include_customer:
                data["customer"] = (
                    {"customer_id": self.customer_id, "name": "Buyer", "phone": ""}
                    if self.customer_id is not None
                    else None
                )
        else:
            data = {
                "posting_number": self.posting_number,
                "order_id": self.order_id,
                "order_number": self.order_number,
                "status": self.status,
                "cancel_reason_id": 0,
                "created_at": ozon_time(self.created_at),
                "in_process_at": ozon_time(self.created_at + timedelta(minutes=5)),
                "products": [
                    {
                        "sku": p.sku,
                        "offer_id": f"ART-{p.sku}",
                        "name": p.name,
                        "quantity": p.quantity,
                        "price": f"{p.price:.4f}",
                        "currency_code": "RUB",
                        "digital_codes": [],
                    }
                    for p in self.products
                ],
                "financial_data": financial,
                "analytics_data": {"city": "Moscow", "delivery_type": "PVZ", "warehouse_name": "XOROSHO"},
                "additional_data": [],
            }
        for path, value in self.corruptions.items():
            _corrupt(data, path, value)
        if detail:
            for path, value in self.detail_corruptions.items():
                _corrupt(data, path, value)
        return data


@dataclass
class FakeReturn:
    id: int
    posting_number: str
    scheme: str
    type: str
    sku: int
    price: Decimal
    quantity: int
    changed_at: datetime
    status: str = "ReceivedBySeller"
    corruptions: dict[str, Any] = field(default_factory=dict)

    def payload(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.id,
            "company_id": 1,
            "return_reason_name": "Did not fit",
            "type": self.type,
            "schema": self.scheme,
            "order_id": 1,
            "order_number": self.posting_number.rsplit("-", 1)[0],
            "posting_number": self.posting_number,
            "product": {
                "sku": self.sku,
                "offer_id": f"ART-{self.sku}",
                "name": "Returned product",
                "price": {"currency_code": "RUB", "price": _number(self.price)},
                "price_without_commission": {"currency_code": "RUB", "price": _number(self.price)},
                "commission_percent": _number(Decimal("15.0")),
                "quantity": self.quantity,
            },
            "logistic": {
                "technical_return_moment": "0001-01-01T00:00:00Z",
                "final_moment": "0001-01-01T00:00:00Z",
                "return_date": ozon_time(self.changed_at),
                "barcode": f"ii{self.id}",
            },
            "visual": {
                "status": {"id": 3, "display_name": self.status, "sys_name": self.status},
                "change_moment": ozon_time(self.changed_at),
            },
            "exemplars": [],
            "additional_info": {"is_opened": False, "is_super_econom": False},
        }
        for path, value in self.corruptions.items():
            _corrupt(data, path, value)
        return data


def _corrupt(data: dict[str, Any], path: str, value: Any) -> None:
    """Break one field of a payload: ``value`` MISSING deletes it, anything else replaces it."""
    parts = path.split(".")
    target: Any = data
    for part in parts[:-1]:
        target = target[int(part)] if isinstance(target, list) else target[part]
    last = parts[-1]
    if isinstance(target, list):
        target[int(last)] = value
    elif value is MISSING:
        target.pop(last, None)
    else:
        target[last] = value


@dataclass
class Fault:
    kind: str
    path: str | None
    times: int
    after: int


@dataclass(frozen=True)
class RecordedRequest:
    path: str
    body: dict[str, Any]
    status: int


class _BadRequest(Exception):
    pass


class FakeOzon:
    """The fake Seller API; its state is changed from the test (or the local runner) between runs."""

    def __init__(
        self,
        client_id: str = "100200",
        api_key: str = "fake-ozon-api-key-0000",
        *,
        timeout_delay: float = 1.0,
        slow_delay: float = 0.5,
        include_customer: bool = True,
    ) -> None:
        self.client_id = client_id
        self.api_key = api_key
        self.timeout_delay = timeout_delay
        self.slow_delay = slow_delay
        self.include_customer = include_customer
        self.not_found_status = 404
        """How the single-posting methods answer an unknown posting: 404 (code 5), or 400 naming it."""
        self.fbo_max_offset = 20_000
        """``/v2/posting/fbo/list`` refuses deeper offsets."""
        self.postings: dict[str, FakePosting] = {}
        self.returns: dict[int, FakeReturn] = {}
        self.requests: list[RecordedRequest] = []
        self.key_rejected = False
        self._faults: list[Fault] = []
        self._gate = threading.Event()
        self.held = threading.Event()
        self._lock = threading.RLock()
        self._ids = itertools.count(1)
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle -----------------------------------------------------------------------------------

    def start(self, port: int = 0) -> FakeOzon:
        server = ThreadingHTTPServer(("127.0.0.1", port), _Handler)
        server.daemon_threads = True
        server.fake = self  # type: ignore[attr-defined]
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, name="fake-ozon", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeOzon:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the fake is not started")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    # --- data ----------------------------------------------------------------------------------------

    def add_fbs(
        self,
        posting_number: str,
        created_at: datetime,
        products: list[FakeProduct],
        *,
        customer_id: int | None = None,
        status: str = "awaiting_packaging",
    ) -> FakePosting:
        return self._add(posting_number, FBS, created_at, products, customer_id, status)

    def add_fbo(
        self,
        posting_number: str,
        created_at: datetime,
        products: list[FakeProduct],
        *,
        status: str = "awaiting_deliver",
    ) -> FakePosting:
        return self._add(posting_number, FBO, created_at, products, None, status)

    def _add(
        self,
        posting_number: str,
        scheme: str,
        created_at: datetime,
        products: list[FakeProduct],
        customer_id: int | None,
        status: str,
    ) -> FakePosting:
        order_number = posting_number.rsplit("-", 1)[0]
        posting = FakePosting(
            posting_number=posting_number,
            scheme=scheme,
            status=status,
            created_at=created_at,
            products=products,
            customer_id=customer_id,
            order_number=order_number,
            order_id=int(re.sub(r"\D", "", order_number) or 0) % 10**12,
            status_changed_at=max(created_at, _now()),
        )
        with self._lock:
            self.postings[posting_number] = posting
        return posting

    def set_status(self, posting_number: str, status: str, at: datetime | None = None) -> None:
        with self._lock:
            posting = self.postings[posting_number]
            posting.status = status
            posting.status_changed_at = at or _now()

    def add_return(
        self,
        posting_number: str,
        *,
        quantity: int = 1,
        sku: int | None = None,
        price: Decimal | None = None,
        type: str = "ClientReturn",  # Ozon's field name
        status: str = "ReceivedBySeller",
        at: datetime | None = None,
    ) -> FakeReturn:
        """A returned product of a posting; by default its first product at the posting's price."""
        with self._lock:
            posting = self.postings[posting_number]
            product = next((p for p in posting.products if sku is None or p.sku == sku), posting.products[0])
            item = FakeReturn(
                id=next(self._ids) + 1000,
                posting_number=posting_number,
                scheme=posting.scheme,
                type=type,
                sku=product.sku,
                price=price if price is not None else (product.customer_price or product.price),
                quantity=quantity,
                changed_at=at or _now(),
                status=status,
            )
            self.returns[item.id] = item
        return item

    def set_return_status(self, return_id: int, status: str, at: datetime | None = None) -> None:
        with self._lock:
            item = self.returns[return_id]
            item.status = status
            item.changed_at = at or _now()

    def corrupt(self, posting_number: str, path: str, value: Any = MISSING) -> None:
        """Make one field of a posting malformed (``MISSING`` removes it), e.g. ``"products.0.price"``."""
        with self._lock:
            self.postings[posting_number].corruptions[path] = value

    def corrupt_detail(self, posting_number: str, path: str, value: Any = MISSING) -> None:
        """Like ``corrupt``, but only in the posting's ``get`` answer: the lists serve it intact."""
        with self._lock:
            self.postings[posting_number].detail_corruptions[path] = value

    # --- faults --------------------------------------------------------------------------------------

    def inject(self, kind: str, *, path: str | None = None, times: int = 1, after: int = 0) -> None:
        """Misbehave on the next ``times`` requests (to ``path``, if given), after ``after`` good ones."""
        if kind not in FAULTS:
            raise ValueError(f"unknown fault {kind!r}; one of {FAULTS}")
        if kind == "hold":
            self._gate.clear()
            self.held.clear()
        with self._lock:
            self._faults.append(Fault(kind, path, times, after))

    def release(self) -> None:
        """Let a request stopped by a ``hold`` fault be answered."""
        self._gate.set()

    def reject_key(self, rejected: bool = True) -> None:
        self.key_rejected = rejected

    def clear(self) -> None:
        """Forget every posting, return, fault and recorded request: a brand-new seller account."""
        with self._lock:
            self.postings.clear()
            self.returns.clear()
            self.requests.clear()
            self._faults.clear()
            self._ids = itertools.count(1)
            self.key_rejected = False

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def count(self, path: str | None = None, status: int | None = None) -> int:
        with self._lock:
            return sum(
                1
                for r in self.requests
                if (path is None or r.path == path) and (status is None or r.status == status)
            )

    def _fault_for(self, path: str) -> str | None:
        with self._lock:
            for fault in self._faults:
                if fault.path is not None and fault.path != path:
                    continue
                if fault.after > 0:
                    fault.after -= 1
                    continue
                fault.times -= 1
                if fault.times <= 0:
                    self._faults.remove(fault)
                return fault.kind
        return None

    # --- the API -------------------------------------------------------------------------------------

    def handle(
        self, path: str, headers: dict[str, str], body: dict[str, Any]
    ) -> tuple[int, Any, float, bool]:
        """(status, payload, delay in seconds before answering, whether to cut the answer off mid-body)."""
        status, payload, delay, fault = self._answer(path, headers, body)
        return status, payload, delay, fault == "truncated"

    def _answer(
        self, path: str, headers: dict[str, str], body: dict[str, Any]
    ) -> tuple[int, Any, float, str | None]:
        fault = self._fault_for(path)
        if self.key_rejected or fault == "reject_key":
            return 403, REJECTED_KEY, 0.0, fault
        if headers.get("client-id") != self.client_id or headers.get("api-key") != self.api_key:
            return 403, REJECTED_KEY, 0.0, fault
        if fault == "429":
            return 429, {"code": 8, "message": RATE_LIMIT_MESSAGE, "details": []}, 0.0, fault
        if fault in ("500", "503"):
            return int(fault), {"code": 13, "message": "internal error", "details": []}, 0.0, fault
        if fault == "rate_limit":
            return 400, {"code": 8, "message": RATE_LIMIT_MESSAGE, "details": []}, 0.0, fault
        if fault == "circle_open":
            return 400, {"code": 14, "message": CIRCLE_OPEN_MESSAGE, "details": []}, 0.0, fault
        if fault == "fatal":
            return 400, {"code": 3, "message": "injected failure", "details": []}, 0.0, fault
        delay = {"timeout": self.timeout_delay, "slow": self.slow_delay}.get(fault or "", 0.0)
        if fault == "hold":  # answer only when the test says so: a caller stalled at a known point
            self.held.set()
            self._gate.wait(timeout=60)
        routes = {
            "/v4/posting/fbs/list": self._fbs_list,
            "/v3/posting/fbs/get": self._fbs_get,
            "/v2/posting/fbo/list": self._fbo_list,
            "/v2/posting/fbo/get": self._fbo_get,
            "/v1/returns/list": self._returns_list,
        }
        route = routes.get(path)
        if route is None:
            return 404, {"code": 5, "message": "method not found", "details": []}, delay, fault
        try:
            with self._lock:
                status, payload = route(body)
        except (_BadRequest, ValueError, KeyError, TypeError) as error:
            return 400, {"code": 3, "message": f"invalid request: {error}", "details": []}, delay, fault
        return status, payload, delay, fault

    def _period(self, filter_: dict[str, Any], since_key: str, to_key: str) -> tuple[datetime, datetime]:
        since, to = _parse_time(filter_.get(since_key)), _parse_time(filter_.get(to_key))
        if to - since > MAX_PERIOD:
            raise _BadRequest("PERIOD_IS_TOO_LONG")
        return since, to

    def _fbs_list(self, body: dict[str, Any]) -> tuple[int, Any]:
        filter_ = body.get("filter") or {}
        since, to = self._period(filter_, "since", "to")
        limit = int(body.get("limit") or 0)
        if not 1 <= limit <= 1000:
            raise _BadRequest("limit must be 1..1000")
        changed = filter_.get("last_changed_status_date")
        changed_range = self._period(changed, "from", "to") if changed else None
        selected = [
            p
            for p in self.postings.values()
            if p.scheme == FBS
            and since <= p.created_at <= to
            and (changed_range is None or changed_range[0] <= p.status_changed_at <= changed_range[1])
        ]
        descending = body.get("sort_dir") == "DESC"
        selected.sort(key=lambda p: (p.created_at, p.posting_number), reverse=descending)
        cursor = body.get("cursor") or ""
        if cursor:
            after = json.loads(base64.urlsafe_b64decode(cursor.encode()))
            key = (_parse_time(after["t"]), after["n"])
            selected = [
                p
                for p in selected
                if (
                    (p.created_at, p.posting_number) < key
                    if descending
                    else (p.created_at, p.posting_number) > key
                )
            ]
        page, rest = selected[:limit], selected[limit:]
        next_cursor = ""
        if rest:
            last = page[-1]
            next_cursor = base64.urlsafe_b64encode(
                json.dumps({"t": ozon_time(last.created_at), "n": last.posting_number}).encode()
            ).decode()
        return 200, {
            "postings": [p.payload(include_customer=self.include_customer) for p in page],
            "has_next": bool(rest),
            "cursor": next_cursor,
        }

    def _not_found(self) -> tuple[int, Any]:
        if self.not_found_status == 404:
            return 404, {"code": 5, "message": "Posting not found", "details": []}
        return self.not_found_status, {"code": 3, "message": "POSTING_NOT_FOUND", "details": []}

    def _fbs_get(self, body: dict[str, Any]) -> tuple[int, Any]:
        posting = self.postings.get(str(body.get("posting_number")))
        if posting is None or posting.scheme != FBS:
            return self._not_found()
        return 200, {"result": posting.payload(include_customer=True, detail=True)}

    def _fbo_list(self, body: dict[str, Any]) -> tuple[int, Any]:
        filter_ = body.get("filter") or {}
        since, to = self._period(filter_, "since", "to")
        limit, offset = int(body.get("limit") or 0), int(body.get("offset") or 0)
        if not 1 <= limit <= 1000 or not 0 <= offset <= self.fbo_max_offset:
            raise _BadRequest(f"limit must be 1..1000 and offset 0..{self.fbo_max_offset}")
        selected = sorted(
            (p for p in self.postings.values() if p.scheme == FBO and since <= p.created_at <= to),
            key=lambda p: (p.created_at, p.posting_number),
            reverse=body.get("dir") == "DESC",
        )
        return 200, {"result": [p.payload() for p in selected[offset : offset + limit]]}

    def _fbo_get(self, body: dict[str, Any]) -> tuple[int, Any]:
        posting = self.postings.get(str(body.get("posting_number")))
        if posting is None or posting.scheme != FBO:
            return self._not_found()
        return 200, {"result": posting.payload(detail=True)}

    def _returns_list(self, body: dict[str, Any]) -> tuple[int, Any]:
        filter_ = body.get("filter") or {}
        ranges = [
            k
            for k in (
                "logistic_return_date",
                "storage_tariffication_start_date",
                "visual_status_change_moment",
            )
            if k in filter_
        ]
        if len(ranges) > 1:
            raise _BadRequest("use only one date filter")
        limit, last_id = int(body.get("limit") or 0), int(body.get("last_id") or 0)
        if not 1 <= limit <= 500:
            raise _BadRequest("limit must be 1..500")
        selected = sorted(self.returns.values(), key=lambda r: r.id)
        if "visual_status_change_moment" in filter_:
            since, to = self._period(filter_["visual_status_change_moment"], "time_from", "time_to")
            selected = [r for r in selected if since <= r.changed_at <= to]
        numbers = filter_.get("posting_numbers")
        if numbers:
            selected = [r for r in selected if r.posting_number in set(numbers)]
        selected = [r for r in selected if r.id > last_id]
        return 200, {"returns": [r.payload() for r in selected[:limit]], "has_next": len(selected) > limit}

    def _record(self, path: str, body: dict[str, Any], status: int) -> None:
        with self._lock:
            self.requests.append(RecordedRequest(path, body, status))


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: Any

    def do_POST(self) -> None:
        fake: FakeOzon = self.server.fake
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw or b"{}")
            if not isinstance(body, dict):
                raise ValueError("body must be an object")
        except ValueError:
            status, payload, delay = 400, {"code": 3, "message": "invalid JSON body", "details": []}, 0.0
            truncated = False
            body = {}
        else:
            headers = {k.lower(): v for k, v in self.headers.items()}
            status, payload, delay, truncated = fake.handle(self.path, headers, body)
        fake._record(self.path, body, status)
        if delay:
            time.sleep(delay)
        data = dumps(payload).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data[: len(data) // 2] if truncated else data)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        if truncated:
            self.close_connection = True  # the connection drops with half the promised body sent

    def log_message(self, format: str, *args: Any) -> None:
        return


def demo(ozon: FakeOzon, *, customers: list[int], count: int = 20) -> Iterator[FakePosting]:
    """Demo orders for the local runner: FBS postings (with customer ids) and FBO ones of the last days."""
    now = _now()
    for n in range(count):
        created = now - timedelta(hours=3 * (count - n))
        products = [FakeProduct(1000 + n % 5, f"Product {n % 5}", Decimal("490.00") + n * 10, 1 + n % 3)]
        number = f"{70000000 + n}-0001-1"
        if n % 4 == 3 or not customers:
            yield ozon.add_fbo(number, created, products)
        else:
            yield ozon.add_fbs(number, created, products, customer_id=customers[n % len(customers)])


def main() -> None:
    parser = argparse.ArgumentParser(description="Serve a fake Ozon Seller API with demo orders.")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--client-id", default="100200")
    parser.add_argument("--api-key", default="fake-ozon-api-key-0000")
    parser.add_argument(
        "--customers", default="", help="comma-separated Ozon customer ids for demo FBS orders"
    )
    args = parser.parse_args()
    ozon = FakeOzon(args.client_id, args.api_key).start(args.port)
    customers = [int(c) for c in args.customers.split(",") if c.strip()]
    created = list(demo(ozon, customers=customers))
    print(f"fake Ozon Seller API on {ozon.url} with {len(created)} demo postings")
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        ozon.stop()


if __name__ == "__main__":
    main()
