"""POST to the Seller API politely: a shared request budget, retries with backoff and jitter, typed failures.

Ozon allows about 50 requests per second per Client-Id over all methods and may revoke a key that is
hammered. Every caller — the sync and the bot's order claims, in any number of containers — takes a slot
of one budget counted in the table (``SharedRequestBudget``) before each request, waiting when the
current second is full. Rate limits ("You have reached request rate limit per second", "Circle is open"
when a method is blocked for minutes), 5xx, timeouts and broken connections are retried with exponential
backoff and jitter. Amounts are decoded as ``Decimal`` (``parse_float``), so money never passes through a
float.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol

import requests
from aws_lambda_powertools import Logger

from referral.ozon.config import ClientConfig
from referral.ozon.errors import (
    OzonAuthError,
    OzonNotFound,
    OzonRequestError,
    OzonUnavailable,
)

logger = Logger(child=True)

RETRYABLE_MESSAGES = ("rate limit", "circle is open", "too many requests")
NOT_FOUND_CODES = {5}
"""Ozon's gRPC-style error code for "not found" (HTTP 404)."""


class RequestBudget(Protocol):
    """Blocks until one more request may be sent."""

    def acquire(self) -> None: ...


class RequestWindows(Protocol):
    """Counts requests per calendar second for everyone sharing the budget (the table does it)."""

    def take(self, second: int, limit: int) -> bool:
        """Count one request in ``second`` unless ``limit`` were already counted there."""
        ...


class SharedRequestBudget:
    """At most ``per_second`` requests in any second over every caller: a fixed window per second.

    A caller finding the current second full sleeps until the next one; one that cannot get a slot within
    ``max_wait_seconds`` gives up with ``OzonUnavailable`` (the sync retries on its next run, the bot
    answers that Ozon is busy).
    """

    def __init__(
        self,
        windows: RequestWindows,
        per_second: int,
        *,
        max_wait_seconds: float,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if per_second < 1:
            raise ValueError("per_second must be at least 1")
        self.windows = windows
        self.per_second = per_second
        self.max_wait_seconds = max_wait_seconds
        self._clock = clock
        self._sleep = sleep

    def acquire(self) -> None:
        waited = 0.0
        while True:
            now = self._clock()
            second = int(now)
            if self.windows.take(second, self.per_second):
                return
            pause = second + 1 - now
            if waited + pause > self.max_wait_seconds:
                raise OzonUnavailable(
                    f"the Seller API request budget ({self.per_second}/s) stayed full "
                    f"for {self.max_wait_seconds:g} s"
                )
            self._sleep(pause)
            waited += pause


def decode(text: str) -> Any:
    """JSON with every fractional number as ``Decimal``: prices stay exact."""
    return json.loads(text, parse_float=Decimal)


@dataclass(frozen=True, slots=True)
class _Transient:
    """A failure worth another attempt: what went wrong and how long Ozon asked us to wait."""

    problem: str
    retry_after: float | None = None


class OzonHttp:
    """One authenticated connection to the Seller API."""

    def __init__(
        self,
        client_id: str,
        api_key: str,
        config: ClientConfig | None = None,
        *,
        budget: RequestBudget,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
        jitter: Callable[[], float] = random.random,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not client_id or not api_key:
            raise OzonAuthError("Ozon Client-Id and Api-Key are not configured.")
        self.config = config or ClientConfig()
        self._headers = {"Client-Id": client_id, "Api-Key": api_key, "Content-Type": "application/json"}
        self._session = session or requests.Session()
        self.budget = budget
        self._sleep = sleep
        self._jitter = jitter
        self._clock = clock
        self.requests_sent = 0
        self.retries = 0

    def __repr__(self) -> str:  # never show the key
        return f"OzonHttp({self.config.base_url!r})"

    def close(self) -> None:
        self._session.close()

    def post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        """The decoded JSON object Ozon answered, after retrying transient failures."""
        url = f"{self.config.base_url}{path}"
        data = json.dumps(body, default=str)
        attempts = self.config.max_attempts
        started: float | None = None
        problem = ""
        sent = 0
        for attempt in range(1, attempts + 1):
            self.budget.acquire()
            started = self._clock() if started is None else started
            remaining = self._remaining(started)
            if remaining is not None and remaining <= 0:
                break
            timeout = (
                self.config.timeout_seconds
                if remaining is None
                else min(self.config.timeout_seconds, remaining)
            )
            sent += 1
            self.requests_sent += 1
            answer = self._send_once(path, url, data, timeout)
            if isinstance(answer, dict):
                return answer
            problem = answer.problem
            if attempt == attempts or not self._wait_before_retry(path, attempt, answer, started):
                break
        raise OzonUnavailable(
            f"Ozon {path} failed {sent} {'time' if sent == 1 else 'times'}; last: {problem}"
        )

    def _send_once(self, path: str, url: str, data: str, timeout: float) -> dict[str, Any] | _Transient:
        """One request: the answer, a transient problem worth another try, or an error that ends it."""
        try:
            response = self._session.post(url, data=data, headers=self._headers, timeout=timeout)
        except requests.Timeout:
            return _Transient("timed out")
        except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError) as error:
            return _Transient(f"connection failed ({type(error).__name__})")
        payload = _payload(response)
        message = _message(payload)
        status = response.status_code
        if status in (401, 403):
            raise OzonAuthError(
                f"Ozon rejected the API key (HTTP {status}: {message or 'no message'}). "
                "Check the Client-Id and Api-Key in the admin settings."
            )
        if status == 200 and isinstance(payload, dict):
            return payload
        if status == 429 or status >= 500 or _retryable_message(message) or status == 200:
            return _Transient(f"HTTP {status}: {message or 'unreadable answer'}", _retry_after(response))
        code = payload.get("code") if isinstance(payload, dict) else None
        error_type = OzonNotFound if _not_found(status, code, message) else OzonRequestError
        raise error_type(
            f"Ozon refused {path} (HTTP {status}: {message or 'no message'})",
            status=status,
            code=code if isinstance(code, int) else None,
        )

    def _wait_before_retry(self, path: str, attempt: int, answer: _Transient, started: float) -> bool:
        """Sleep the backoff before the next attempt; False when the time left cannot cover it."""
        delay = self._backoff(attempt, answer.retry_after)
        remaining = self._remaining(started)
        if remaining is not None and remaining <= delay:
            return False
        self.retries += 1
        logger.warning(
            "Ozon request will be retried",
            extra={
                "path": path,
                "attempt": attempt,
                "problem": answer.problem,
                "delay_seconds": round(delay, 3),
            },
        )
        self._sleep(delay)
        return True

    def _remaining(self, started: float) -> float | None:
        """Seconds this request may still take (``total_seconds``); None when only the attempts bound it."""
        if self.config.total_seconds is None:
            return None
        return self.config.total_seconds - (self._clock() - started)

    def _backoff(self, attempt: int, retry_after: float | None) -> float:
        """Exponential with "equal jitter": at least half the step, so retries never stampede."""
        step = min(self.config.backoff_cap_seconds, self.config.backoff_base_seconds * 2.0 ** (attempt - 1))
        delay = step / 2 + self._jitter() * step / 2
        if retry_after is not None:
            delay = max(delay, min(retry_after, self.config.backoff_cap_seconds))
        return delay


def _payload(response: requests.Response) -> Any:
    try:
        return decode(response.text)
    except ValueError:
        return None


def _message(payload: Any) -> str:
    if isinstance(payload, dict):
        message = payload.get("message")
        if isinstance(message, str):
            return message[:300]
    return ""


def _not_found(status: int, code: Any, message: str) -> bool:
    """Ozon says "not found" with HTTP 404, its code 5, or (some methods) a 400 naming it in the message."""
    lowered = message.lower()
    return status == 404 or code in NOT_FOUND_CODES or "not found" in lowered or "not_found" in lowered


def _retryable_message(message: str) -> bool:
    lowered = message.lower()
    return any(marker in lowered for marker in RETRYABLE_MESSAGES)


def _retry_after(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None
