"""Command-line presentation of client results: one-line error messages, exit codes, progress.

Shared by ``folio export``, ``folio rest`` and ``folio queries``; kept here, beside the errors
it describes, so the three commands say the same thing about the same failure.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from tui.client.errors import (
    Expired,
    FolioError,
    NotFound,
    ProtocolError,
    QueryError,
    ServerUnavailable,
    TransportError,
    Unauthorized,
)
from tui.humanize import format_bytes, format_duration

__all__ = [
    "EXIT_CODES_HELP",
    "add_connection_arguments",
    "describe_error",
    "exit_code_for",
    "format_bytes",
    "format_duration",
    "parse_param",
    "row_progress",
]

EXIT_USAGE = 2
EXIT_UNREACHABLE = 3
EXIT_AUTH = 4
EXIT_NOT_FOUND = 5
EXIT_QUERY = 6

EXIT_CODES_HELP = (
    "exit codes: 0 done · 1 other failure · 2 bad input or unwritable output · 3 server unreachable "
    "or unavailable · 4 API key rejected · 5 unknown or expired query · 6 SQL error · "
    "130 interrupted (Ctrl-C) · 143 terminated (SIGTERM)"
)


def add_connection_arguments(parser: argparse.ArgumentParser) -> None:
    """``--server URL --api-key KEY`` or ``--source SOURCE`` (embedded mode), as in tui.config."""
    group = parser.add_argument_group("connection (flags > environment > .env)")
    where = group.add_mutually_exclusive_group()
    where.add_argument("--server", metavar="URL", help="query service URL (FOLIO_SERVER, ROCKSET_API_SERVER)")
    where.add_argument(
        "--source",
        metavar="SOURCE",
        help="run the service in-process over SOURCE: a .duckdb/.sqlite/.parquet/.csv file or "
        "postgresql://… (FOLIO_SOURCE; default: in-memory DuckDB)",
    )
    group.add_argument("--api-key", metavar="KEY", help="API key for --server (FOLIO_API_KEY, ROCKSET_API_KEY)")


def _one_line(text: str) -> str:
    return " ".join(part.strip() for part in text.strip().splitlines() if part.strip())


def describe_error(exc: BaseException, *, server: str | None = None, query_id: str | None = None) -> str:
    """One line saying what went wrong, in the server's words where it has them.

    ``query_id`` is the id the user asked about, if any, so "not found" can name it.
    """
    where = f" at {server}" if server else ""
    if isinstance(exc, QueryError):
        # DuckDB messages carry a multi-line caret diagram; line/column say the same in one line.
        first = exc.message.strip().splitlines()[0] if exc.message.strip() else "the query failed"
        pos = ""
        if exc.line is not None:
            pos = f" (line {exc.line}" + (f", column {exc.column})" if exc.column is not None else ")")
        return f"SQL error: {first}{pos}"
    if isinstance(exc, Unauthorized):
        return f"the server{where} rejected the API key: {_one_line(exc.message)}"
    if isinstance(exc, Expired):
        when = exc.expired_at
        stamp = when.strftime("%Y-%m-%d %H:%M:%S UTC") if when else None
        suffix = f" (expired {stamp})" if stamp and when.strftime("%Y-%m-%d") not in exc.message else ""
        return f"result expired: {_one_line(exc.message)}{suffix}"
    if isinstance(exc, NotFound):
        if query_id:
            return f"no query {query_id}{where} (unknown id, or not visible to this API key): {_one_line(exc.message)}"
        return f"not found{where}: {_one_line(exc.message)}"
    if isinstance(exc, FolioError):
        return _one_line(str(exc))
    if isinstance(exc, OSError):
        return _one_line(str(exc))
    return _one_line(f"{type(exc).__name__}: {exc}")


def exit_code_for(exc: BaseException) -> int:
    if isinstance(exc, QueryError):
        return EXIT_QUERY
    if isinstance(exc, (TransportError, ServerUnavailable)):
        return EXIT_UNREACHABLE
    if isinstance(exc, Unauthorized):
        return EXIT_AUTH
    if isinstance(exc, (NotFound, Expired)):
        return EXIT_NOT_FOUND
    if isinstance(exc, ProtocolError):
        return 1
    if isinstance(exc, OSError) or getattr(exc, "unwritable_output", False):
        return EXIT_USAGE
    return 1


def parse_param(text: str) -> tuple[str, Any]:
    """``name=value`` (a string) or ``name:type=value`` with type int, float, bool, date,
    datetime or string, for ``-p``. Values are strings unless typed, because guessing would turn
    a zip code like ``01234`` into a number."""
    name, sep, value = text.partition("=")
    if not sep or not name:
        raise ValueError(f"bad parameter {text!r}: expected NAME=VALUE or NAME:TYPE=VALUE")
    name, _, kind = name.partition(":")
    kind = kind.strip().lower() or "string"
    try:
        if kind in ("string", "str"):
            return name, value
        if kind == "int":
            return name, int(value)
        if kind == "float":
            return name, float(value)
        if kind == "bool":
            lowered = value.strip().lower()
            if lowered not in ("true", "false", "1", "0"):
                raise ValueError(value)
            return name, lowered in ("true", "1")
        if kind == "date":
            return name, datetime.strptime(value, "%Y-%m-%d").date()
        if kind == "datetime":
            return name, datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"bad parameter {text!r}: {value!r} is not a valid {kind}") from None
    raise ValueError(f"bad parameter {text!r}: unknown type {kind!r} (int, float, bool, date, datetime, string)")


def utcnow() -> datetime:
    return datetime.now(UTC)


@contextmanager
def row_progress(description: str, *, enabled: bool | None = None) -> Iterator[Any]:
    """A Rich progress bar on stderr counting rows: rows done / total, rows/s, ETA.

    Yields ``update(rows, total)``. Shown only when stderr is a terminal (or ``enabled``), so
    logs and tests get no control sequences and an error stays one line.
    """
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        Progress,
        ProgressColumn,
        Task,
        TextColumn,
        TimeRemainingColumn,
    )
    from rich.table import Column
    from rich.text import Text

    console = Console(stderr=True)
    show = console.is_terminal if enabled is None else enabled
    if not show:
        yield lambda rows, total: None
        return

    class Rows(ProgressColumn):
        def render(self, task: Task) -> Text:
            done = int(task.completed)
            return Text(f"{done:,}/{int(task.total):,} rows" if task.total is not None else f"{done:,} rows")

    class RowSpeed(ProgressColumn):
        def render(self, task: Task) -> Text:
            speed = task.finished_speed or task.speed
            return Text("" if speed is None else f"{speed:,.0f}/s", style="progress.data.speed")

    def one_line() -> Column:
        # a wrapped progress line redraws as a stack of fragments
        return Column(no_wrap=True)

    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(bar_width=20),
        Rows(table_column=one_line()),
        RowSpeed(table_column=one_line()),
        TextColumn("eta"),
        TimeRemainingColumn(table_column=one_line()),
        console=console,
        transient=True,
    )
    task = progress.add_task(description, total=None)

    def update(rows: int, total: int | None) -> None:
        progress.update(task, completed=rows, total=total)

    with progress:
        yield update


def write_stdout(text: str) -> None:
    """Write ``text`` to stdout; a closed pipe (``folio queries --json | head``) is not an error."""
    import os

    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except BrokenPipeError:
        # Python would complain again when flushing at exit; point stdout at /dev/null instead.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
