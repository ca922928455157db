"""The webhook's secret token, re-read with a bounded cache so that a rotation takes effect quickly.

Telegram sends ``setWebhook``'s ``secret_token`` with every call. After ops rotate the secret and call
``setWebhook`` again, a warm container must not answer 401 for long: the value is re-read at most
``max_age`` seconds after it was fetched, and within that window a token that does not match forces one
refresh — at most one per ``refresh_interval`` seconds, so a flood of bad tokens cannot hammer Secrets
Manager.
"""

from __future__ import annotations

import hmac
import math
import time
from collections.abc import Callable

from aws_lambda_powertools import Logger

from referral.config import Secret

logger = Logger(child=True)


class WebhookSecret:
    def __init__(
        self,
        secret: Secret,
        *,
        max_age: float,
        refresh_interval: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._secret = secret
        self._max_age = max_age
        self._refresh_interval = refresh_interval
        self._clock = clock
        self._value: str | None = None
        self._fetched_at = -math.inf
        self._forced_at = -math.inf

    def _fetch(self) -> str:
        self._value = self._secret.get(force_fetch=True)
        self._fetched_at = self._clock()
        return self._value

    def current(self) -> str:
        if self._value is None:
            return self._fetch()
        if self._clock() - self._fetched_at >= self._max_age:
            try:
                return self._fetch()
            except Exception:  # keep answering with the value in force; try again after the interval
                logger.exception("webhook secret could not be re-read; the cached value stays in force")
                self._fetched_at = self._clock() - self._max_age + self._refresh_interval
        return self._value

    def matches(self, given: object) -> bool:
        """Whether ``given`` is the secret token (compared in constant time)."""
        if not isinstance(given, str) or not given:
            return False
        if _same(given, self.current()):
            return True
        now = self._clock()
        if now - self._forced_at < self._refresh_interval:
            return False
        self._forced_at = now
        try:
            return _same(given, self._fetch())
        except Exception:  # the cached value stays in force; a real outage shows on the next re-read
            logger.exception("webhook secret could not be refreshed")
            return False


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())
