"""Order claims (SPEC R6) look postings up through the Seller API by what the participant knows."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta

from referral.clock import utcnow
from referral.domain.orders import Posting
from referral.ozon.client import OzonClient, connect
from referral.ozon.config import MAX_PERIOD_DAYS, ClientConfig
from referral.ozon.errors import OzonError

POSTING_NUMBER = re.compile(r"^\d+-\d+-\d+$")
ORDER_NUMBER = re.compile(r"^\d+-\d+$")


class OzonPostingLookup:
    """``PostingLookup`` over the Seller API.

    The Ozon app shows buyers the order number (``12345678-0001``); a posting number adds the shipment
    (``12345678-0001-1``). An order split into several shipments has several postings, and which suffixes
    exist only Ozon knows: an order number is resolved through the lists' ``filter.order_numbers`` (FBS and
    FBO), never by guessing a suffix.
    """

    def __init__(self, client: OzonClient, clock: Callable[[], datetime] = utcnow) -> None:
        self.client = client
        self.clock = clock

    def find_postings(self, number: str) -> list[Posting]:
        """Every posting the number names: the one posting, or every shipment of the order."""
        cleaned = number.strip().replace(" ", "")
        if POSTING_NUMBER.match(cleaned):
            found = self.client.posting(cleaned)
            return [found[1].to_posting(found[0])] if found is not None else []
        if not ORDER_NUMBER.match(cleaned):
            return []
        # A day ahead: a posting Ozon created a moment ago by its own clock is not missed by ours.
        until = self.clock() + timedelta(days=1)
        shipments = self.client.order_postings(cleaned, until - timedelta(days=MAX_PERIOD_DAYS), until)
        postings = [raw.to_posting(scheme) for scheme, raw in shipments]
        return sorted(postings, key=lambda p: (p.is_cancelled, _shipment(p.posting_number)))

    def find_posting(self, number: str) -> Posting | None:
        """The posting a number names; for an order number, its first shipment that is not cancelled."""
        postings = self.find_postings(number)
        return postings[0] if postings else None


def _shipment(posting_number: str) -> tuple[int, str]:
    suffix = posting_number.rsplit("-", 1)[-1]
    return (int(suffix), posting_number) if suffix.isdigit() else (0, posting_number)


class ConfiguredPostingLookup:
    """``PostingLookup`` with the credentials in force at claim time (operators' setting, else deployment's).

    Operators can change the Seller API key in the admin app; a warm bot picks the new one up without a
    redeploy, and an unconfigured connection is reported as unavailable rather than crashing the bot. The
    client is the interactive one (``ClientConfig.for_claims_from_env``): a claim must be answered within
    the webhook's time, not after the sync's patient retries.
    """

    def __init__(
        self,
        credentials: Callable[[], tuple[str, str] | None],
        config: ClientConfig | None = None,
        *,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.credentials = credentials
        self.config = config
        self.clock = clock
        self._lookup: OzonPostingLookup | None = None
        self._in_use: tuple[str, str] | None = None

    def find_posting(self, number: str) -> Posting | None:
        return self._current().find_posting(number)

    def find_postings(self, number: str) -> list[Posting]:
        """Every shipment of the order (or the one posting) ``number`` names."""
        return self._current().find_postings(number)

    def _current(self) -> OzonPostingLookup:
        credentials = self.credentials()
        if credentials is None:
            raise OzonError("the Ozon Seller API connection is not configured")
        if self._lookup is None or credentials != self._in_use:
            config = self.config or ClientConfig.for_claims_from_env()
            self._lookup = OzonPostingLookup(connect(*credentials, config), self.clock)
            self._in_use = credentials
        return self._lookup
