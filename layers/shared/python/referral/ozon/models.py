"""Typed views of the parts of Seller API answers the sync uses.

Unknown fields are ignored (Ozon adds fields often); a missing or malformed required field makes that
one record a ``RecordError`` naming it, while the rest of the page is still used. Money is ``Decimal``
only: Ozon sends prices as strings ("1390.0000"), as JSON numbers (decoded to ``Decimal``), or as
objects (``{"amount": "1390.00", "currency": "RUB"}`` / ``{"price": 1390.0, "currency_code": "RUB"}``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Generic, TypeVar

from pydantic import (
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)

from referral.domain.orders import CANCELLED, DELIVERED, Posting, PostingLine
from referral.domain.participants import buyer_ozon_id
from referral.ozon.errors import RecordError

FBS = "FBS"
FBO = "FBO"

MONEY_RETURNED_STATUSES = frozenset(
    {
        # the money itself: "the buyer got the whole sum back", "quick refund", "refund approved"
        "MoneyReturned",
        "MoneyReturnedBySystem",
        "ReturnMoneyApproved",
        # the goods are on their way back or back: Ozon refunds the buyer when they hand the goods in
        "ReturnedToOzon",
        "MovingToSeller",
        "ReturningToSellerByCourier",
        "ArrivedAtReturnPlace",
        "ReceivedBySeller",
        "Utilizing",
        "Utilized",
    }
)
"""``visual.status.sys_name`` values (Seller API, ``/v1/returns/list``) after which the buyer has the money
back. Every other status — disputes, approvals and clarifications in progress, partial compensations (the
list does not say how much), refusals and cancellations — reverses nothing; a return still in progress is
seen again when its status changes (the sync reads returns by status-change moment)."""
SKIPPED_RETURN_TYPES = {"Cancellation"}
"""A cancelled posting is reversed through its own status, not through the returns list."""


def _money(value: Any) -> Any:
    if isinstance(value, dict):
        for key in ("amount", "price", "value"):
            if key in value:
                value = value[key]
                break
        else:
            raise ValueError("price object without amount")
    if isinstance(value, float):
        raise ValueError("a price arrived as a float; decode JSON with parse_float=Decimal")
    if isinstance(value, bool) or not isinstance(value, (Decimal, int, str)):
        raise ValueError(f"not a price: {value!r}")
    try:
        amount = Decimal(value)
    except InvalidOperation:
        raise ValueError(f"not a price: {value!r}") from None
    if not amount.is_finite() or amount < 0:
        raise ValueError(f"not a price: {value!r}")
    return amount


def _optional_time(value: Any) -> Any:
    """Ozon fills unset dates with the zero time ``0001-01-01T00:00:00Z``; treat it as absent."""
    if value in ("", None) or (isinstance(value, str) and value.startswith("0001-01-01")):
        return None
    return value


def _text(value: Any) -> Any:
    """Identifiers come as numbers or strings; keep them as strings."""
    if isinstance(value, bool):
        raise ValueError("not an identifier")
    if isinstance(value, (int, Decimal)):
        return str(value)
    return value


Amount = Annotated[Decimal, BeforeValidator(_money)]
OptionalTime = Annotated[AwareDatetime | None, BeforeValidator(_optional_time)]
Identifier = Annotated[str, BeforeValidator(_text)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)


class PostingProduct(_Model):
    sku: Identifier | None = None
    offer_id: str | None = None
    name: str | None = None
    quantity: int = Field(ge=0)
    price: Amount


class FinancialProduct(_Model):
    product_id: Identifier | None = None
    quantity: int | None = Field(default=None, ge=0)
    """Absent from the FBO list (``/v3/posting/fbo/list``): the posting's own products say it there."""
    price: Amount | None = None
    customer_price: Amount | None = None
    """What the buyer paid per unit, when reported (it differs from ``price`` by Ozon's own discounts)."""

    @property
    def paid_per_unit(self) -> Decimal | None:
        return self.customer_price if self.customer_price is not None else self.price


class FinancialData(_Model):
    products: list[FinancialProduct] = Field(default_factory=list)


class Customer(_Model):
    customer_id: Identifier | None = None


class OzonPosting(_Model):
    """An FBS or FBO posting as the list and get methods return it."""

    posting_number: str = Field(min_length=1)
    order_id: Identifier | None = None
    order_number: str | None = None
    status: str = Field(min_length=1)
    substatus: str | None = None
    created_at: OptionalTime = None
    in_process_at: OptionalTime = None
    fact_delivery_date: OptionalTime = None
    products: list[PostingProduct] = Field(min_length=1)
    financial_data: FinancialData | None = None
    customer: Customer | None = None

    @model_validator(mode="after")
    def _dated(self) -> OzonPosting:
        if self.created_at is None and self.in_process_at is None:
            raise ValueError("neither created_at nor in_process_at is set")
        return self

    @property
    def ordered_at(self) -> datetime:
        moment = self.created_at or self.in_process_at
        assert moment is not None  # checked by the validator
        return moment

    @property
    def customer_reported(self) -> bool:
        """The answer said who the buyer is, or said explicitly that nobody is known (``null``)."""
        return "customer" in self.model_fields_set

    @property
    def customer_id(self) -> str | None:
        """The buyer in the participants' spelling of Ozon IDs, so that "00123" matches "123"."""
        return buyer_ozon_id(self.customer.customer_id if self.customer else None)

    @property
    def amount(self) -> Decimal:
        """SPEC R6: what the buyer paid for the posting's items (per-unit price × quantity, summed)."""
        financial = self.financial_data.products if self.financial_data else []
        if financial and all(p.paid_per_unit is not None and p.quantity is not None for p in financial):
            return sum(
                (p.paid_per_unit * p.quantity for p in financial if p.paid_per_unit and p.quantity),
                Decimal(0),
            )
        return sum((p.price * p.quantity for p in self.products), Decimal(0))

    @property
    def paid_prices(self) -> tuple[Decimal, ...]:
        """Every unit price of the posting's items the buyer may read in the app (a claim's proof)."""
        financial = self.financial_data.products if self.financial_data else []
        prices = {p.customer_price for p in financial} | {p.price for p in financial}
        return tuple(sorted(p for p in prices if p is not None))

    @property
    def domain_status(self) -> str:
        """Ozon's status, with every flavour of cancellation ("cancelled_from_split_pending") as cancelled."""
        return CANCELLED if self.status.startswith("cancelled") else self.status

    def to_posting(self, scheme: str) -> Posting:
        status = self.domain_status
        return Posting(
            posting_number=self.posting_number,
            scheme=scheme,
            status=status,
            created_at=self.ordered_at,
            amount=self.amount,
            order_number=self.order_number,
            customer_id=self.customer_id,
            # Ozon's delivery date where the answer has one; otherwise the order records when the sync saw it
            delivered_at=self.fact_delivery_date if status == DELIVERED else None,
            lines=tuple(PostingLine(p.sku, p.offer_id, p.name, p.price, p.quantity) for p in self.products),
            paid_prices=self.paid_prices,
        )


class ReturnProduct(_Model):
    sku: Identifier | None = None
    offer_id: str | None = None
    name: str | None = None
    price: Amount
    quantity: int = Field(ge=1)


class ReturnStatus(_Model):
    id: int | None = None
    display_name: str | None = None
    sys_name: str | None = None


class ReturnVisual(_Model):
    status: ReturnStatus | None = None
    change_moment: OptionalTime = None


class OzonReturn(_Model):
    """One returned product of one posting (``/v1/returns/list`` item)."""

    id: int
    type: str | None = None
    scheme: str | None = Field(default=None, alias="schema")
    posting_number: str = Field(min_length=1)
    order_number: str | None = None
    product: ReturnProduct
    visual: ReturnVisual | None = None

    @property
    def return_id(self) -> str:
        return f"ozon-return-{self.id}"

    @property
    def amount(self) -> Decimal:
        """The money the buyer gets back: the product's price × the returned quantity."""
        return self.product.price * self.product.quantity

    @property
    def money_returned(self) -> bool:
        """Whether this return took money back from the purchase: the buyer was refunded for it.

        A ``Cancellation`` is not a return of goods (the posting's own status reverses it).
        """
        if self.type in SKIPPED_RETURN_TYPES:
            return False
        status = self.visual.status if self.visual else None
        return status is not None and status.sys_name in MONEY_RETURNED_STATUSES


class KeyRole(_Model):
    name: str
    methods: list[str] = Field(default_factory=list)


class KeyRoles(_Model):
    """``/v1/roles``: what the API key in use may do, and until when."""

    expires_at: OptionalTime = None
    roles: list[KeyRole] = Field(default_factory=list)

    def allows(self, method: str) -> bool:
        return any(method in role.methods for role in self.roles)


T = TypeVar("T", bound=_Model)


@dataclass(frozen=True, slots=True)
class Parsed(Generic[T]):
    records: list[T]
    errors: list[RecordError]


def parse_records(model: type[T], raw: Any, kind: str, reference_field: str) -> Parsed[T]:
    """Validate each record on its own, so one bad record costs only itself."""
    if raw is None:
        raw = []
    if not isinstance(raw, list):
        raise RecordError(kind, None, f"expected a list of {kind} records, got {type(raw).__name__}")
    records: list[T] = []
    errors: list[RecordError] = []
    for item in raw:
        reference = item.get(reference_field) if isinstance(item, dict) else None
        try:
            records.append(model.model_validate(item))
        except ValidationError as error:
            errors.append(RecordError(kind, str(reference) if reference else None, _summary(error)))
    return Parsed(records, errors)


def _summary(error: ValidationError) -> str:
    problems: Iterable[str] = (
        f"{'.'.join(str(part) for part in e['loc']) or 'record'}: {e['msg']}" for e in error.errors()[:3]
    )
    return "; ".join(problems)
