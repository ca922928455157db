"""Settings of the Seller API client and of the sync: ``OzonSettings`` validates the ``OZON_*`` variables."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Annotated

from pydantic import Field, field_validator

from referral.config import Settings

DEFAULT_API_URL = "https://api-seller.ozon.ru"
MAX_PERIOD_DAYS = 364
"""Ozon refuses list periods longer than a year; one day of margin keeps time zones out of the way."""


@dataclass(frozen=True, slots=True)
class ClientConfig:
    """How to talk to Ozon: where, how fast, how patiently."""

    base_url: str = DEFAULT_API_URL
    requests_per_second: int = 10
    """Ozon allows about 50 per second per Client-Id over all methods: this budget is shared by the sync
    and the bot's order claims in every container (counted in the table)."""
    budget_wait_seconds: float = 60.0
    """The longest a request waits for a slot of the shared budget before giving up."""
    timeout_seconds: float = 30.0
    max_attempts: int = 6
    backoff_base_seconds: float = 0.5
    backoff_cap_seconds: float = 30.0
    total_seconds: float | None = None
    """The most one request may take, every attempt and backoff included; None = as the attempts allow."""

    @classmethod
    def from_env(cls) -> ClientConfig:
        return OzonSettings.from_env().client_config()

    @classmethod
    def for_claims_from_env(cls) -> ClientConfig:
        """Order claims run inside the bot's webhook (a 25 s Lambda): short and few attempts, bounded.

        A claim looks a posting up with at most two requests (FBS, then FBO), each within
        ``OZON_LOOKUP_TIMEOUT_SECONDS`` (default 5 s) all attempts included, after at most 1 s for a slot of
        the shared budget: about 10 s in the worst case, and the bot answers that Ozon is busy.
        """
        return OzonSettings.from_env().claims_client_config()


@dataclass(frozen=True, slots=True)
class SyncConfig:
    """What the scheduled sync walks and how much of it per run."""

    backfill_days: int = 90
    """A new installation first loads this many days of postings (at most a year: the API's window)."""
    fbo_refresh_days: int = 45
    """FBO lists cannot filter by status change, so postings this recent are re-read now and then..."""
    fbo_refresh_minutes: int = 60
    """...every this many minutes; runs in between read only new FBO postings."""
    page_size: int = 100
    """100 postings = one BatchGetItem of what the table already knows about them."""
    returns_page_size: int = 100
    max_pages: int | None = None
    """Stop after this many pages (the next run resumes from the checkpoints); None = until caught up."""
    lease_seconds: int = 900
    overlap_seconds: int = 900
    """A new window starts this much before the previous one ended, so late-indexed postings are seen."""
    fetch_missing_customer: bool = True
    """Ask for an FBS posting's detail when the list left out its ``customer`` (needed for attribution)."""

    @classmethod
    def from_env(cls) -> SyncConfig:
        return OzonSettings.from_env().sync_config()


class OzonSettings(Settings):
    """The ``OZON_*`` variables of the Seller API client and the sync, each checked against its range."""

    ozon_api_url: str = DEFAULT_API_URL
    ozon_max_rps: Annotated[int, Field(ge=1, le=40)] = 10
    ozon_timeout_seconds: Annotated[float, Field(ge=0.05, le=120.0)] = 30.0
    ozon_max_attempts: Annotated[int, Field(ge=1, le=20)] = 6
    ozon_backoff_base_seconds: Annotated[float, Field(ge=0.0, le=60.0)] = 0.5
    ozon_lookup_timeout_seconds: Annotated[float, Field(ge=0.05, le=10.0)] = 5.0
    ozon_backfill_days: Annotated[int, Field(ge=1, le=MAX_PERIOD_DAYS)] = 90
    ozon_fbo_refresh_days: Annotated[int, Field(ge=1, le=MAX_PERIOD_DAYS)] = 45
    ozon_fbo_refresh_minutes: Annotated[int, Field(ge=0, le=10_080)] = 60
    ozon_page_size: Annotated[int, Field(ge=1, le=1000)] = 100
    ozon_returns_page_size: Annotated[int, Field(ge=1, le=500)] = 100
    ozon_sync_max_pages: Annotated[int, Field(ge=1, le=100_000)] | None = None
    ozon_sync_lease_seconds: Annotated[int, Field(ge=30, le=3600)] = 900
    ozon_sync_overlap_seconds: Annotated[int, Field(ge=0, le=86_400)] = 900

    @field_validator("ozon_api_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http(s) URL")
        return value.rstrip("/")

    def client_config(self) -> ClientConfig:
        return ClientConfig(
            base_url=self.ozon_api_url,
            requests_per_second=self.ozon_max_rps,
            timeout_seconds=self.ozon_timeout_seconds,
            max_attempts=self.ozon_max_attempts,
            backoff_base_seconds=self.ozon_backoff_base_seconds,
        )

    def claims_client_config(self) -> ClientConfig:
        """Order claims run inside the bot's webhook (a 25 s Lambda): short and few attempts, bounded.

        A claim looks a posting up with at most two requests (FBS, then FBO), each within
        ``OZON_LOOKUP_TIMEOUT_SECONDS`` (default 5 s) all attempts included, after at most 1 s for a slot of
        the shared budget: about 10 s in the worst case, and the bot answers that Ozon is busy.
        """
        timeout = self.ozon_lookup_timeout_seconds
        return replace(
            self.client_config(),
            timeout_seconds=timeout,
            max_attempts=2,
            backoff_base_seconds=0.25,
            backoff_cap_seconds=1.0,
            total_seconds=timeout,
            budget_wait_seconds=1.0,
        )

    def sync_config(self) -> SyncConfig:
        return SyncConfig(
            backfill_days=self.ozon_backfill_days,
            fbo_refresh_days=self.ozon_fbo_refresh_days,
            fbo_refresh_minutes=self.ozon_fbo_refresh_minutes,
            page_size=self.ozon_page_size,
            returns_page_size=self.ozon_returns_page_size,
            max_pages=self.ozon_sync_max_pages,
            lease_seconds=self.ozon_sync_lease_seconds,
            overlap_seconds=self.ozon_sync_overlap_seconds,
        )
