"""Domain exceptions.

Every failure a caller can act on has its own type with a human-readable message, so handlers can map
them to HTTP codes or bot replies in one place instead of inspecting DynamoDB error codes. The type's
``code`` is the category (it picks the HTTP status); ``reason`` is the stable machine key of the exact
case (``negative_balance``, ``order_taken``, ...), so the bot and the web app can word it in the user's
language without matching English messages.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from typing import Any


class DomainError(Exception):
    """Base of all expected, explainable failures."""

    code = "domain_error"

    def __init__(
        self, message: str, *, details: dict[str, Any] | None = None, reason: str | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or {}
        self.reason = reason or self.code


class NotFound(DomainError):
    code = "not_found"


class Conflict(DomainError):
    """The write lost a race or would violate a uniqueness rule; the state did not change."""

    code = "conflict"


class InvalidInput(DomainError):
    code = "invalid_input"


class InsufficientFunds(DomainError):
    code = "insufficient_funds"


class Forbidden(DomainError):
    """The actor may not do this (blocked participant, wrong role, ...)."""

    code = "forbidden"


class AlreadyRegistered(Conflict):
    code = "already_registered"


class OzonIdTaken(Conflict):
    code = "ozon_id_taken"


class SelfReferral(Conflict):
    """Someone would become their own sponsor: the tree cannot hold it (well-formed, but a 409)."""

    code = "self_referral"


class ReferralCycle(Conflict):
    """The new sponsor is in the participant's own network: the tree as it is would get a loop."""

    code = "referral_cycle"


class InvalidTransition(Conflict):
    code = "invalid_transition"


class Busy(Conflict):
    """The store kept refusing for contention or throttling until the retry budget ran out; nothing changed.

    The caller may try again later (the sync and the sweeps do on their next run).
    """


class AlreadyExists(Conflict):
    """What a write creates exists already (a used key, a taken code): the state did not change."""

    def __init__(self, message: str = "It exists already.", *, reason: str = "already_exists") -> None:
        super().__init__(message, reason=reason)


class StaleRead(Conflict):
    """Something the decision was made on changed before the write committed: read again, decide again.

    ``participants`` and ``levels`` name the profiles and network levels (participant, level) whose
    condition did not hold, when those were what changed.
    """

    default_reason = "stale"

    def __init__(
        self,
        message: str = "The data changed meanwhile; reload it and try again.",
        *,
        participants: frozenset[str] = frozenset(),
        levels: frozenset[tuple[str, int]] = frozenset(),
    ) -> None:
        super().__init__(message, reason=self.default_reason)
        self.participants = participants
        self.levels = levels


class OrderChanged(StaleRead):
    """The stored order (or one of its accruals) changed since it was read."""

    default_reason = "order_changed"


class ParticipantsChanged(StaleRead):
    """A profile or network level the write was conditioned on changed (moved, blocked, newer dates)."""

    default_reason = "participants_changed"


class TreeChanged(StaleRead):
    """Another move of the referral tree committed since the tree was read."""

    default_reason = "tree_changed"


class BalanceChanged(StaleRead):
    """The balance no longer covers the change (or the participant was blocked) since it was read."""

    default_reason = "balance_changed"


class WithdrawalChanged(StaleRead):
    """The withdrawal request's status changed since it was read."""

    default_reason = "withdrawal_changed"


class ActorChanged(StaleRead):
    """The acting admin is no longer the owner it was when the request was authenticated."""

    default_reason = "actor_changed"


def field_errors(
    errors: Iterable[Mapping[str, Any]], *, skip: Collection[str] = (), whole: str = "body"
) -> list[dict[str, Any]]:
    """Pydantic's validation errors as error items a client can translate.

    Each item: ``field`` (dotted path; ``whole`` when the error is about everything), ``message``
    (English), pydantic's ``type`` (``less_than_equal``, ``missing``, ...) and, where the check has
    limits, ``ctx`` (``{"le": 365}``). The rejected input is never echoed (it may be a secret).
    """
    items = []
    for error in errors:
        item: dict[str, Any] = {
            "field": ".".join(str(part) for part in error.get("loc", ()) if part not in skip) or whole,
            "message": str(error.get("msg", "invalid")),
            "type": str(error.get("type", "value_error")),
        }
        if error.get("ctx"):
            item["ctx"] = {name: _plain(value) for name, value in error["ctx"].items()}
        items.append(item)
    return items


def _plain(value: Any) -> Any:
    """A limit as JSON: numbers and text as they are, anything else (Decimal, an exception) as text."""
    return value if isinstance(value, bool | int | float | str) else str(value)
