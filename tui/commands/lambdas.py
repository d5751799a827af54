"""``folio lambdas [--workspace W] [--json]``: the query lambdas (saved queries) of a server.

A table (workspace, name, versions, latest version, parameters with their defaults) for people,
or the server's QueryLambda objects as JSON for scripts. ``folio lambda NAME`` runs one
(:mod:`tui.commands.lambda_`).
"""

from __future__ import annotations

import argparse
from typing import Any

from tui.commands.listing import add_listing_arguments, fetch, write_json


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_listing_arguments(parser, json_help="print the server's QueryLambda objects as JSON")
    parser.add_argument("--workspace", metavar="W", help="only the lambdas of workspace W")


def run(args: argparse.Namespace) -> int:
    found = fetch(args, lambda client: client.lambdas.list(args.workspace))
    if args.json:
        write_json(found)
    else:
        _print_table(found)
    return 0


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
