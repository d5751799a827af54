"""What the queries sidebar says about one query: pure formatting from a ``QueryInfo`` and the
injected clock (so "expires in 23h 59m" is deterministic in tests)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tui.app.source import info_bytes, info_rows, parse_ts, status_name
from tui.humanize import format_duration

STATUS_STYLES = {
    "QUEUED": "yellow",
    "RUNNING": "bold yellow",
    "COMPLETED": "green",
    "ERROR": "bold red",
    "CANCELLED": "magenta",
    "EXPIRED": "red",
}
#: a mark beside the status, so states are told apart without colour too
STATUS_MARKS = {
    "QUEUED": "…",
    "RUNNING": "▶",
    "COMPLETED": "✓",
    "ERROR": "✗",
    "CANCELLED": "■",
    "EXPIRED": "○",
}


def short_id(query_id: str) -> str:
    return query_id[:8]


def _ts(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return parse_ts(text)
    except ValueError:
        return None


@dataclass(frozen=True)
class QueryEntry:
    """One line group of the sidebar."""

    query_id: str
    status: str
    sql: str
    rows: int | None
    bytes: int | None
    submitted_at: datetime | None
    expires_at: datetime | None
    elapsed_ms: int | None
    error: str = ""
    #: the query whose stored result this one was computed from (filter, sort, frequency…)
    derived_from: str | None = None

    @classmethod
    def from_info(cls, info: Any) -> QueryEntry:
        stats = getattr(info, "stats", None)
        return cls(
            query_id=str(info.query_id or ""),
            status=status_name(info.status) or "QUEUED",
            sql=str(getattr(info, "sql", "") or ""),
            rows=info_rows(info),
            bytes=info_bytes(info),
            submitted_at=_ts(getattr(info, "submitted_at", None)),
            expires_at=_ts(getattr(info, "expires_at", None)),
            elapsed_ms=getattr(stats, "elapsed_time_ms", None) if stats is not None else None,
            error=_error_text(info),
            derived_from=getattr(info, "derived_from", None) or None,
        )

    def expired(self, now: datetime) -> bool:
        return self.expires_at is not None and self.expires_at <= now

    def state(self, now: datetime) -> str:
        return "EXPIRED" if self.expired(now) else self.status

    def elapsed(self, now: datetime) -> str:
        if self.status in ("QUEUED", "RUNNING") and self.submitted_at is not None:
            return format_duration((now - self.submitted_at).total_seconds())
        if self.elapsed_ms is not None:
            return format_duration(self.elapsed_ms / 1000)
        return "–"

    def expiry(self, now: datetime) -> str:
        if self.expires_at is None:
            return "kept until done" if self.status in ("QUEUED", "RUNNING") else ""
        left = (self.expires_at - now).total_seconds()
        if left <= 0:
            return "expired"
        if left < 60:
            return f"expires in {int(left)}s"
        minutes = int(left // 60)
        hours, minutes = divmod(minutes, 60)
        return f"expires in {hours}h {minutes:02d}m" if hours else f"expires in {minutes}m"

    def times(self, now: datetime, width: int) -> tuple[str, str]:
        """How long it ran and when it expires (``elapsed · expiry``), in ``width`` cells if it
        can: an indented (derived) entry drops "expires in" rather than wrap onto a line of
        its own."""
        elapsed, expiry = self.elapsed(now), self.expiry(now)
        if len(elapsed) + 3 + len(expiry) > width and expiry.startswith("expires in "):
            expiry = f"{expiry.removeprefix('expires in ')} left"
        return elapsed, expiry

    def rows_text(self) -> str:
        if self.rows is None:
            return "– rows"
        suffix = "+" if self.status in ("QUEUED", "RUNNING") else ""
        return f"{self.rows:,}{suffix} {'row' if self.rows == 1 and not suffix else 'rows'}"

    def sort_key(self) -> float:
        # newest first; ties keep the server's own order (the sort is stable)
        return -(self.submitted_at.timestamp() if self.submitted_at else 0.0)


def _error_text(info: Any) -> str:
    errors = getattr(info, "query_errors", None) or []
    if not errors:
        return ""
    message = str(getattr(errors[0], "message", "") or "")
    return message.strip().split("\n", 1)[0]


#: deeper derived results are drawn at this depth (the sidebar is narrow)
MAX_DEPTH = 4


def arrange(entries: list[QueryEntry]) -> list[tuple[QueryEntry, int]]:
    """Entries with their depth: each derived result right under the result it came from (in
    the given order among siblings), a result whose parent is not listed at the top level."""
    ids = {entry.query_id for entry in entries}
    children: dict[str, list[QueryEntry]] = {}
    roots: list[QueryEntry] = []
    for entry in entries:
        parent = entry.derived_from
        if parent and parent in ids and parent != entry.query_id:
            children.setdefault(parent, []).append(entry)
        else:
            roots.append(entry)
    arranged: list[tuple[QueryEntry, int]] = []
    seen: set[str] = set()

    def visit(entry: QueryEntry, depth: int) -> None:
        if entry.query_id in seen:
            return
        seen.add(entry.query_id)
        arranged.append((entry, min(depth, MAX_DEPTH)))
        for child in children.get(entry.query_id, []):
            visit(child, depth + 1)

    for root in roots:
        visit(root, 0)
    # a cycle of derived_from (cannot happen with real ids): still list every entry once
    arranged += [(entry, 0) for entry in entries if entry.query_id not in seen]
    return arranged
