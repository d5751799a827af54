"""``folio queries [--json]``: the stored and running queries of the configured server.

A table (id, status, rows, size, submitted, expires in) for people, or JSON (the server's
QueryInfo objects) for scripts.
"""

from __future__ import annotations

import argparse
from datetime import datetime
from typing import Any

from tui.commands.listing import add_listing_arguments, fetch, write_json

_STATUS_STYLE = {"COMPLETED": "green", "RUNNING": "yellow", "QUEUED": "cyan", "ERROR": "red", "CANCELLED": "dim"}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_listing_arguments(parser, json_help="print the server's QueryInfo objects as JSON")


def run(args: argparse.Namespace) -> int:
    infos = fetch(args, lambda client: client.list())
    if args.json:
        write_json(infos)
    else:
        _print_table(infos)
    return 0


def _parse(ts: str | None) -> datetime | None:
    from tui.wire import parse_ts

    if not ts:
        return None
    try:
        return parse_ts(ts)
    except ValueError:
        return None


def expires_in(info: Any, now: datetime) -> str:
    from tui.client.console import format_duration

    moment = _parse(info.expires_at)
    if moment is None:
        return "—"
    left = (moment - now).total_seconds()
    return "expired" if left <= 0 else format_duration(left)


def _print_table(infos: list[Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    from tui.client.console import format_bytes, utcnow

    console = Console()
    if not console.is_terminal:
        # Piped: no terminal width to respect, and cut-off ids or statuses would be useless.
        console = Console(width=400)
    if not infos:
        console.print("no queries")
        return
    now = utcnow()
    table = Table(box=None, header_style="bold", pad_edge=False)
    for name, justify in (
        ("id", "left"),
        ("status", "left"),
        ("rows", "right"),
        ("size", "right"),
        ("submitted", "left"),
        ("expires in", "right"),
    ):
        # ids must stay whole (they are pasted into --query-id); other columns may shrink
        width = max(len(info.query_id or "?") for info in infos) if name == "id" else None
        table.add_column(name, justify=justify, no_wrap=True, min_width=width)  # type: ignore[arg-type]
    for info in infos:
        stats = info.stats
        status = info.status.value if info.status else "?"
        rows = stats.result_set_document_count if stats else None
        submitted = _parse(info.submitted_at)
        table.add_row(
            info.query_id or "?",
            f"[{_STATUS_STYLE.get(status, '')}]{status}[/]" if status in _STATUS_STYLE else status,
            f"{rows:,}" if rows is not None else "—",
            format_bytes(stats.result_set_bytes_size if stats else None),
            submitted.strftime("%Y-%m-%d %H:%M:%S") if submitted else (info.submitted_at or "—"),
            expires_in(info, now),
        )
    from tui.client.console import write_stdout

    if console.is_terminal:
        console.print(table)
    else:
        with console.capture() as captured:
            console.print(table)
        write_stdout(captured.get())
