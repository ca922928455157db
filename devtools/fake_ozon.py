"""A local fake of the Ozon Seller API: the methods the sync, order claims and the connection check use.

It serves payloads shaped as Ozon's published document says (``devtools/fake_ozon_data.py``) over real
HTTP (``http.server`` on 127.0.0.1, a random port), with each method's real pagination (FBS and FBO
cursors, returns ``last_id``) and filters (creation period, status-change period, order numbers). Like
Ozon, it refuses — 400 in Ozon's error shape — a request to a method the document does not have or marks
deprecated, or whose body the document's request schema rejects; so every test that syncs against it
holds the client to the contract. It checks the Client-Id / Api-Key headers and the key's roles
(``/v1/roles``), and can misbehave on demand: 429s, 5xx, "Circle is open", timeouts, malformed records,
a rejected key, a method without a role, any method answering a given error, an answer cut off
mid-body. Postings and returns can be added or changed between runs. Standard library plus
``jsonschema``, so tests, benchmarks and the local runner can all use it.

    with FakeOzon() as ozon:
        ozon.add_fbs("0001-0001-1", created_at, [FakeProduct(1, "Tea", Decimal("990.00"), 2)], customer_id=42)
        os.environ["OZON_API_URL"] = ozon.url
"""

from __future__ import annotations

import argparse
import itertools
import json
import re
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from devtools.fake_ozon_data import (
    FAULTS,
    FBO,
    FBO_GET,
    FBO_LIST,
    FBS,
    FBS_GET,
    FBS_LIST,
    MISSING,
    REJECTED_KEY,
    RETURNS_LIST,
    ROLES,
    BadRequest,
    FakePosting,
    FakeProduct,
    FakeReturn,
    Fault,
    cursor_page,
    dumps,
    injected_error,
    ozon_error,
    ozon_time,
    parse_time,
)
from devtools.ozon_contract import ContractMissing, OzonContract, load_contract

__all__ = ["FBO", "FBS", "MISSING", "FakeOzon", "FakePosting", "FakeProduct", "FakeReturn", "ozon_time"]

MAX_PERIOD = timedelta(days=365)
DEFAULT_ROLES: dict[str, list[str]] = {
    "Posting FBS": [FBS_LIST, FBS_GET],
    "Posting FBO": [FBO_LIST, FBO_GET],
    "Returns": [RETURNS_LIST],
}
"""The roles of a key that may do everything the program does."""
ALWAYS_ALLOWED = {ROLES}


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class RecordedRequest:
    path: str
    body: dict[str, Any]
    status: int
    answer: Any = None
    """The decoded JSON the fake answered with."""


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
        contract: OzonContract | bool | None = None,
    ) -> None:
        """``contract``: the document to enforce; True requires it, None uses it when it is found."""
        self.client_id = client_id
        self.api_key = api_key
        self.timeout_delay = timeout_delay
        self.slow_delay = slow_delay
        self.include_customer = include_customer
        self.contract = _contract(contract)
        self.not_found_status = 404
        """How the single-posting methods answer an unknown posting: 404 (code 5), or 400 naming it."""
        self.roles: dict[str, list[str]] = {name: list(m) for name, m in DEFAULT_ROLES.items()}
        self.key_expires_at: datetime = _now() + timedelta(days=180)
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
        self._routes: dict[str, Callable[[dict[str, Any]], tuple[int, Any]]] = {
            FBS_LIST: self._fbs_list,
            FBS_GET: self._fbs_get,
            FBO_LIST: self._fbo_list,
            FBO_GET: self._fbo_get,
            RETURNS_LIST: self._returns_list,
            ROLES: self._roles,
        }

    # --- lifecycle -----------------------------------------------------------------------------------

    def start(self, port: int = 0) -> FakeOzon:
        server = ThreadingHTTPServer(("127.0.0.1", port), _Handler)
        server.daemon_threads = True
        server.fake = self  # type: ignore[attr-defined]
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.02}, name="fake-ozon", daemon=True
        )
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
        order_number: str | None = None,
    ) -> FakePosting:
        return self._add(posting_number, FBS, created_at, products, customer_id, status, order_number)

    def add_fbo(
        self,
        posting_number: str,
        created_at: datetime,
        products: list[FakeProduct],
        *,
        status: str = "awaiting_deliver",
        order_number: str | None = None,
    ) -> FakePosting:
        return self._add(posting_number, FBO, created_at, products, None, status, order_number)

    def _add(
        self,
        posting_number: str,
        scheme: str,
        created_at: datetime,
        products: list[FakeProduct],
        customer_id: int | None,
        status: str,
        order_number: str | None,
    ) -> FakePosting:
        """A posting of the order ``order_number`` (by default its number without the shipment suffix)."""
        order = order_number or posting_number.rsplit("-", 1)[0]
        posting = FakePosting(
            posting_number=posting_number,
            scheme=scheme,
            status=status,
            created_at=created_at,
            products=products,
            customer_id=customer_id,
            order_number=order,
            order_id=int(re.sub(r"\D", "", order) or 0) % 10**12,
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
                order_number=posting.order_number,
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

    # --- the key -------------------------------------------------------------------------------------

    def set_roles(self, roles: dict[str, list[str]], *, expires_at: datetime | None = None) -> None:
        """The key's roles and the methods each allows (``/v1/roles``); methods outside them answer 403."""
        with self._lock:
            self.roles = {name: list(methods) for name, methods in roles.items()}
            if expires_at is not None:
                self.key_expires_at = expires_at

    def without_role(self, name: str) -> None:
        """The key lost one role (e.g. ``"Posting FBO"``): its methods answer 403 from now on."""
        with self._lock:
            self.roles.pop(name, None)

    def expire_key_at(self, moment: datetime) -> None:
        with self._lock:
            self.key_expires_at = moment

    def allowed(self, path: str) -> bool:
        with self._lock:
            return path in ALWAYS_ALLOWED or any(path in methods for methods in self.roles.values())

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

    def fail(
        self,
        path: str,
        status: int,
        *,
        message: str | None = None,
        code: int | None = None,
        times: int | None = None,
    ) -> None:
        """Make ``path`` answer ``status`` in Ozon's error shape: ``times`` times, or until cleared."""
        body = ozon_error(status, message or f"injected HTTP {status}", code)
        with self._lock:
            self._faults.append(Fault("answer", path, times or 10**9, 0, (status, body)))

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
            self.roles = {name: list(m) for name, m in DEFAULT_ROLES.items()}

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

    def _fault_for(self, path: str) -> Fault | None:
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
                return fault
        return None

    # --- the API -------------------------------------------------------------------------------------

    def handle(
        self, path: str, headers: dict[str, str], body: dict[str, Any]
    ) -> tuple[int, Any, float, bool]:
        """(status, payload, delay in seconds before answering, whether to cut the answer off mid-body)."""
        fault = self._fault_for(path)
        kind = fault.kind if fault else None
        status, payload, delay = self._answer(path, headers, body, fault)
        return status, payload, delay, kind == "truncated"

    def _refusal(self, path: str, headers: dict[str, str], body: dict[str, Any]) -> tuple[int, Any] | None:
        """What Ozon answers before looking at the data: a rejected key, a broken contract, a missing role."""
        if self.key_rejected or headers.get("client-id") != self.client_id:
            return 403, REJECTED_KEY
        if headers.get("api-key") != self.api_key:
            return 403, REJECTED_KEY
        if self.contract is not None:
            problems = self.contract.request_problems(path, body)
            if problems:
                return 400, ozon_error(400, "invalid request: " + "; ".join(problems[:3]))
        elif path not in self._routes:
            return 404, ozon_error(404, "method not found")
        if not self.allowed(path):
            return 403, ozon_error(403, f"the API key has no role that allows {path}")
        return None

    def _answer(
        self, path: str, headers: dict[str, str], body: dict[str, Any], fault: Fault | None
    ) -> tuple[int, Any, float]:
        kind = fault.kind if fault else None
        if kind == "reject_key":
            return 403, REJECTED_KEY, 0.0
        refused = self._refusal(path, headers, body)
        if refused is not None:
            return refused[0], refused[1], 0.0
        if fault is not None and fault.answer is not None:
            return fault.answer[0], fault.answer[1], 0.0
        injected = injected_error(kind)
        if injected is not None:
            return injected[0], injected[1], 0.0
        delay = {"timeout": self.timeout_delay, "slow": self.slow_delay}.get(kind or "", 0.0)
        if kind == "hold":  # answer only when the test says so: a caller stalled at a known point
            self.held.set()
            self._gate.wait(timeout=60)
        route = self._routes.get(path)
        if route is None:  # a method of the document this fake does not serve
            return 404, ozon_error(404, "method not found"), delay
        try:
            with self._lock:
                status, payload = route(body)
        except (BadRequest, ValueError, KeyError, TypeError) as error:
            return 400, ozon_error(400, f"invalid request: {error}"), delay
        return status, payload, delay

    def _period(self, filter_: dict[str, Any], since_key: str, to_key: str) -> tuple[datetime, datetime]:
        since, to = parse_time(filter_.get(since_key)), parse_time(filter_.get(to_key))
        if to - since > MAX_PERIOD:
            raise BadRequest("PERIOD_IS_TOO_LONG")
        return since, to

    def _postings(self, scheme: str, body: dict[str, Any]) -> list[FakePosting]:
        """The postings of ``scheme`` a list request's filter selects, in its order."""
        filter_ = body.get("filter") or {}
        since, to = (
            self._period(filter_, "since", "to")
            if "since" in filter_ or scheme == FBS
            else (datetime.min.replace(tzinfo=UTC), datetime.max.replace(tzinfo=UTC))
        )
        changed = filter_.get("last_changed_status_date")
        changed_range = self._period(changed, "from", "to") if changed else None
        orders = set(filter_.get("order_numbers") or ())
        numbers = set(filter_.get("posting_numbers") or ())
        statuses = set(filter_.get("statuses") or ())
        selected = [
            p
            for p in self.postings.values()
            if p.scheme == scheme
            and since <= p.created_at <= to
            and (changed_range is None or changed_range[0] <= p.status_changed_at <= changed_range[1])
            and (not orders or p.order_number in orders)
            and (not numbers or p.posting_number in numbers)
            and (not statuses or p.status in statuses)
        ]
        selected.sort(key=lambda p: (p.created_at, p.posting_number), reverse=body.get("sort_dir") == "DESC")
        return selected

    def _fbs_list(self, body: dict[str, Any]) -> tuple[int, Any]:
        page, has_next, cursor = cursor_page(self._postings(FBS, body), body)
        return 200, {
            "postings": [p.payload(FBS_LIST, include_customer=self.include_customer) for p in page],
            "has_next": has_next,
            "cursor": cursor,
        }

    def _fbo_list(self, body: dict[str, Any]) -> tuple[int, Any]:
        page, has_next, cursor = cursor_page(self._postings(FBO, body), body)
        return 200, {"postings": [p.payload(FBO_LIST) for p in page], "has_next": has_next, "cursor": cursor}

    def _not_found(self) -> tuple[int, Any]:
        if self.not_found_status == 404:
            return 404, ozon_error(404, "Posting not found")
        return self.not_found_status, ozon_error(self.not_found_status, "POSTING_NOT_FOUND", code=3)

    def _fbs_get(self, body: dict[str, Any]) -> tuple[int, Any]:
        posting = self.postings.get(str(body.get("posting_number")))
        if posting is None or posting.scheme != FBS:
            return self._not_found()
        return 200, {"result": posting.payload(FBS_GET)}

    def _fbo_get(self, body: dict[str, Any]) -> tuple[int, Any]:
        posting = self.postings.get(str(body.get("posting_number")))
        if posting is None or posting.scheme != FBO:
            return self._not_found()
        return 200, {"result": posting.payload(FBO_GET)}

    def _returns_list(self, body: dict[str, Any]) -> tuple[int, Any]:
        filter_ = body.get("filter") or {}
        ranges = [k for k in ("logistic_return_date", "storage_tariffication_start_date") if k in filter_]
        if len(ranges) + ("visual_status_change_moment" in filter_) > 1:
            raise BadRequest("use only one date filter")
        limit, last_id = int(body.get("limit") or 0), int(body.get("last_id") or 0)
        if not 1 <= limit <= 500:
            raise BadRequest("limit must be 1..500")
        selected = sorted(self.returns.values(), key=lambda r: r.id)
        if "visual_status_change_moment" in filter_:
            since, to = self._period(filter_["visual_status_change_moment"], "time_from", "time_to")
            selected = [r for r in selected if since <= r.changed_at <= to]
        numbers = filter_.get("posting_numbers")
        if numbers:
            selected = [r for r in selected if r.posting_number in set(numbers)]
        selected = [r for r in selected if r.id > last_id]
        return 200, {"returns": [r.payload() for r in selected[:limit]], "has_next": len(selected) > limit}

    def _roles(self, body: dict[str, Any]) -> tuple[int, Any]:
        return 200, {
            "expires_at": ozon_time(self.key_expires_at),
            "roles": [{"name": name, "methods": list(methods)} for name, methods in self.roles.items()],
        }

    def _record(self, path: str, body: dict[str, Any], status: int, answer: Any = None) -> None:
        with self._lock:
            self.requests.append(RecordedRequest(path, body, status, answer))


def _contract(choice: OzonContract | bool | None) -> OzonContract | None:
    if isinstance(choice, OzonContract):
        return choice
    if choice is False:
        return None
    try:
        return load_contract()
    except ContractMissing:
        if choice is True:
            raise
        print("fake Ozon: the Seller API document is missing; requests are not checked", file=sys.stderr)
        return None


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
        fake._record(self.path, body, status, json.loads(dumps(payload)))
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
