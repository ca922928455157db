"""A controllable clock for tests: services take ``clock`` as a dependency."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


class FakeClock:
    """Moves only when told to, plus one millisecond per reading so events keep their order."""

    def __init__(self, start: datetime | None = None, tick: timedelta = timedelta(milliseconds=1)) -> None:
        self.now = start or datetime(2026, 1, 10, 12, 0, tzinfo=UTC)
        self.tick = tick

    def __call__(self) -> datetime:
        self.now += self.tick
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now
