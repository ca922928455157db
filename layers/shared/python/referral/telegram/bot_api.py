"""A small synchronous Bot API client for senders outside a webhook turn (outbox sweeps, digests).

It keeps to Telegram's limits with a shared pace (about 30 messages per second overall) and reports
errors typed enough to decide: retry later (429 with ``retry_after``, 5xx, network) or give up on a
participant who blocked the bot (403).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import requests

from referral.telegram import calls
from referral.telegram.calls import BotCall
from referral.telegram.config import BotConfig

TIMEOUT_SECONDS = 10.0
MIN_TIMEOUT_SECONDS = 0.5
MESSAGES_PER_SECOND = 25.0
"""A little under Telegram's ~30/s so that webhook replies sent at the same time still fit."""


class BotApiError(Exception):
    def __init__(self, status: int, description: str, retry_after: float | None = None) -> None:
        super().__init__(f"Telegram {status}: {description}")
        self.status = status
        self.description = description
        self.retry_after = retry_after

    @property
    def unreachable(self) -> bool:
        """The participant blocked the bot, deleted the account, or never started a chat with it."""
        text = self.description.lower()
        return self.status == 403 or (self.status == 400 and "chat not found" in text)

    @property
    def retryable(self) -> bool:
        return self.status == 429 or self.status >= 500 or self.status == 0


@dataclass
class Pace:
    """Spaces out sends to at most ``rate`` per second; a 429 pauses everyone for ``retry_after``."""

    rate: float = MESSAGES_PER_SECOND
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    _next_at: float = field(default=0.0, init=False)

    def wait(self) -> None:
        now = self.clock()
        if self._next_at > now:
            self.sleep(self._next_at - now)
            now = self._next_at
        self._next_at = now + 1.0 / self.rate

    def hold(self, seconds: float) -> None:
        self._next_at = max(self._next_at, self.clock() + seconds)


class BotApi:
    def __init__(
        self,
        config: BotConfig,
        *,
        pace: Pace | None = None,
        session: requests.Session | None = None,
        deadline: float | None = None,
    ) -> None:
        self.config = config
        self._url = f"{config.base_url}{config.token}"
        self.pace = pace or Pace()
        self._session = session or requests.Session()
        self.deadline = deadline
        """A ``time.monotonic()`` instant no call may wait past (senders inside a request's time budget)."""

    def make(self, call: BotCall) -> Any:
        """Make a typed call (``referral.telegram.calls``); raises ``BotApiError`` like ``call``."""
        return self.call(call.method, **calls.params(call))

    def call(self, method: str, **params: Any) -> Any:
        """Call ``method``; raises ``BotApiError`` on any refusal or transport failure."""
        self.pace.wait()
        timeout = TIMEOUT_SECONDS
        if self.deadline is not None:
            timeout = min(timeout, max(self.deadline - time.monotonic(), MIN_TIMEOUT_SECONDS))
        try:
            response = self._session.post(f"{self._url}/{method}", json=params, timeout=timeout)
        except requests.RequestException as error:
            raise BotApiError(0, f"network error: {type(error).__name__}") from None
        try:
            body = response.json()
        except ValueError:
            raise BotApiError(response.status_code, "not a JSON answer") from None
        if response.ok and isinstance(body, dict) and body.get("ok"):
            return body.get("result")
        description = str(body.get("description", "")) if isinstance(body, dict) else ""
        parameters = body.get("parameters") if isinstance(body, dict) else None
        retry_after = None
        if isinstance(parameters, dict) and isinstance(parameters.get("retry_after"), int | float):
            retry_after = float(parameters["retry_after"])
            self.pace.hold(retry_after)
        raise BotApiError(response.status_code, description, retry_after)
