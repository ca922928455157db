"""Guards of the admin login: attempts per client address and per Telegram account, logins used once.

Counting is a fixed window per client kept in the table (one conditional update per attempt), so every
Lambda container sees the same count. An address is counted before anything else is looked at: a flood
from one address is answered 429 at the cost of one write. An account is counted only once Telegram's
signature proved the id, so nobody can lock an operator out by sending logins in the operator's name.
"""

from __future__ import annotations

from dataclasses import dataclass

from referral.errors import DomainError
from referral.repository import admin_accounts


class TooManyRequests(DomainError):
    """A client made more attempts than its window allows; ``retry_after`` seconds until the next one."""

    code = "too_many_requests"

    def __init__(self, message: str, *, retry_after: int, reason: str) -> None:
        super().__init__(message, details={"retry_after": retry_after}, reason=reason)
        self.retry_after = retry_after


@dataclass(frozen=True, slots=True)
class LoginLimits:
    per_address: int = 20
    """Login attempts one source address may make in a window, signed or not."""
    per_account: int = 10
    """Signed logins of one Telegram account in a window."""
    window_seconds: int = 600


class LoginGuard:
    def __init__(self, limits: LoginLimits) -> None:
        self.limits = limits

    def count_address(self, address: str | None, now: int) -> None:
        """Count an attempt from ``address`` (API Gateway's source IP, which a client cannot choose)."""
        self._count("address", address or "unknown", self.limits.per_address, now)

    def count_account(self, telegram_id: str, now: int) -> None:
        self._count("account", telegram_id, self.limits.per_account, now)

    def _count(self, scope: str, client: str, limit: int, now: int) -> None:
        window_seconds = self.limits.window_seconds
        window = now - now % window_seconds
        ends = window + window_seconds
        if not admin_accounts.count_attempt(scope, client, window, ends, limit):
            raise TooManyRequests(
                "Too many login attempts; try again later.",
                retry_after=max(1, ends - now),
                reason=f"login_attempts_per_{scope}",
            )

    @staticmethod
    def use_once(login_hash: str, valid_until: int) -> bool:
        """Remember a signed login until it is too old to be accepted anyway; False if it was used."""
        return admin_accounts.use_login(login_hash, valid_until)
