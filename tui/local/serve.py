"""The local service process: ``python -m tui.local.serve RUNTIME_DIR KEY``, spec on stdin.

Started by :mod:`tui.local.launch`, never by hand. It takes the key's lock first (a second
service for the same key, from a launch that raced another, exits at once, before any heavy
import), opens the source and the result store, listens on the key's Unix socket, publishes
its API key, and serves until it has been idle for ``FOLIO_SERVICE_IDLE_S`` seconds (default
900) with no query queued or running, or until SIGTERM. A service that cannot start writes one
line saying why to its log, which the launching app shows.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import signal
import sys
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tui.lean_imports import keep_service_lean
from tui.local.runtime import ServiceFiles
from tui.local.spec import ServiceSpec

DEFAULT_IDLE_S = 900.0


class Activity:
    """ASGI middleware remembering when the last request started or ended."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.last = time.monotonic()
        self.in_flight = 0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        self.in_flight += 1
        self.last = time.monotonic()
        try:
            await self.app(scope, receive, send)
        finally:
            self.in_flight -= 1
            self.last = time.monotonic()

    def idle_for(self) -> float:
        return 0.0 if self.in_flight else time.monotonic() - self.last


def idle_seconds(environ: Any = None) -> float:
    environ = os.environ if environ is None else environ
    try:
        value = float(environ.get("FOLIO_SERVICE_IDLE_S", DEFAULT_IDLE_S))
    except ValueError:
        return DEFAULT_IDLE_S
    return value if value > 0 else DEFAULT_IDLE_S


def main(argv: list[str]) -> int:
    directory, key = Path(argv[0]), argv[1]
    spec = ServiceSpec.from_json(sys.stdin.read())
    keep_service_lean(spec.source)
    files = ServiceFiles(directory, key)
    if files.acquire() is None:
        return 0  # another launch's service has this key: that one serves
    files.clear()  # a socket or info file left by a service that was killed
    try:
        app, store_dir = _build(spec)
    except Exception as exc:
        print(f"folio service: {_reason(exc)}", file=sys.stderr, flush=True)
        return 1
    # uvicorn re-raises the SIGTERM or SIGINT it caught once it has shut down; as an exit here,
    # not the default handler's instant death, so the socket and info file are removed
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: sys.exit(0))
    try:
        asyncio.run(_serve(app, files, spec, store_dir, idle_seconds()))
    finally:
        files.clear()
    return 0


def _build(spec: ServiceSpec) -> tuple[Any, Path]:
    from tui.server.app import create_app
    from tui.server.auth import Keyring
    from tui.server.embedded import app_service_settings
    from tui.store.store import StoreBusy

    engine = spec.open_engine()
    settings = app_service_settings()
    try:
        return create_app(settings, engine, Keyring()), settings.store_dir
    except StoreBusy:
        # Another service (another source) holds the shared embedded store: this one keeps its
        # results in a store of its own, named by its source, so they survive it too.
        digest = hashlib.sha256(spec.to_json().encode()).hexdigest()[:12]
        store_dir = settings.store_dir.with_name(f"{settings.store_dir.name}-{digest}")
        return create_app(replace(settings, store_dir=store_dir), engine, Keyring()), store_dir


async def _serve(app: Any, files: ServiceFiles, spec: ServiceSpec, store_dir: Path, idle_s: float) -> None:
    import uvicorn

    from tui.server.auth import new_key
    from tui.server.shutdown import QueryServer

    api_key = new_key()
    app.state.keyring.add(api_key)
    activity = Activity(app)
    async with app.router.lifespan_context(app):
        sock = files.listen()
        files.publish(
            {
                "pid": os.getpid(),
                "api_key": api_key,
                "socket": str(files.socket),
                "store": str(store_dir),
                "source": spec.describe(),
                "started": datetime.now(UTC).isoformat(timespec="seconds"),
            }
        )
        config = uvicorn.Config(
            activity,
            lifespan="off",  # entered above, so a source that cannot open fails before we listen
            log_level="warning",
            access_log=False,
            timeout_graceful_shutdown=10,
            timeout_keep_alive=75,
        )
        server = QueryServer(config, app.state.service)
        watch = asyncio.create_task(_exit_when_idle(server, activity, app.state.service, idle_s, files))
        try:
            with sock:
                await server.serve(sockets=[sock])
        finally:
            watch.cancel()
            files.clear()


async def _exit_when_idle(server: Any, activity: Activity, service: Any, idle_s: float, files: ServiceFiles) -> None:
    while not server.should_exit:
        await asyncio.sleep(min(5.0, idle_s / 4))
        if activity.idle_for() >= idle_s and not service.runner.live_ids():
            server.should_exit = True
        elif not files.socket.exists():
            server.should_exit = True  # its socket was removed (the runtime directory with it): unreachable


def _reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
