"""``folio [SOURCE]``: the terminal app.

* ``folio``: embedded mode over an in-memory DuckDB that reads files by path, unless a server is
  configured (``--server``/``--api-key``, ``FOLIO_SERVER``/``FOLIO_API_KEY``, ``ROCKSET_API_*``,
  ``.env``);
* ``folio --demo [--demo-rows N]``: embedded mode over the generated demo database, with
  ``SELECT * FROM _events`` in the editor;
* ``folio PATH.duckdb|.parquet|.csv|.sqlite|postgresql://…``: embedded mode over that source.

Slow preparation (building the demo database, once) happens here, before Textual starts, with
a message on stderr; the app itself then starts in a fraction of a second.
"""

from __future__ import annotations

import argparse
import sys

from tui.commands import CommandError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "source",
        nargs="?",
        help="a .duckdb/.sqlite/.parquet/.csv/.json file or postgresql://… "
        "(default: an in-memory DuckDB that reads files by path)",
    )
    parser.add_argument("--demo", action="store_true", help="open the generated demo database (commons._events)")
    parser.add_argument("--demo-rows", type=int, default=None, metavar="N", help="rows in the demo (default 10,000,000)")
    parser.add_argument("--server", metavar="URL", help="a folio (or Rockset-compatible) server instead of embedded mode")
    parser.add_argument("--api-key", metavar="KEY", help="API key for --server")
    parser.add_argument("--allow-writes", action="store_true", help="open the source read-write")
    parser.add_argument("--sql", metavar="SQL", help="put SQL in the editor instead of the last buffer")


def run(args: argparse.Namespace) -> int:
    from tui.config import ConfigError, resolve_settings

    if args.demo and args.source:
        raise CommandError("give either --demo or a SOURCE, not both", 2)
    if args.demo_rows is not None and not args.demo:
        raise CommandError("--demo-rows needs --demo", 2)
    try:
        settings = resolve_settings(args.server, args.api_key, args.source)
    except ConfigError as exc:
        raise CommandError(str(exc), 2) from None

    sql = args.sql
    if settings.server is not None and not args.demo:
        if not settings.api_key:
            raise CommandError("a server is configured but no API key: pass --api-key or set FOLIO_API_KEY", 2)
        from tui.app.connect import remote

        connect = remote(settings.server, settings.api_key)
        where = settings.server
    else:
        connect, where, demo_sql = _embedded(args, settings.source)
        sql = sql if sql is not None else demo_sql

    from tui.app import FolioApp
    from tui.app.state import default_state_dir

    app = FolioApp(connect=connect, sql=sql, where=where, state_dir=default_state_dir())
    app.run()
    return int(app.return_code or 0)


def _embedded(args: argparse.Namespace, source: str | None):  # type: ignore[no-untyped-def]
    from tui.app.connect import embedded
    from tui.engines import EngineError, open_engine

    try:
        if args.demo:
            from tui.engines.demo import DEFAULT_ROWS, DEMO_SQL, cache_dir, ensure_demo
            from tui.engines.duckdb import DuckDBEngine

            rows = args.demo_rows if args.demo_rows is not None else DEFAULT_ROWS
            if not (cache_dir() / f"demo-{rows}.duckdb").exists():
                print(f"folio: building the demo database ({rows:,} rows; once, then cached)…", file=sys.stderr)
            engine = DuckDBEngine(ensure_demo(rows))
            return embedded(engine), f"demo _events ({rows:,} rows)", DEMO_SQL
        engine = open_engine(source, allow_writes=args.allow_writes)
    except (EngineError, ValueError, OSError) as exc:
        raise CommandError(str(exc), 2) from None
    return embedded(engine), f"embedded {source}" if source else "embedded DuckDB", None
