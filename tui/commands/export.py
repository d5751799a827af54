"""``folio export SQL -o FILE``: run a query as a paginated query and stream every row into FILE.

The query runs asynchronously on the service (no 2-minute sync limit) and the export follows it
page by page as rows are stored, so memory stays bounded by one page for any result size. The
file appears only when complete (temporary file + rename; a symlink's target is replaced, the link
kept). ``-o -``, ``/dev/stdout``, a FIFO or a device is written through as a stream instead.
``--query-id`` exports a result the server already holds, without running anything.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from tui.commands import CommandError, run_async

#: how long the POST waits for a quick query to finish (and, above all, for a SQL error to show)
CLIENT_TIMEOUT_MS = 1_000


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from tui.client.console import EXIT_CODES_HELP, add_connection_arguments

    parser.epilog = (
        "The format comes from FILE's extension (.csv, .jsonl/.ndjson, .parquet) unless --format "
        "is given; standard output (-o -) and other streams without one get JSON Lines. "
        "A failed, interrupted (Ctrl-C) or terminated (SIGTERM) export leaves no file. " + EXIT_CODES_HELP
    )
    parser.add_argument("sql", nargs="?", metavar="SQL", help="the query; '-' reads it from stdin")
    parser.add_argument(
        "-o", "--output", required=True, metavar="FILE", help="file to write (replaced atomically); '-' for stdout"
    )
    parser.add_argument("--format", choices=["csv", "jsonl", "parquet"], help="output format")
    parser.add_argument("--query-id", metavar="ID", help="export this stored result instead of running SQL")
    parser.add_argument(
        "-p",
        "--param",
        action="append",
        default=[],
        metavar="NAME[:TYPE]=VALUE",
        help="query parameter for :NAME (TYPE int, float, bool, date, datetime; default string)",
    )
    parser.add_argument("--page-size", type=int, metavar="N", help="rows per request (default 50,000; 10,000 for JSON)")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress bar and no summary")
    add_connection_arguments(parser)


def _read_sql(args: argparse.Namespace) -> str | None:
    if args.sql == "-":
        text = sys.stdin.read()
        if not text.strip():
            raise CommandError("no SQL on stdin", 2)
        return text
    return args.sql


def _check_input(args: argparse.Namespace) -> tuple[str | None, Any, Path, dict[str, Any]]:
    from tui.client.console import parse_param
    from tui.client.writers import ExportFormat, OutputError, check_writable, format_for_path, is_stream_target

    if args.sql is not None and args.query_id:
        raise CommandError("give SQL or --query-id, not both", 2)
    if args.sql is None and not args.query_id:
        raise CommandError("nothing to export: give SQL, or --query-id ID for a stored result", 2)
    if args.sql is not None and not args.sql.strip():
        raise CommandError("the SQL is empty", 2)
    if args.page_size is not None and not 1 <= args.page_size <= 100_000:
        raise CommandError("--page-size must be between 1 and 100,000", 2)
    if args.query_id and args.param:
        raise CommandError("--param applies to SQL, not to a stored result (--query-id)", 2)
    output = Path(args.output)
    try:
        check_writable(output)
    except OutputError as exc:
        raise CommandError(str(exc), 2) from None
    fmt = ExportFormat(args.format) if args.format else format_for_path(output)
    if fmt is None and is_stream_target(output):
        fmt = ExportFormat.JSONL
    if fmt is None:
        raise CommandError(
            f"cannot tell the format of {output.name!r} from its extension: use --format csv|jsonl|parquet", 2
        )
    params: dict[str, Any] = {}
    for text in args.param:
        try:
            name, value = parse_param(text)
        except ValueError as exc:
            raise CommandError(str(exc), 2) from None
        params[name] = value
    return _read_sql(args), fmt, output, params


def run(args: argparse.Namespace) -> int:
    from tui.client.console import describe_error, exit_code_for, format_bytes
    from tui.client.errors import FolioError
    from tui.config import ConfigError, resolve_settings

    started = time.perf_counter()
    sql, fmt, output, params = _check_input(args)
    try:
        settings = resolve_settings(args.server, args.api_key, args.source)
    except ConfigError as exc:
        raise CommandError(str(exc), 2) from None
    try:
        stats = run_async(_export(settings, sql, args.query_id, params, output, fmt, args.page_size, args.quiet))
    except FolioError as exc:
        message = describe_error(exc, server=settings.server, query_id=args.query_id)
        raise CommandError(message, exit_code_for(exc)) from None
    except _SetupError as exc:
        raise CommandError(str(exc), exc.code) from None
    if not args.quiet:
        seconds = time.perf_counter() - started
        rate = f", {stats.rows / seconds:,.0f} rows/s" if seconds > 0 and stats.rows else ""
        where = "standard output" if str(output) == "-" else output
        print(
            f"folio: wrote {stats.rows:,} rows to {where} ({format_bytes(stats.bytes)} {stats.format.value}) "
            f"in {seconds:.1f} s{rate}",
            file=sys.stderr,
        )
    return 0


class _SetupError(Exception):
    def __init__(self, message: str, code: int = 1):
        super().__init__(message)
        self.code = code


async def _export(
    settings: Any,
    sql: str | None,
    query_id: str | None,
    params: dict[str, Any],
    output: Path,
    fmt: Any,
    page_size: int | None,
    quiet: bool,
) -> Any:
    from tui.client.connect import MissingApiKey, open_client
    from tui.client.console import row_progress
    from tui.client.errors import FolioError, query_error_from_errors
    from tui.client.export import export_query
    from tui.engines import EngineError
    from tui.wire import QueryStatus

    try:
        async with open_client(settings) as client:
            started_here = False
            if query_id:
                info = await client.info(query_id)  # unknown / expired ids fail here, clearly
                if info.status is QueryStatus.ERROR:
                    raise query_error_from_errors(info.query_errors, query_id=query_id)
            else:
                assert sql is not None
                result = await client.run(
                    sql, parameters=params or None, initial_docs=0, async_=True, client_timeout_ms=CLIENT_TIMEOUT_MS
                )
                query_id, started_here = result.query_id, not result.is_finished
            try:
                with row_progress(output.name, enabled=False if quiet else None) as update:
                    return await export_query(client, query_id, output, fmt, docs=page_size, progress=update)
            except BaseException:
                if started_here:
                    await _cancel_quietly(client, query_id)
                raise
    except MissingApiKey as exc:
        raise _SetupError(str(exc), 2) from None
    except FolioError:
        raise
    except EngineError as exc:  # embedded mode: the SOURCE cannot be opened
        raise _SetupError(f"cannot open the source: {exc.message}", 2) from None


async def _cancel_quietly(client: Any, query_id: str) -> None:
    """Stop a query this export started if it is still running, so a failed or interrupted export
    leaves nothing running. A finished result is kept (it can be exported with --query-id)."""
    try:
        info = await client.info(query_id)
        if info.status is not None and not info.status.is_final:
            await client.cancel(query_id)
    except BaseException:
        pass
