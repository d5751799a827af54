"""``folio queries [--json]``: the stored and running queries of the configured server.

A table (id, status, rows, size, submitted, expires in) for people, or JSON (the server's
QueryInfo objects) for scripts.
"""

from __future__ import annotations

import argparse
import json
from datetime import datetime
from typing import Any

from tui.commands import CommandError, run_async

_STATUS_STYLE = {"COMPLETED": "green", "RUNNING": "yellow", "QUEUED": "cyan", "ERROR": "red", "CANCELLED": "dim"}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from tui.client.console import EXIT_CODES_HELP, add_connection_arguments

    parser.epilog = EXIT_CODES_HELP
    parser.add_argument("--json", action="store_true", help="print the server's QueryInfo objects as JSON")
    add_connection_arguments(parser)


def run(args: argparse.Namespace) -> int:
    from tui.client.console import describe_error, exit_code_for
    from tui.client.errors import FolioError
    from tui.config import ConfigError, resolve_settings

    try:
        settings = resolve_settings(args.server, args.api_key, args.source)
    except ConfigError as exc:
        raise CommandError(str(exc), 2) from None
    try:
        infos = run_async(_list(settings))
    except FolioError as exc:
        raise CommandError(describe_error(exc, server=settings.server), exit_code_for(exc)) from None
    except ValueError as exc:  # MissingApiKey
        raise CommandError(str(exc), 2) from None
    if args.json:
        from tui.client.console import write_stdout

        write_stdout(json.dumps([info.model_dump(mode="json", exclude_none=True) for info in infos], indent=2) + "\n")
    else:
        _print_table(infos)
    return 0


async def _list(settings: Any) -> list[Any]:
    from tui.client.connect import open_client

    async with open_client(settings) as client:
        return await client.list()


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
