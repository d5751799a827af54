"""The app's sense of time, injected so snapshots and tests never show a real time."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]
#: seconds on a clock that never goes back (``time.monotonic``): what waits such as the grid's
#: retries measure, injected so tests move it instead of sleeping
Monotonic = Callable[[], float]


def system_clock() -> datetime:
    return datetime.now(UTC)
