"""The Seller API methods the program uses, returning typed pages.

Each list method returns the records it could read and, separately, the records it could not
(``RecordError``): the sync applies the first and logs and skips the second.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from referral.ozon.config import ClientConfig
from referral.ozon.errors import OzonNotFound, RecordError
from referral.ozon.http import OzonHttp, SharedRequestBudget
from referral.ozon.models import FBO, FBS, KeyRoles, OzonPosting, OzonReturn, parse_records
from referral.repository.sync_state import RequestWindowCounter

FBS_LIST = "/v4/posting/fbs/list"
FBS_GET = "/v3/posting/fbs/get"
FBO_LIST = "/v3/posting/fbo/list"
FBO_GET = "/v2/posting/fbo/get"
RETURNS_LIST = "/v1/returns/list"
ROLES = "/v1/roles"

MAX_PAGE = 100
"""The largest ``limit`` the posting lists accept."""
FBS_ORDER_NUMBERS_MAX = 100
"""``/v4/posting/fbs/list`` takes at most this many ``filter.order_numbers``."""
REQUEST_WINDOWS = "ozon-seller-api"
"""Where the request budget of every Seller API caller is counted."""


def ozon_time(moment: datetime) -> str:
    """UTC ``YYYY-MM-DDTHH:MM:SSZ``, the form every filter of the Seller API accepts."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True, slots=True)
class PostingsPage:
    scheme: str
    postings: list[OzonPosting]
    errors: list[RecordError]
    has_next: bool
    cursor: str | None = None
    """The cursor of the next page."""
    received: int = 0
    """Records in the answer, readable or not."""


@dataclass(frozen=True, slots=True)
class ReturnsPage:
    returns: list[OzonReturn]
    errors: list[RecordError]
    has_next: bool
    last_id: int | None


def connect(client_id: str, api_key: str, config: ClientConfig) -> OzonClient:
    """A client of the seller account that takes every request from the budget all callers share."""
    budget = SharedRequestBudget(
        RequestWindowCounter(REQUEST_WINDOWS),
        config.requests_per_second,
        max_wait_seconds=config.budget_wait_seconds,
    )
    return OzonClient(OzonHttp(client_id, api_key, config, budget=budget))


class OzonClient:
    """Typed access to postings and returns of one seller account."""

    def __init__(self, http: OzonHttp) -> None:
        self.http = http

    def close(self) -> None:
        self.http.close()

    # --- FBS -----------------------------------------------------------------------------------------

    def fbs_postings(
        self,
        since: datetime,
        to: datetime,
        *,
        cursor: str | None = None,
        limit: int = 100,
        changed_from: datetime | None = None,
        changed_to: datetime | None = None,
        order_numbers: Sequence[str] = (),
    ) -> PostingsPage:
        """One page of FBS postings created in ``[since, to]`` (and, if given, whose status changed then,
        or that belong to one of ``order_numbers``)."""
        filter_: dict[str, Any] = {"since": ozon_time(since), "to": ozon_time(to)}
        if changed_from is not None and changed_to is not None:
            filter_["last_changed_status_date"] = {
                "from": ozon_time(changed_from),
                "to": ozon_time(changed_to),
            }
        if order_numbers:
            filter_["order_numbers"] = list(order_numbers)[:FBS_ORDER_NUMBERS_MAX]
        body: dict[str, Any] = {
            "cursor": cursor or "",
            "limit": min(limit, MAX_PAGE),
            "sort_dir": "ASC",
            "filter": filter_,
            "with": {"analytics_data": False, "financial_data": True},
        }
        return _postings_page(FBS, self.http.post(FBS_LIST, body))

    def fbs_posting(self, posting_number: str) -> OzonPosting | None:
        """One FBS posting with its ``customer`` (the detail carries it even when lists do not)."""
        body = {"posting_number": posting_number, "with": {"analytics_data": False, "financial_data": True}}
        return self._get(FBS_GET, body, posting_number)

    # --- FBO -----------------------------------------------------------------------------------------

    def fbo_postings(
        self,
        since: datetime | None,
        to: datetime | None,
        *,
        cursor: str | None = None,
        limit: int = 100,
        order_numbers: Sequence[str] = (),
    ) -> PostingsPage:
        """One page of FBO postings created in ``[since, to]`` (or of ``order_numbers``), oldest first."""
        filter_: dict[str, Any] = {}
        if since is not None and to is not None:
            filter_ = {"since": ozon_time(since), "to": ozon_time(to)}
        if order_numbers:
            filter_["order_numbers"] = list(order_numbers)
        body: dict[str, Any] = {
            "cursor": cursor or "",
            "limit": min(limit, MAX_PAGE),
            "sort_dir": "ASC",
            "filter": filter_,
            "with": {"analytics_data": False, "financial_data": True},
        }
        return _postings_page(FBO, self.http.post(FBO_LIST, body))

    def fbo_posting(self, posting_number: str) -> OzonPosting | None:
        body = {"posting_number": posting_number, "with": {"analytics_data": False, "financial_data": True}}
        return self._get(FBO_GET, body, posting_number)

    # --- returns -------------------------------------------------------------------------------------

    def returns(
        self, changed_from: datetime, changed_to: datetime, *, last_id: int | None = None, limit: int = 100
    ) -> ReturnsPage:
        """Returns (FBS and FBO) whose status changed in ``[changed_from, changed_to]``, by id."""
        body: dict[str, Any] = {
            "filter": {
                "visual_status_change_moment": {
                    "time_from": ozon_time(changed_from),
                    "time_to": ozon_time(changed_to),
                }
            },
            "limit": limit,
            "last_id": last_id or 0,
        }
        answer = self.http.post(RETURNS_LIST, body)
        raw = answer.get("returns")
        parsed = parse_records(OzonReturn, raw, "return", "posting_number")
        ids = [item.get("id") for item in raw or [] if isinstance(item, dict)]
        numeric = [i for i in ids if isinstance(i, int) and not isinstance(i, bool)]
        next_id = max(numeric) if numeric else last_id
        return ReturnsPage(
            returns=parsed.records,
            errors=parsed.errors,
            has_next=bool(answer.get("has_next")) and next_id != last_id,
            last_id=next_id,
        )

    # --- single postings -----------------------------------------------------------------------------

    def _get(self, path: str, body: dict[str, Any], posting_number: str) -> OzonPosting | None:
        try:
            answer = self.http.post(path, body)
        except OzonNotFound:
            return None
        result = answer.get("result")
        if not result:
            return None
        parsed = parse_records(OzonPosting, [result], "posting", "posting_number")
        if parsed.errors:
            raise parsed.errors[0]
        return parsed.records[0]

    def order_postings(
        self, order_number: str, since: datetime, to: datetime
    ) -> list[tuple[str, OzonPosting]]:
        """Every posting (shipment) of one order, of either scheme, through the lists' ``order_numbers``.

        An order split into several shipments has postings ``<order>-1``, ``<order>-2``…; which ones exist
        is only known to Ozon, so they are never guessed. The FBS list requires a creation period:
        ``[since, to]`` bounds it.
        """
        found: list[tuple[str, OzonPosting]] = []
        for scheme in (FBS, FBO):
            cursor: str | None = None
            while True:
                page = (
                    self.fbs_postings(since, to, cursor=cursor, order_numbers=[order_number])
                    if scheme == FBS
                    else self.fbo_postings(None, None, cursor=cursor, order_numbers=[order_number])
                )
                if page.errors and not page.postings:
                    raise page.errors[0]
                found.extend((scheme, p) for p in page.postings if p.order_number in (None, order_number))
                if not page.has_next:
                    break
                cursor = page.cursor
        return found

    def key_roles(self) -> KeyRoles:
        """The roles (and the methods they allow) and the expiry of the API key in use."""
        return KeyRoles.model_validate(self.http.post(ROLES, {}))

    def posting(self, posting_number: str) -> tuple[str, OzonPosting] | None:
        """A posting of either scheme by its number: FBS first (claims and returns mostly concern it)."""
        found = self.fbs_posting(posting_number)
        if found is not None:
            return FBS, found
        found = self.fbo_posting(posting_number)
        return (FBO, found) if found is not None else None


def _postings_page(scheme: str, answer: dict[str, Any]) -> PostingsPage:
    """A list answer (``postings``, ``has_next``, ``cursor``) as a page; unreadable records kept apart."""
    parsed = parse_records(OzonPosting, answer.get("postings"), f"{scheme} posting", "posting_number")
    next_cursor = answer.get("cursor")
    return PostingsPage(
        scheme=scheme,
        postings=parsed.records,
        errors=parsed.errors,
        has_next=bool(answer.get("has_next")) and bool(next_cursor),
        cursor=str(next_cursor) if next_cursor else None,
        received=len(parsed.records) + len(parsed.errors),
    )
