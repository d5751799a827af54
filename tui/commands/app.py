"""``folio [SOURCE]``: the terminal app.

* ``folio``: embedded mode over an in-memory DuckDB that reads files by path, unless a server is
  configured (``--server``/``--api-key``, ``FOLIO_SERVER``/``FOLIO_API_KEY``, ``ROCKSET_API_*``,
  ``.env``);
* ``folio --demo [--demo-rows N]``: embedded mode over the generated demo database, with
  ``SELECT * FROM _events`` in the editor;
* ``folio PATH.duckdb|.parquet|.csv|.sqlite|postgresql://…|sc://…``: embedded mode over that source.

Only building the demo database (once, then cached) happens before the screen appears, with a
message on stderr. Embedded mode runs the query service inside the app; with ``--local-service``
it runs on the user's background local service for the source (``tui.local``): one already
running from an earlier launch, or one spawned here before Textual is imported, so its start
overlaps the app's. Everything else slow — importing the service or the client, waiting for the
service, opening the database — happens after the first paint (``tui.app.connect``), so the
editor is on screen in a fraction of a second; a setting that cannot work is shown in the app.
"""

from __future__ import annotations

import argparse
import sys

from tui.commands import CommandError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "source",
        nargs="?",
        help="a .duckdb/.sqlite/.parquet/.csv/.json file, postgresql://… or sc://… "
        "(default: an in-memory DuckDB that reads files by path)",
    )
    parser.add_argument("--demo", action="store_true", help="open the generated demo database (commons._events)")
    parser.add_argument(
        "--demo-rows", type=int, default=None, metavar="N", help="rows in the demo (default 10,000,000)"
    )
    parser.add_argument(
        "--server", metavar="URL", help="a folio (or Rockset-compatible) server instead of embedded mode"
    )
    parser.add_argument("--api-key", metavar="KEY", help="API key for --server")
    parser.add_argument(
        "--allow-writes",
        action="store_true",
        help="run every statement kind, not only reading ones (and open a database file read-write)",
    )
    parser.add_argument(
        "--allow-dir",
        action="append",
        default=[],
        metavar="DIR",
        help="let SQL read files under DIR, e.g. SELECT * FROM 'DIR/x.parquet' (repeatable)",
    )
    parser.add_argument("--sql", metavar="SQL", help="put SQL in the editor instead of the last buffer")
    parser.add_argument(
        "--local-service",
        action="store_true",
        help="run queries on your background local service for the source (started by the first "
        "launch, reused by later ones, so they start sooner; a query outlives the app) instead of "
        "inside the app, which is the lighter (also FOLIO_SERVICE=local)",
    )
    # the default since the local service became opt-in; kept so scripts that say it still run
    parser.add_argument("--in-process", action="store_true", help=argparse.SUPPRESS)


def build_demo(rows: int) -> None:
    """Build the demo database in a process of its own: the build's memory (DuckDB's, bounded
    by tui.engines.demo) is returned when it exits, and the app's process never imports DuckDB."""
    import subprocess

    try:
        done = subprocess.run([sys.executable, "-m", "tui.engines.demo", str(rows)], stderr=subprocess.PIPE, text=True)
    except KeyboardInterrupt:
        raise CommandError("interrupted while building the demo database (nothing was kept)", 130) from None
    if done.returncode != 0:
        lines = [line for line in done.stderr.splitlines() if line.strip()]
        raise CommandError(lines[-1] if lines else f"building the demo database failed ({done.returncode})", 1)


def run(args: argparse.Namespace) -> int:
    if args.demo and (args.source or args.server):
        raise CommandError("--demo runs embedded over the demo database: give no SOURCE or --server with it", 2)
    if args.demo_rows is not None and not args.demo:
        raise CommandError("--demo-rows needs --demo", 2)
    if args.source and args.server:
        raise CommandError("give either a SOURCE (embedded mode) or --server, not both", 2)

    from tui.lean_imports import HTTPX_CLI, keep_out

    keep_out(*HTTPX_CLI)  # the service in the app keeps numpy and pandas out once its source is known
    from tui.app.connect import Connection, wants_local_service
    from tui.commands.serve import allowed_directories

    allow_dirs = allowed_directories(args.allow_dir)
    local = (args.local_service or wants_local_service()) and not args.in_process
    sql = args.sql
    if args.demo:
        from tui.demo_cache import DEFAULT_ROWS, DEMO_SQL, demo_path

        rows = args.demo_rows if args.demo_rows is not None else DEFAULT_ROWS
        if rows < 0:
            raise CommandError("--demo-rows must be 0 or more", 2)
        path = demo_path(rows)
        if not path.exists():
            print(f"folio: building the demo database ({rows:,} rows; once, then cached)…", file=sys.stderr)
            build_demo(rows)
        connection = Connection(demo_path=str(path), demo_rows=rows, allow_dirs=allow_dirs, local=local, lean=True)
        sql = sql if sql is not None else DEMO_SQL
    else:
        if args.source and "://" not in args.source:
            from pathlib import Path

            if not Path(args.source).expanduser().exists() and not args.allow_writes:
                raise CommandError(f"no such file: {args.source}", 2)
        connection = Connection(
            server=args.server,
            api_key=args.api_key,
            source=args.source,
            allow_writes=args.allow_writes,
            allow_dirs=allow_dirs,
            local=local,
            lean=True,
        )
    # the service starts (or is found) now, and imports while the app does
    connection.start()

    from tui.app import FolioApp
    from tui.app.state import default_state_dir

    app = FolioApp(connect=connection, sql=sql, where=connection.where, state_dir=default_state_dir())
    app.run()
    return int(app.return_code or 0)
