"""Settings of the Seller API client and of the sync, read from the environment once per container."""

from __future__ import annotations

from dataclasses import dataclass, replace

from referral.config import ConfigurationError, optional

DEFAULT_API_URL = "https://api-seller.ozon.ru"
MAX_PERIOD_DAYS = 364
"""Ozon refuses list periods longer than a year; one day of margin keeps time zones out of the way."""


def _number(name: str, default: float, *, low: float, high: float) -> float:
    raw = optional(name)
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigurationError(f"{name} must be a number, got {raw!r}") from None
    if not low <= value <= high:
        raise ConfigurationError(f"{name} must be between {low:g} and {high:g}, got {raw!r}")
    return value


def _whole(name: str, default: int, *, low: int, high: int) -> int:
    value = _number(name, default, low=low, high=high)
    if value != int(value):
        raise ConfigurationError(f"{name} must be a whole number")
    return int(value)


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
        base_url = (optional("OZON_API_URL") or DEFAULT_API_URL).rstrip("/")
        if not base_url.startswith(("http://", "https://")):
            raise ConfigurationError("OZON_API_URL must be an http(s) URL")
        return cls(
            base_url=base_url,
            requests_per_second=_whole("OZON_MAX_RPS", 10, low=1, high=40),
            timeout_seconds=_number("OZON_TIMEOUT_SECONDS", 30.0, low=0.05, high=120.0),
            max_attempts=_whole("OZON_MAX_ATTEMPTS", 6, low=1, high=20),
            backoff_base_seconds=_number("OZON_BACKOFF_BASE_SECONDS", 0.5, low=0.0, high=60.0),
        )

    @classmethod
    def for_claims_from_env(cls) -> ClientConfig:
        """Order claims run inside the bot's webhook (a 25 s Lambda): short and few attempts, bounded.

        A claim looks a posting up with at most two requests (FBS, then FBO), each within
        ``OZON_LOOKUP_TIMEOUT_SECONDS`` (default 5 s) all attempts included, after at most 1 s for a slot of
        the shared budget: about 10 s in the worst case, and the bot answers that Ozon is busy.
        """
        timeout = _number("OZON_LOOKUP_TIMEOUT_SECONDS", 5.0, low=0.05, high=10.0)
        return replace(
            cls.from_env(),
            timeout_seconds=timeout,
            max_attempts=2,
            backoff_base_seconds=0.25,
            backoff_cap_seconds=1.0,
            total_seconds=timeout,
            budget_wait_seconds=1.0,
        )


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
        max_pages = optional("OZON_SYNC_MAX_PAGES")
        return cls(
            backfill_days=_whole("OZON_BACKFILL_DAYS", 90, low=1, high=MAX_PERIOD_DAYS),
            fbo_refresh_days=_whole("OZON_FBO_REFRESH_DAYS", 45, low=1, high=MAX_PERIOD_DAYS),
            fbo_refresh_minutes=_whole("OZON_FBO_REFRESH_MINUTES", 60, low=0, high=10_080),
            page_size=_whole("OZON_PAGE_SIZE", 100, low=1, high=1000),
            returns_page_size=_whole("OZON_RETURNS_PAGE_SIZE", 100, low=1, high=500),
            max_pages=_whole("OZON_SYNC_MAX_PAGES", 0, low=1, high=100_000) if max_pages else None,
            lease_seconds=_whole("OZON_SYNC_LEASE_SECONDS", 900, low=30, high=3600),
            overlap_seconds=_whole("OZON_SYNC_OVERLAP_SECONDS", 900, low=0, high=86_400),
        )
