"""The query whose result the grid shows: what the status line says about it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from tui.app.messages import RunRequested
from tui.app.problems import Problem


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
