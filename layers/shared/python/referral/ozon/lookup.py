"""Order claims (SPEC R6) look postings up through the Seller API by what the participant knows."""

from __future__ import annotations

import re
from collections.abc import Callable

from referral.domain.orders import Posting
from referral.ozon.client import OzonClient, connect
from referral.ozon.config import ClientConfig
from referral.ozon.errors import OzonError

POSTING_NUMBER = re.compile(r"^\d+-\d+-\d+$")
ORDER_NUMBER = re.compile(r"^\d+-\d+$")


class OzonPostingLookup:
    """``PostingLookup`` over the Seller API.

    The Ozon app shows buyers the order number (``12345678-0001``); a posting number adds the shipment
    (``12345678-0001-1``). An order number is resolved to its first posting, which is the whole order
    for the usual single-shipment order.
    """

    def __init__(self, client: OzonClient) -> None:
        self.client = client

    def find_posting(self, number: str) -> Posting | None:
        cleaned = number.strip().replace(" ", "")
        if ORDER_NUMBER.match(cleaned):
            cleaned = f"{cleaned}-1"
        if not POSTING_NUMBER.match(cleaned):
            return None
        found = self.client.posting(cleaned)
        if found is None:
            return None
        scheme, posting = found
        return posting.to_posting(scheme)


class ConfiguredPostingLookup:
    """``PostingLookup`` with the credentials in force at claim time (operators' setting, else deployment's).

    Operators can change the Seller API key in the admin app; a warm bot picks the new one up without a
    redeploy, and an unconfigured connection is reported as unavailable rather than crashing the bot. The
    client is the interactive one (``ClientConfig.for_claims_from_env``): a claim must be answered within
    the webhook's time, not after the sync's patient retries.
    """

    def __init__(
        self, credentials: Callable[[], tuple[str, str] | None], config: ClientConfig | None = None
    ) -> None:
        self.credentials = credentials
        self.config = config
        self._lookup: OzonPostingLookup | None = None
        self._in_use: tuple[str, str] | None = None

    def find_posting(self, number: str) -> Posting | None:
        credentials = self.credentials()
        if credentials is None:
            raise OzonError("the Ozon Seller API connection is not configured")
        if self._lookup is None or credentials != self._in_use:
            config = self.config or ClientConfig.for_claims_from_env()
            self._lookup = OzonPostingLookup(connect(*credentials, config))
            self._in_use = credentials
        return self._lookup.find_posting(number)
