"""``folio lambdas [--workspace W] [--json]``: the query lambdas (saved queries) of a server.

A table (workspace, name, versions, latest version, parameters with their defaults) for people,
or the server's QueryLambda objects as JSON for scripts. ``folio lambda NAME`` runs one
(:mod:`tui.commands.lambda_`).
"""

from __future__ import annotations

import argparse
import asyncio
import json
from typing import Any

from tui.commands import CommandError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from tui.client.console import EXIT_CODES_HELP, add_connection_arguments

    parser.epilog = EXIT_CODES_HELP
    parser.add_argument("--workspace", metavar="W", help="only the lambdas of workspace W")
    parser.add_argument("--json", action="store_true", help="print the server's QueryLambda objects as JSON")
    add_connection_arguments(parser)


def run(args: argparse.Namespace) -> int:
    from tui.client.console import describe_error, exit_code_for, write_stdout
    from tui.client.errors import FolioError
    from tui.config import ConfigError, resolve_settings

    try:
        settings = resolve_settings(args.server, args.api_key, args.source)
    except ConfigError as exc:
        raise CommandError(str(exc), 2) from None
    try:
        found = asyncio.run(_list(settings, args.workspace))
    except FolioError as exc:
        raise CommandError(describe_error(exc, server=settings.server), exit_code_for(exc)) from None
    except ValueError as exc:  # MissingApiKey
        raise CommandError(str(exc), 2) from None
    if args.json:
        write_stdout(json.dumps([q.model_dump(mode="json", exclude_none=True) for q in found], indent=2) + "\n")
    else:
        _print_table(found)
    return 0


async def _list(settings: Any, workspace: str | None) -> list[Any]:
    from tui.client.connect import open_client

    async with open_client(settings) as client:
        return await client.lambdas.list(workspace)


def parameters_text(found: Any) -> str:
    """``:n=10 :lo`` — each parameter the SQL uses, with its default if it has one."""
    latest = found.latest_version
    if latest is None or latest.sql is None:
        return ""
    defaults = {p.name: p.value for p in latest.sql.default_parameters or []}
    names = getattr(latest, "parameters", None) or list(defaults)
    return " ".join(f":{name}={defaults[name]}" if name in defaults else f":{name}" for name in names)


def _print_table(found: list[Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    from tui.client.console import write_stdout

    console = Console()
    if not console.is_terminal:
        console = Console(width=400)
    if not found:
        console.print("no query lambdas")
        return
    table = Table(box=None, header_style="bold", pad_edge=False)
    for name, justify in (
        ("workspace", "left"),
        ("name", "left"),
        ("versions", "right"),
        ("latest", "left"),
        ("updated", "left"),
        ("parameters", "left"),
    ):
        table.add_column(name, justify=justify, no_wrap=name != "parameters")  # type: ignore[arg-type]
    for q in found:
        latest = q.latest_version
        table.add_row(
            q.workspace or "?",
            q.name or "?",
            str(q.version_count or 0),
            (latest.version if latest else None) or "—",
            (q.last_updated or "—").replace("T", " ").rstrip("Z"),
            parameters_text(q),
        )
    if console.is_terminal:
        console.print(table)
    else:
        with console.capture() as captured:
            console.print(table)
        write_stdout(captured.get())
