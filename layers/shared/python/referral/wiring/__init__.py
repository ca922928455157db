"""Composition roots: each function builds its collaborators from one validated settings model.

In a Lambda container (``AWS_LAMBDA_FUNCTION_NAME`` is set) the settings are read and validated while the
handler module is imported: a bad or missing variable fails the function's init with the variable's name,
before any request. The collaborators are composed once, at the first invocation: what they import (the
domain, PynamoDB) is paid once per container either way, and the init stays as light as the webhook's
rejected calls need. Elsewhere (tests, local runs) nothing is read at import, and the
settings are read and the collaborators built on each invocation, so a changed environment takes effect.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Generic, TypeVar

S = TypeVar("S")
Built = TypeVar("Built")


def in_lambda() -> bool:
    return bool(os.environ.get("AWS_LAMBDA_FUNCTION_NAME"))


class Root(Generic[S, Built]):
    """Reads a function's settings and composes its collaborators: once per Lambda container."""

    def __init__(self, read: Callable[[], S], compose: Callable[[S], Built], *, keep: bool = False) -> None:
        """``keep``: outside Lambda too, keep what was built until ``reset`` (state worth keeping warm)."""
        self._read = read
        self._compose = compose
        self._keep = keep
        self._built: Built | None = None
        self._settings: S | None = None

    def prepare(self) -> None:
        """At import: in a Lambda container, read the settings now so that a bad value fails the init."""
        if in_lambda():
            self._settings = self._read()

    def get(self) -> Built:
        if self._built is not None:
            return self._built
        settings = self._settings if self._settings is not None else self._read()
        built = self._compose(settings)
        if self._keep or in_lambda():
            self._built = built
        return built

    @property
    def built(self) -> Built | None:
        """What was built and kept, if anything."""
        return self._built

    def reset(self) -> None:
        """Forget what was read and built (tests; a changed environment)."""
        self._built = None
        self._settings = None

    cache_clear = reset


def bind(name: str) -> None:
    """Point the table models at ``name`` (kept when already bound: the client and its models stay)."""
    from referral.repository.table import bind_table, table_name  # heavy: only once a function runs

    if table_name() != name:
        bind_table(name)
