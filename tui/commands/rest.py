"""``folio rest URL -o FILE``: page through a token-paginated REST endpoint into JSONL or CSV.

Rocketlane's pagination (seed 003) by default; ``--style stripe`` for Stripe-like list APIs, and
``--field`` to rename any response field or request parameter (see
:class:`tui.client.rest_pager.PaginationStyle`). Pages are written as they arrive, to a
temporary file renamed on success.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path
from typing import Any

from tui.commands import CommandError, run_async


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from tui.client.console import EXIT_CODES_HELP
    from tui.client.rest_pager import DEFAULT_MAX_PAGE_BYTES, DEFAULT_MAX_PAGES, DEFAULT_PAGE_TIMEOUT_S
    from tui.commands.serve import parse_size

    parser.epilog = (
        "Fields for --field: items, pagination, has_more, next_token, next_url, total, page_size_param, "
        "token_param, token_from_last_item (e.g. --field items=results --field pagination=). "
        "-o - writes to standard output; a FIFO or a symlink is written through. "
        "A failed, interrupted or terminated listing leaves no file. " + EXIT_CODES_HELP
    )
    parser.add_argument("url", metavar="URL", help="the list endpoint (first page)")
    parser.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        help="file to write (.jsonl or .csv); without it, browse the listing in the grid",
    )
    parser.add_argument("--format", choices=["jsonl", "csv"], help="output format (default: from FILE's extension)")
    parser.add_argument(
        "-H", "--header", action="append", default=[], metavar="'NAME: VALUE'", help="request header (repeatable)"
    )
    parser.add_argument(
        "--param", action="append", default=[], metavar="NAME=VALUE", help="query parameter (repeatable)"
    )
    parser.add_argument("--page-size", type=int, metavar="N", help="items per page to ask for")
    parser.add_argument("--style", choices=["rocketlane", "stripe"], default="rocketlane", help="pagination style")
    parser.add_argument(
        "--field", action="append", default=[], metavar="KEY=NAME", help="override one pagination field name"
    )
    parser.add_argument(
        "--max-pages",
        type=int,
        default=DEFAULT_MAX_PAGES,
        metavar="N",
        help=f"stop after N pages, with a warning if more remain (default {DEFAULT_MAX_PAGES:,}; 0: no limit)",
    )
    parser.add_argument(
        "--max-page-bytes",
        type=parse_size,
        default=DEFAULT_MAX_PAGE_BYTES,
        metavar="SIZE",
        help="refuse a page whose body is larger (default 64M)",
    )
    parser.add_argument(
        "--page-timeout",
        type=float,
        default=DEFAULT_PAGE_TIMEOUT_S,
        metavar="SECONDS",
        help=f"time for one page to arrive whole (default {DEFAULT_PAGE_TIMEOUT_S:g})",
    )
    parser.add_argument("--max-time", type=float, metavar="SECONDS", help="deadline for the whole listing")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress bar and no summary")


def _headers(values: list[str]) -> dict[str, str]:
    headers: dict[str, str] = {}
    for text in values:
        name, sep, value = text.partition(":")
        if not sep or not name.strip() or any(c.isspace() for c in name.strip()):
            raise CommandError(f"bad header {text!r}: expected 'Name: value'", 2)
        headers[name.strip()] = value.strip()
    return headers


def _params(values: list[str]) -> dict[str, str]:
    params: dict[str, str] = {}
    for text in values:
        name, sep, value = text.partition("=")
        if not sep or not name:
            raise CommandError(f"bad parameter {text!r}: expected NAME=VALUE", 2)
        params[name] = value
    return params


def _style(args: argparse.Namespace) -> Any:
    from tui.client.rest_pager import ROCKETLANE, STRIPE

    style = STRIPE if args.style == "stripe" else ROCKETLANE
    names = {f.name for f in dataclasses.fields(style)} - {"token_lifetime"}
    changes: dict[str, str | None] = {}
    for text in args.field:
        key, sep, value = text.partition("=")
        if not sep or key not in names:
            raise CommandError(f"bad --field {text!r}: expected KEY=NAME with KEY one of {', '.join(sorted(names))}", 2)
        if key in ("items", "has_more", "page_size_param", "token_param") and not value:
            raise CommandError(f"--field {key} needs a name", 2)
        changes[key] = value or None
    return dataclasses.replace(style, **changes)


def run(args: argparse.Namespace) -> int:
    from tui.client.console import describe_error, exit_code_for
    from tui.client.errors import FolioError
    from tui.client.writers import OutputError, check_writable, is_stream_target

    if not args.url.startswith(("http://", "https://")):
        raise CommandError(f"{args.url!r} is not an http:// or https:// URL", 2)
    _check_bounds(args)
    if args.output is None:
        return _browse(args)
    output = Path(args.output)
    try:
        check_writable(output)
    except OutputError as exc:
        raise CommandError(str(exc), 2) from None
    fmt = args.format or {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl", ".csv": "csv"}.get(
        output.suffix.lower()
    )
    if fmt is None and is_stream_target(output):
        fmt = "jsonl"
    if fmt is None:
        raise CommandError(f"cannot tell the format of {output.name!r}: use .jsonl or .csv, or --format", 2)
    if args.page_size is not None and args.page_size < 1:
        raise CommandError("--page-size must be at least 1", 2)
    headers, params, style = _headers(args.header), _params(args.param), _style(args)
    try:
        items, pages, seconds, truncated = run_async(_fetch(args, headers, params, style, output, fmt))
    except FolioError as exc:
        raise CommandError(describe_error(exc), exit_code_for(exc)) from None
    except OutputError as exc:
        raise CommandError(str(exc), 2) from None
    if truncated:
        print(f"folio: warning: stopped after {pages:,} pages (--max-pages); the endpoint has more", file=sys.stderr)
    if not args.quiet:
        where = "standard output" if str(output) == "-" else output
        print(f"folio: wrote {items:,} items from {pages:,} pages to {where} in {seconds:.1f} s", file=sys.stderr)
    return 0


def _check_bounds(args: argparse.Namespace) -> None:
    if args.max_pages is not None and args.max_pages < 0:
        raise CommandError("--max-pages must be 0 (no limit) or more", 2)
    if args.max_page_bytes < 1:
        raise CommandError("--max-page-bytes must be at least 1 byte", 2)
    if not args.page_timeout > 0:
        raise CommandError("--page-timeout must be more than 0 seconds", 2)
    if args.max_time is not None and not args.max_time > 0:
        raise CommandError("--max-time must be more than 0 seconds", 2)


def _bounds(args: argparse.Namespace) -> dict[str, Any]:
    return {
        "max_pages": args.max_pages or None,
        "max_page_bytes": args.max_page_bytes,
        "page_timeout": args.page_timeout,
        "deadline": args.max_time,
    }


def _browse(args: argparse.Namespace) -> int:
    """No ``-o``: show the listing in the terminal app's grid (tui.app.rest)."""
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise CommandError("no terminal to browse in: give -o FILE to write the items to a file", 2)
    if args.page_size is not None and args.page_size < 1:
        raise CommandError("--page-size must be at least 1", 2)
    from tui.app.rest import run_rest_grid

    return run_rest_grid(
        args.url,
        headers=_headers(args.header),
        params=_params(args.param),
        page_size=args.page_size,
        style=_style(args),
    )


async def _fetch(
    args: argparse.Namespace, headers: dict[str, str], params: dict[str, str], style: Any, output: Path, fmt: str
) -> tuple[int, int, float, bool]:
    import time

    from tui.client.console import row_progress
    from tui.client.rest_pager import RestPager
    from tui.client.writers import output_stream

    started = time.perf_counter()
    pages = 0
    with output_stream(output) as stream:
        sink = _JsonlSink(stream) if fmt == "jsonl" else _CsvSink(stream)
        async with RestPager(
            args.url, headers=headers, params=params, page_size=args.page_size, style=style, **_bounds(args)
        ) as pager:
            with row_progress(f"{output.name}", enabled=False if args.quiet else None) as update:
                async for page in pager:
                    pages += 1
                    sink.write(page.items)
                    update(sink.count, page.total)
        sink.close()
    return sink.count, pages, time.perf_counter() - started, pager.truncated


class _JsonlSink:
    def __init__(self, stream: Any):
        from tui.client.writers import JsonlWriter

        self._writer = JsonlWriter(stream)

    @property
    def count(self) -> int:
        return self._writer.rows_written

    def write(self, items: list[Any]) -> None:
        from tui.client.errors import ProtocolError

        try:
            self._writer.write_rows(items)
        except TypeError as exc:  # orjson: "Recursion limit reached" past 254 levels
            raise ProtocolError(f"an item after item {self.count:,} cannot be written as JSON: {exc}") from None

    def close(self) -> None:
        self._writer.close()


class _CsvSink:
    """CSV of object items. The header is fixed by the first page (streaming cannot go back and
    add a column); keys first seen later are dropped, with one warning naming them."""

    def __init__(self, stream: Any):
        from tui.client.writers import CsvWriter

        self._writer = CsvWriter(stream)
        self._columns: list[str] | None = None
        self._warned: set[str] = set()

    @property
    def count(self) -> int:
        return self._writer.rows_written

    def write(self, items: list[Any]) -> None:
        from tui.client.errors import ProtocolError

        for n, item in enumerate(items):
            if not isinstance(item, dict):
                raise ProtocolError(f"item {self.count + n + 1} is not an object, so it has no CSV columns: use .jsonl")
        if self._columns is None:
            if not items:
                return
            self._columns = list(dict.fromkeys(key for item in items for key in item))
        else:
            new = {key for item in items for key in item} - set(self._columns) - self._warned
            if new:
                self._warned |= new
                names = ", ".join(sorted(new))
                print(
                    f"folio: warning: dropping columns first seen after the header: {names} (use .jsonl to keep them)",
                    file=sys.stderr,
                )
        try:
            self._writer.write_rows(items, self._columns)
        except (TypeError, ValueError, RecursionError) as exc:
            raise ProtocolError(f"an item after item {self.count:,} cannot be written as CSV: {exc}") from None

    def close(self) -> None:
        self._writer.close()
