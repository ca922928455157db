"""The fake Seller API's records and how each method renders them, field for field as Ozon's document says.

Every method has its own shape: the FBS list (``/v4/posting/fbs/list``) gives prices as objects and no
delivery date, the FBS detail (``/v3/posting/fbs/get``) prices as strings with the delivery date, the FBO
list (``/v3/posting/fbo/list``) no quantities in its financial data, the FBO detail (``/v2/posting/fbo/get``)
the older flat financial fields. The contract tests hold each rendering to the document.
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

FBS = "FBS"
FBO = "FBO"
FBS_LIST = "/v4/posting/fbs/list"
FBS_GET = "/v3/posting/fbs/get"
FBO_LIST = "/v3/posting/fbo/list"
FBO_GET = "/v2/posting/fbo/get"
RETURNS_LIST = "/v1/returns/list"
ROLES = "/v1/roles"

MISSING = object()
UNSET_TIME = "0001-01-01T00:00:00Z"
"""How Ozon fills a date it does not know."""
_DECIMAL_MARK = re.compile(r'"@dec:(-?[0-9]+(?:\.[0-9]+)?)"')

REJECTED_KEY = {"code": 7, "message": "Invalid Api-Key, please contact support", "details": []}
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
ERROR_CODES = {400: 3, 401: 16, 403: 7, 404: 5, 409: 6, 429: 8, 500: 13, 503: 14}
"""Ozon's gRPC-style ``code`` for each HTTP status it answers with."""


def parse_time(value: Any) -> datetime:
    if not isinstance(value, str) or not value:
        raise ValueError("missing date")
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


def _now() -> datetime:
    return datetime.now(UTC)


def ozon_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


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


def _commission(p: FakeProduct) -> tuple[Decimal, Decimal]:
    total = p.price * p.quantity
    return (total * Decimal("0.15")).quantize(Decimal("0.01")), (total * Decimal("0.85")).quantize(
        Decimal("0.01")
    )


def _financial_flat(p: FakeProduct) -> dict[str, Any]:
    """A financial product of the detail methods: flat commission fields, per-unit prices as numbers."""
    commission, payout = _commission(p)
    data: dict[str, Any] = {
        "product_id": p.sku,
        "price": _number(p.price),
        "old_price": _number(p.price),
        "total_discount_value": _number(Decimal("0.00")),
        "commission_amount": _number(commission),
        "commission_percent": 15,
        "payout": _number(payout),
        "quantity": p.quantity,
        "currency_code": "RUB",
        "actions": [],
    }
    if p.customer_price is not None:
        data["customer_price"] = _number(p.customer_price)
    return data


def _product_identity(product: FakeProduct) -> dict[str, Any]:
    """The fields every method's product carries the same way; prices differ in shape per method."""
    return {
        "sku": product.sku,
        "offer_id": f"ART-{product.sku}",
        "name": product.name,
        "quantity": product.quantity,
    }


def _financial_nested(p: FakeProduct, *, quantity: bool) -> dict[str, Any]:
    """A financial product of the list methods: ``commission`` as an object (FBO lists carry no quantity)."""
    commission, payout = _commission(p)
    data: dict[str, Any] = {
        "product_id": p.sku,
        "price": _number(p.price),
        "old_price": _number(p.price),
        "total_discount_value": _number(Decimal("0.00")),
        "commission": {"amount": _number(commission), "currency": "RUB", "percent": 15},
        "payout": _number(payout),
        "actions": [],
    }
    if quantity:
        data["quantity"] = p.quantity
        if p.customer_price is not None:
            data["customer_price"] = {"amount": f"{p.customer_price:.2f}", "currency": "RUB"}
    return data


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

    @property
    def delivered_at(self) -> str:
        return ozon_time(self.status_changed_at) if self.status == "delivered" else UNSET_TIME

    def payload(self, method: str, *, include_customer: bool = True) -> dict[str, Any]:
        """The posting as ``method`` renders it."""
        render = {
            FBS_LIST: self._fbs_list,
            FBS_GET: self._fbs_get,
            FBO_LIST: self._fbo_list,
            FBO_GET: self._fbo_get,
        }[method]
        data = render()
        if (method == FBS_LIST and include_customer) or method == FBS_GET:
            # no buyer known: the document has no null here, Ozon's zero id says it
            data["customer"] = {"customer_id": self.customer_id or 0, "name": "Buyer", "phone": ""}
        for path, value in self.corruptions.items():
            _corrupt(data, path, value)
        if method in (FBS_GET, FBO_GET):
            for path, value in self.detail_corruptions.items():
                _corrupt(data, path, value)
        return data

    def _fbs_common(self) -> dict[str, Any]:
        return {
            "posting_number": self.posting_number,
            "order_id": self.order_id,
            "order_number": self.order_number,
            "status": self.status,
            "substatus": f"posting_{self.status}",
            "in_process_at": ozon_time(self.created_at),
            "shipment_date": ozon_time(self.created_at + timedelta(days=2)),
            "delivering_date": UNSET_TIME,
            "tpl_integration_type": "ozon",
            "analytics_data": {"city": "Moscow", "delivery_type": "PVZ", "warehouse": "Main"},
            "cancellation": {"cancel_reason_id": 0, "cancellation_type": ""},
        }

    def _fbs_list(self) -> dict[str, Any]:
        return {
            **self._fbs_common(),
            "products": [
                {**_product_identity(p), "price": {"amount": f"{p.price:.2f}", "currency": "RUB"}, "imei": []}
                for p in self.products
            ],
            "financial_data": {"products": [_financial_nested(p, quantity=True) for p in self.products]},
        }

    def _fbs_get(self) -> dict[str, Any]:
        return {
            **self._fbs_common(),
            "fact_delivery_date": self.delivered_at,
            "products": [
                {**_product_identity(p), "price": f"{p.price:.4f}", "currency_code": "RUB"}
                for p in self.products
            ],
            "financial_data": {"products": [_financial_flat(p) for p in self.products]},
        }

    def _fbo_common(self) -> dict[str, Any]:
        return {
            "posting_number": self.posting_number,
            "order_id": self.order_id,
            "order_number": self.order_number,
            "status": self.status,
            "cancel_reason_id": 0,
            "created_at": ozon_time(self.created_at),
            "in_process_at": ozon_time(self.created_at + timedelta(minutes=5)),
            "analytics_data": {"city": "Moscow", "delivery_type": "PVZ", "warehouse_name": "XOROSHO"},
            "additional_data": [],
        }

    def _fbo_list(self) -> dict[str, Any]:
        return {
            **self._fbo_common(),
            "products": [
                {
                    **_product_identity(p),
                    "price": {"amount": f"{p.price:.2f}", "currency": "RUB"},
                    "digital_codes": [],
                }
                for p in self.products
            ],
            "financial_data": {"products": [_financial_nested(p, quantity=False) for p in self.products]},
        }

    def _fbo_get(self) -> dict[str, Any]:
        return {
            **self._fbo_common(),
            "fact_delivery_date": self.delivered_at,
            "products": [
                {
                    **_product_identity(p),
                    "price": f"{p.price:.4f}",
                    "currency_code": "RUB",
                    "digital_codes": [],
                }
                for p in self.products
            ],
            "financial_data": {"products": [_financial_flat(p) for p in self.products]},
        }


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
    order_number: str = ""
    corruptions: dict[str, Any] = field(default_factory=dict)

    def payload(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.id,
            "company_id": 1,
            "return_reason_name": "Did not fit",
            "type": self.type,
            "schema": self.scheme,
            "order_id": 1,
            "order_number": self.order_number or self.posting_number.rsplit("-", 1)[0],
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
                "technical_return_moment": UNSET_TIME,
                "final_moment": UNSET_TIME,
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


class BadRequest(Exception):
    """The request is well-formed but asks for what Ozon refuses (too long a period, two date filters)."""


def ozon_error(status: int, message: str, code: int | None = None) -> dict[str, Any]:
    """Ozon's error body (``rpcStatus``)."""
    return {"code": ERROR_CODES.get(status, 2) if code is None else code, "message": message, "details": []}


@dataclass
class Fault:
    kind: str
    path: str | None
    times: int
    after: int
    answer: tuple[int, dict[str, Any]] | None = None
    """For ``answer`` faults: the status and body to answer with."""


def injected_error(kind: str | None) -> tuple[int, dict[str, Any]] | None:
    if kind == "429":
        return 429, ozon_error(429, RATE_LIMIT_MESSAGE)
    if kind in ("500", "503"):
        return int(kind), ozon_error(int(kind), "internal error", code=13)
    if kind == "rate_limit":
        return 400, ozon_error(400, RATE_LIMIT_MESSAGE, code=8)
    if kind == "circle_open":
        return 400, ozon_error(400, CIRCLE_OPEN_MESSAGE, code=14)
    if kind == "fatal":
        return 400, ozon_error(400, "injected failure")
    return None


def cursor_page(selected: list[FakePosting], body: dict[str, Any]) -> tuple[list[FakePosting], bool, str]:
    """One page after the request's cursor, whether more follow, and the cursor of the next page."""
    limit = int(body.get("limit") or 0)
    if not 1 <= limit <= 1000:
        raise BadRequest("limit must be 1..1000")
    descending = body.get("sort_dir") == "DESC"
    cursor = body.get("cursor") or ""
    if cursor:
        after = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        key = (parse_time(after["t"]), after["n"])
        keys = [(p.created_at, p.posting_number) for p in selected]
        selected = [p for p, at in zip(selected, keys, strict=True) if at != key and (at < key) is descending]
    page, rest = selected[:limit], selected[limit:]
    if not rest:
        return page, False, ""
    last = page[-1]
    next_cursor = base64.urlsafe_b64encode(
        json.dumps({"t": ozon_time(last.created_at), "n": last.posting_number}).encode()
    ).decode()
    return page, True, next_cursor
