"""Failures of the Seller API, typed so the sync can tell "retry later" from "fix the key" from "skip it"."""

from __future__ import annotations


class OzonError(Exception):
    """Base of every Seller API failure. Messages never carry credentials."""


class OzonAuthError(OzonError):
    """Ozon rejected the Client-Id / Api-Key (HTTP 401/403): an operator has to fix the connection."""


class OzonUnavailable(OzonError):
    """Rate limits, 5xx or timeouts outlasted every retry: the next scheduled run tries again."""


class OzonRequestError(OzonError):
    """Ozon refused the request itself (4xx, not auth): a bug or an API change, not a transient fault."""

    def __init__(self, message: str, *, status: int, code: int | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code


class OzonNotFound(OzonRequestError):
    """The posting does not exist (or is not this seller's)."""


class RecordError(OzonError):
    """One record of a page could not be understood; the rest of the page is still usable."""

    def __init__(self, kind: str, reference: str | None, problem: str) -> None:
        super().__init__(f"bad {kind} record {reference or '<no number>'}: {problem}")
        self.kind = kind
        self.reference = reference
        self.problem = problem
