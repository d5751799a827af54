"""``folio serve``: the query service under uvicorn."""

from __future__ import annotations

import argparse
import os
import re
import socket
import sys
from pathlib import Path
from typing import Any

from tui.commands import CommandError

_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?\s*$", re.IGNORECASE)


def parse_size(text: str) -> int:
    """``500M``, ``20G``, ``1.5T`` or plain bytes."""
    match = _SIZE.match(text)
    if not match:
        raise argparse.ArgumentTypeError(f"not a size: {text!r} (try 500M or 20G)")
    number, unit = float(match.group(1)), match.group(2).lower()
    return int(number * 1024 ** " kmgt".index(unit or " "))


#: how long shutdown (SIGTERM, Ctrl-C) waits for responses in flight
GRACE_SECONDS = 10


def allowed_directories(given: list[str]) -> list[Path]:
    """``--allow-dir`` values as existing directories (a typo must not silently allow nothing)."""
    out = []
    for text in given:
        path = Path(text).expanduser()
        if not path.is_dir():
            raise CommandError(f"--allow-dir {text}: no such directory", 2)
        out.append(path.resolve())
    return out


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "source",
        nargs="?",
        help="postgresql://…, sc://… (Spark Connect), a .duckdb/.sqlite file, or a .parquet/.csv/.json file; "
        "default: $FOLIO_SOURCE, else an in-memory DuckDB that reads files by path",
    )
    parser.add_argument("--host", default=os.environ.get("FOLIO_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("FOLIO_PORT", "3000")))
    parser.add_argument("--api-key", action="append", default=[], metavar="KEY", help="admit KEY (repeatable)")
    parser.add_argument(
        "--keys-file",
        type=Path,
        default=os.environ.get("FOLIO_KEYS_FILE"),
        help="lines of 'key org [user]' (or 'sha256:<digest> org [user]')",
    )
    parser.add_argument("--demo", action="store_true", help="serve the generated demo database (commons._events)")
    parser.add_argument(
        "--demo-rows", type=int, default=None, metavar="N", help="rows in the demo (default 10,000,000)"
    )
    parser.add_argument(
        "--allow-writes",
        action="store_true",
        help="run every statement kind, not only reading ones, with the database's own rights "
        "(and open a database file read-write)",
    )
    parser.add_argument(
        "--allow-dir",
        action="append",
        default=[],
        metavar="DIR",
        help="let DuckDB SQL read files under DIR, e.g. SELECT * FROM 'DIR/x.parquet' (repeatable; "
        "no directory is readable otherwise)",
    )
    parser.add_argument("--store", type=Path, default=None, metavar="DIR", help="where results are kept")
    parser.add_argument("--expiry", type=float, default=None, metavar="SECONDS", help="result lifetime (default 86400)")
    parser.add_argument("--sync-timeout", type=float, default=None, metavar="SECONDS", help="default 120")
    parser.add_argument("--async-timeout", type=float, default=None, metavar="SECONDS", help="default 1800")
    parser.add_argument(
        "--quota", type=parse_size, default=None, metavar="SIZE", help="disk quota for results, e.g. 20G"
    )
    parser.add_argument(
        "--page-max-bytes",
        type=parse_size,
        default=None,
        metavar="SIZE",
        help="largest page body; a page with more carries fewer rows (default 16M)",
    )
    parser.add_argument("--max-concurrent", type=int, default=None, metavar="N", help="queries executing at once")
    parser.add_argument(
        "--registry",
        default=None,
        metavar="URL",
        help="postgresql://…: share the registry with other replicas (with --results; env FOLIO_REGISTRY)",
    )
    parser.add_argument(
        "--results",
        default=None,
        metavar="URL",
        help="s3://bucket/prefix: keep results in S3 (with --registry; env FOLIO_RESULTS; "
        "endpoint and credentials from AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION)",
    )
    parser.add_argument(
        "--lease",
        type=float,
        default=None,
        metavar="SECONDS",
        help="cluster: a stopped replica's queries fail after this (default 5)",
    )
    parser.add_argument(
        "--max-connections",
        type=int,
        default=None,
        metavar="N",
        help="HTTP connections open at once (default: from the open-files limit)",
    )
    parser.add_argument(
        "--header-timeout", type=float, default=None, metavar="SECONDS", help="time for a request head (default 10)"
    )
    parser.epilog = (
        "exit codes: 0 stopped (SIGTERM or Ctrl-C) · 1 other failure · 2 bad input: a flag, the keys file, "
        "the source, the store or the address cannot be used"
    )
    parser.add_argument("--log-level", default="info", choices=["critical", "error", "warning", "info", "debug"])


def run(args: argparse.Namespace) -> int:
    from dotenv import load_dotenv

    from tui.lean_imports import keep_service_lean

    load_dotenv(".env", override=False)
    keep_service_lean(args.source or os.environ.get("FOLIO_SOURCE"))
    import uvicorn

    from tui.engines import EngineError, open_engine
    from tui.engines.demo import DEFAULT_ROWS, ensure_demo
    from tui.engines.duckdb import DuckDBEngine
    from tui.server import Keyring, ServiceSettings, create_app
    from tui.server.auth import KeyringError, mask, new_key
    from tui.server.guard import guarded_protocol
    from tui.server.shutdown import QueryServer
    from tui.store.backends import BackendUnavailable
    from tui.store.store import StoreBusy

    try:
        settings = ServiceSettings.from_env(
            store_dir=args.store,
            expiry_s=args.expiry,
            sync_timeout_s=args.sync_timeout,
            async_timeout_s=args.async_timeout,
            quota_bytes=args.quota,
            max_concurrent_queries=args.max_concurrent,
            registry=args.registry,
            results=args.results,
            lease_s=args.lease,
            page_max_bytes=args.page_max_bytes,
            max_connections=args.max_connections,
            header_timeout_s=args.header_timeout,
        )
    except ValueError as exc:
        raise CommandError(str(exc), 2) from None

    keyring = Keyring()
    try:
        for key in args.api_key:
            keyring.add(key)
        if os.environ.get("FOLIO_API_KEYS"):
            keyring.add_spec(os.environ["FOLIO_API_KEYS"])
        if args.keys_file:
            keyring.load_file(Path(args.keys_file))
    except KeyringError as exc:
        raise CommandError(str(exc), 2) from None
    generated = None
    # a cluster replica admits the registry's keys too: it needs no random key of its own
    if not len(keyring) and (os.environ.get("FOLIO_API_KEY") or not settings.clustered):
        generated = os.environ.get("FOLIO_API_KEY") or new_key()
        keyring.add(generated)

    source = args.source or os.environ.get("FOLIO_SOURCE")
    allow_dirs = allowed_directories(args.allow_dir)
    try:
        if args.demo:
            rows = args.demo_rows if args.demo_rows is not None else DEFAULT_ROWS
            print(f"folio: preparing the demo database ({rows:,} rows; built once, then cached)…", file=sys.stderr)
            engine = DuckDBEngine(ensure_demo(rows), allow_dirs=allow_dirs)
        else:
            engine = open_engine(
                source,
                allow_writes=args.allow_writes,
                max_connections=settings.max_concurrent_queries,
                allow_dirs=allow_dirs,
            )
    except (EngineError, ValueError, OSError) as exc:
        raise CommandError(str(exc), 2) from None

    try:
        app = create_app(settings, engine, keyring)
    except (BackendUnavailable, ValueError) as exc:
        raise CommandError(str(exc), 2) from None
    except StoreBusy as exc:
        raise CommandError(f"{exc}; give this one another --store", 2) from None
    except OSError as exc:
        raise CommandError(f"cannot open the result store {settings.store_dir}: {exc.strerror or exc}", 2) from None

    try:
        sock = _listen(args.host, args.port)
    except OSError as exc:
        raise CommandError(f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}", 2) from None
    limits = _connection_limits(settings)
    url = f"http://{args.host}:{sock.getsockname()[1]}"
    print(f"folio: serving {engine.describe()} at {url}", file=sys.stderr)
    if settings.clustered:
        print(
            f"folio: registry {_without_password(settings.registry or '')}, results {settings.results}", file=sys.stderr
        )
        print(f"folio: this replica's cache in {settings.store_dir}", file=sys.stderr)
    else:
        print(f"folio: results stored in {settings.store_dir}", file=sys.stderr)
    if settings.clustered and not len(keyring):
        print("folio: the registry holds no API keys yet: add one with folio keys add KEY", file=sys.stderr)
    if generated:
        shown = generated if generated != os.environ.get("FOLIO_API_KEY") else mask(generated)
        print(f"folio: API key: {shown}", file=sys.stderr)
        print(f"folio: try: curl -H 'Authorization: ApiKey {shown}' {url}/v1/orgs/self/queries", file=sys.stderr)
    if args.allow_writes:
        print("folio: --allow-writes: SQL from any key runs with the database's own rights", file=sys.stderr)
    config = uvicorn.Config(
        app,
        log_level=args.log_level,
        # formatting a line per request costs even when the level drops it
        access_log=args.log_level in ("info", "debug", "trace"),
        timeout_graceful_shutdown=GRACE_SECONDS,
        # longer than clients' idle pools keep connections, so the server is not
        # the side that closes one just as a request is sent on it
        timeout_keep_alive=75,
        # bounded connections, request-head time and size (tui.server.guard)
        http=guarded_protocol(limits),
    )
    with sock:
        QueryServer(config, app.state.service).run(sockets=[sock])
    return 0


def _without_password(url: str) -> str:
    return re.sub(r"(://[^:/@]*):[^@]*@", r"\1:…@", url)


def _listen(host: str, port: int) -> socket.socket:
    """The listening socket, bound here so a port in use is one line and exit code 2."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(2048)
        sock.set_inheritable(True)
    except OSError:
        sock.close()
        raise
    return sock


def _connection_limits(settings: Any) -> Any:
    """Connection limits, with the open-files limit raised to its hard maximum and the
    connection bound kept well inside it (the store, the engine and the logs need files too)."""
    from tui.server.guard import ConnectionLimits

    max_connections = settings.max_connections
    if not max_connections:
        max_connections = 4096
        try:
            import resource

            soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
            if hard != resource.RLIM_INFINITY and soft < hard:
                resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
                soft = hard
            if soft != resource.RLIM_INFINITY:
                max_connections = max(64, min(max_connections, soft - 256))
        except (ImportError, ValueError, OSError):
            max_connections = 512
    return ConnectionLimits(
        max_connections=max_connections,
        header_timeout_s=settings.header_timeout_s,
        max_header_bytes=settings.max_header_bytes,
    )
