"""The query whose result the grid shows: what the status line says about it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from tui.app.messages import RunRequested
from tui.app.problems import Problem
from tui.humanize import format_duration


@dataclass
class CurrentQuery:
    """The query whose result the grid shows."""

    query_id: str
    sql: str
    started_at: datetime
    status: str
    request: RunRequested | None = None
    rows: int | None = None
    elapsed_ms: int | None = None
    problem: Problem | None = None
    reopened: bool = False
    #: how long the re-open itself took (the query's own ``elapsed_ms`` is the original run)
    reopen_ms: float | None = None

    def took(self) -> str:
        """`` in 4.6 s`` for a run; for a re-open its own time, then the run's: a re-open that
        said the original run's time as its own would not be the truth."""
        ran = f"{format_duration(self.elapsed_ms / 1000)}" if self.elapsed_ms is not None else None
        if not self.reopened:
            return f" in {ran}" if ran else ""
        again = f" in {format_duration(self.reopen_ms / 1000)}" if self.reopen_ms is not None else ""
        return again + (f" (ran in {ran})" if ran else "")
