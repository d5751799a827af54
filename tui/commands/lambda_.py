"""``folio lambda NAME -o FILE``: execute a query lambda and stream its whole result into FILE.

``--tag T`` (default ``latest``) or ``--version V`` picks the version; ``-p name=value`` overrides
a default parameter (untyped values take the type of the lambda's default). The execution is
an ordinary paginated query, exported exactly as ``folio export`` exports SQL: asynchronously on
the service, page by page, memory bounded by one page, the file appearing only when complete.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path
from typing import Any

from tui.commands import CommandError
from tui.commands.export import CLIENT_TIMEOUT_MS, _cancel_quietly, _SetupError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from tui.client.console import EXIT_CODES_HELP, add_connection_arguments

    parser.epilog = (
        "The format comes from FILE's extension (.csv, .jsonl/.ndjson, .parquet) unless --format "
        "is given. " + EXIT_CODES_HELP
    )
    parser.add_argument("name", metavar="NAME", help="the query lambda")
    parser.add_argument("--workspace", default="commons", metavar="W", help="its workspace (default commons)")
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--tag", metavar="T", help="execute the version tag T names (default latest)")
    which.add_argument("--version", metavar="V", help="execute version V")
    parser.add_argument(
        "-p",
        "--param",
        action="append",
        default=[],
        metavar="NAME[:TYPE]=VALUE",
        help="value for :NAME, overriding the lambda's default (TYPE int, float, bool, date, datetime, string; "
        "without TYPE, the default's type)",
    )
    parser.add_argument("-o", "--output", required=True, metavar="FILE", help="file to write (replaced atomically)")
    parser.add_argument("--format", choices=["csv", "jsonl", "parquet"], help="output format")
    parser.add_argument("--page-size", type=int, metavar="N", help="rows per request (default 50,000; 10,000 for JSON)")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress bar and no summary")
    add_connection_arguments(parser)


def parameters(texts: list[str]) -> list[dict[str, Any]]:
    """``-p`` options as QueryParameters; a value without ``:TYPE`` is sent without a type."""
    from tui.client.console import parse_param
    from tui.client.params import parameter_type

    items = []
    for text in texts:
        try:
            name, value = parse_param(text)
        except ValueError as exc:
            raise CommandError(str(exc), 2) from None
        item: dict[str, Any] = {"name": name, "value": None if value is None else str(value)}
        if ":" in text.partition("=")[0]:
            item["type"] = parameter_type(value)
        items.append(item)
    return items


def run(args: argparse.Namespace) -> int:
    from tui.client.console import describe_error, exit_code_for, format_bytes
    from tui.client.errors import FolioError
    from tui.client.writers import ExportFormat, OutputError, check_writable, format_for_path
    from tui.config import ConfigError, resolve_settings

    started = time.perf_counter()
    if args.page_size is not None and not 1 <= args.page_size <= 100_000:
        raise CommandError("--page-size must be between 1 and 100,000", 2)
    output = Path(args.output)
    try:
        check_writable(output)
    except OutputError as exc:
        raise CommandError(str(exc), 2) from None
    fmt = ExportFormat(args.format) if args.format else format_for_path(output)
    if fmt is None:
        raise CommandError(
            f"cannot tell the format of {output.name!r} from its extension: use --format csv|jsonl|parquet", 2
        )
    params = parameters(args.param)
    try:
        settings = resolve_settings(args.server, args.api_key, args.source)
    except ConfigError as exc:
        raise CommandError(str(exc), 2) from None
    try:
        stats = asyncio.run(_export(settings, args, params, output, fmt))
    except FolioError as exc:
        raise CommandError(describe_error(exc, server=settings.server), exit_code_for(exc)) from None
    except _SetupError as exc:
        raise CommandError(str(exc), exc.code) from None
    if not args.quiet:
        seconds = time.perf_counter() - started
        rate = f", {stats.rows / seconds:,.0f} rows/s" if seconds > 0 and stats.rows else ""
        print(
            f"folio: wrote {stats.rows:,} rows of {args.workspace}.{args.name} to {output} "
            f"({format_bytes(stats.bytes)} {stats.format.value}) in {seconds:.1f} s{rate}",
            file=sys.stderr,
        )
    return 0


async def _export(settings: Any, args: argparse.Namespace, params: list[dict[str, Any]], output: Path, fmt: Any) -> Any:
    from tui.client.connect import MissingApiKey, open_client
    from tui.client.console import row_progress
    from tui.client.export import export_query
    from tui.engines import EngineError

    try:
        async with open_client(settings) as client:
            result = await client.lambdas.execute(
                args.name,
                workspace=args.workspace,
                tag=args.tag,
                version=args.version,
                parameters=params or None,
                initial_docs=0,
                async_=True,
                client_timeout_ms=CLIENT_TIMEOUT_MS,
            )
            try:
                with row_progress(output.name, enabled=False if args.quiet else None) as update:
                    return await export_query(
                        client, result.query_id, output, fmt, docs=args.page_size, progress=update
                    )
            except BaseException:
                if not result.is_finished:
                    await _cancel_quietly(client, result.query_id)
                raise
    except MissingApiKey as exc:
        raise _SetupError(str(exc), 2) from None
    except EngineError as exc:
        raise _SetupError(f"cannot open the source: {exc.message}", 2) from None
