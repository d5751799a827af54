"""How the app gets its data source: the only place ``tui.app`` touches ``tui.server``.

A connection is a callable returning an async context manager that yields a
:class:`~tui.client.QueryClient`; the app enters it inside its own event loop (see
``SourceActions._hold_source``). In embedded mode the service runs inside the app's process, its
lifespan tied to the app's, and is imported after the first paint. With ``--local-service``
(``FOLIO_SERVICE=local``) the client talks to the user's background local service for the source
over a Unix socket instead (:mod:`tui.local`): started, or found running, before the app imports
Textual, so the app itself imports neither FastAPI nor DuckDB nor Arrow. In-process is the
default because it is the lighter: two processes hold a second interpreter and a second copy of
every shared library, ≈50 MiB more at their peak (benchmarks/README.md, issue 12). Either way the
slow part — reading settings, waiting for the service, opening the database — happens off the
event loop, after the first paint.
"""

from __future__ import annotations

import asyncio
import importlib
import os
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

#: DuckDB tuning for the app's embedded engine. The app shares the machine with its user's other
#: work and its memory should not grow with the result: DuckDB's buffer pool keeps the blocks a
#: scan read up to its memory limit (default 80 % of RAM), which is the only bound DuckDB has, so
#: the limit is what makes the service flat in the size of what it scans (measured with
#: benchmarks/service_memory.py: 10 MiB of cache at 1M demo rows, 61 MiB at 10M under 64 MB,
#: 22 MiB under 24 MB). 20 MB still groups, joins, counts distinct and runs windows over 10M demo
#: rows (16 MB no longer runs the windows); a sort of about a million whole demo rows does not
#: fit, which is what the stored result's own sort (s) is for: it spills. One thread leaves the
#: other core to the UI. ``FOLIO_DUCKDB_MEMORY_LIMIT`` / ``FOLIO_DUCKDB_THREADS`` override it;
#: ``folio serve`` keeps DuckDB's defaults.
APP_DUCKDB = {"memory_limit": "20MB", "threads": 1}


def app_duckdb_config(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """:data:`APP_DUCKDB` with the environment's overrides."""
    environ = os.environ if environ is None else environ
    config: dict[str, Any] = dict(APP_DUCKDB)
    if environ.get("FOLIO_DUCKDB_MEMORY_LIMIT"):
        config["memory_limit"] = environ["FOLIO_DUCKDB_MEMORY_LIMIT"]
    if environ.get("FOLIO_DUCKDB_THREADS", "").isdigit():
        config["threads"] = int(environ["FOLIO_DUCKDB_THREADS"])
    return config


def remote(server: str, api_key: str, *, retries: int = 4) -> Callable[[], AbstractAsyncContextManager[Any]]:
    from tui.client import QueryClient

    return lambda: QueryClient(server, api_key, retries=retries)


#: said when another folio holds the shared result store (see :class:`EmbeddedConnect`)
PRIVATE_STORE_NOTICE = (
    "Another folio is using the result store: this window's results are kept only until it quits, "
    "and the sidebar lists only them. To share one store between windows, start each with --local-service."
)


class EmbeddedConnect:
    """The service in-process over ``engine`` (a :class:`tui.engines.Engine`), as a factory of
    clients. ``private`` is set once connected when another folio held the shared store, so
    the results of this run live in a temporary one."""

    def __init__(self, engine: Any, *, settings: Any = None, clock: Any = None) -> None:
        self._engine = engine
        self._settings = settings
        self._clock = clock
        self.private = False

    @asynccontextmanager
    async def _connect(self) -> AsyncIterator[Any]:
        await asyncio.to_thread(importlib.import_module, "tui.server.embedded")
        from tui.client import QueryClient
        from tui.server.embedded import embedded_service

        async with embedded_service(self._engine, settings=self._settings, clock=self._clock) as service:
            self.private = service.private
            async with QueryClient(service.base_url, service.api_key, transport=service.transport) as client:
                yield client

    def __call__(self) -> AbstractAsyncContextManager[Any]:
        return self._connect()

    @property
    def notice(self) -> str:
        return PRIVATE_STORE_NOTICE if self.private else ""


def embedded(engine: Any, *, settings: Any = None, clock: Any = None) -> EmbeddedConnect:
    """The service in-process over ``engine`` (a :class:`tui.engines.Engine`)."""
    return EmbeddedConnect(engine, settings=settings, clock=clock)


def over_socket(service: Any, spec: Any = None) -> Callable[[], AbstractAsyncContextManager[Any]]:
    """A client of a local service (:class:`tui.local.launch.LocalService`) over its Unix socket;
    with the service's ``spec``, one that starts the service again if it has gone."""
    import httpx

    from tui.client import QueryClient

    def transport() -> httpx.AsyncBaseTransport:
        if spec is None:
            return httpx.AsyncHTTPTransport(uds=service.socket)
        from tui.local.transport import LocalTransport

        return LocalTransport(spec, service)

    return lambda: QueryClient(LOCAL_URL, service.api_key, transport=transport(), retries=2)


#: the base URL of a local service (any host: the transport goes to the socket)
LOCAL_URL = "http://folio.local"


def wants_local_service(environ: Mapping[str, str] | None = None) -> bool:
    """Whether the app runs embedded queries on the background local service
    (``FOLIO_SERVICE=local``, or ``--local-service``) or in-process (the default)."""
    environ = os.environ if environ is None else environ
    return environ.get("FOLIO_SERVICE", "").strip().lower() in ("local", "local-service", "service", "1", "on")


class Connection:
    """``folio [SOURCE] [--server URL --api-key KEY] [--demo]`` as a connection for the app.

    ``where`` says what it connected to, once it has (the settings may come from the
    environment or ``.env``, which are read only when connecting). With ``local``, embedded
    mode runs on the user's local service for the source (:mod:`tui.local`), found or started
    by :meth:`start`; otherwise the service runs inside the app and stops with it. With
    ``lean`` (the ``folio`` command's own process, never a test's), a service in the app keeps
    numpy and pandas out unless its source is Spark (:mod:`tui.lean_imports`): the source is
    known only here, once ``.env`` has been read.
    """

    def __init__(
        self,
        *,
        server: str | None = None,
        api_key: str | None = None,
        source: str | None = None,
        demo_path: str | None = None,
        demo_rows: int | None = None,
        allow_writes: bool = False,
        allow_dirs: Sequence[str | Path] = (),
        local: bool = False,
        lean: bool = False,
    ) -> None:
        self.server = server
        self.api_key = api_key
        self.source = source
        self.demo_path = demo_path
        self.demo_rows = demo_rows
        self.allow_writes = allow_writes
        self.allow_dirs = list(allow_dirs)
        self.local = local
        self.lean = lean
        self.where = f"demo _events ({demo_rows:,} rows)" if demo_path else ""
        self._planned: tuple[str, Any, Any] | None = None
        self._launch: Any = None
        self.service: Any = None  # the LocalService connected to, once connected
        #: what the user should know about the connection once made ("" for nothing)
        self.notice = ""

    def _spec(self, source: str | None) -> Any:
        from tui.local.spec import ServiceSpec

        return ServiceSpec(
            source=None if self.demo_path else source,
            demo_path=self.demo_path,
            allow_writes=self.allow_writes,
            allow_dirs=tuple(str(d) for d in self.allow_dirs),
            duckdb=app_duckdb_config(),
            cwd=os.getcwd(),
        )

    def _settings(self) -> Any:
        from tui.config import resolve_settings

        settings = resolve_settings(self.server, self.api_key, self.source)
        if settings.server is not None and not settings.api_key:
            raise ValueError("a server is configured but no API key: pass --api-key or set FOLIO_API_KEY")
        return settings

    def _plan(self) -> tuple[str, Any, Any]:
        """``(where, settings, spec)``: the settings of a remote server, or the spec of the
        embedded service. Worked out once (``.env`` read once), by :meth:`start` before the app
        when it can, else by :meth:`_resolve`; a failure is not kept, so the app raises it."""
        if self._planned is None:
            if self.demo_path:
                self._planned = (self.where, None, self._spec(None))
            else:
                settings = self._settings()
                if settings.server is not None:
                    self._planned = (settings.server, settings, None)
                else:
                    where = f"embedded {settings.source}" if settings.source else "embedded DuckDB"
                    self._planned = (where, None, self._spec(settings.source))
        return self._planned

    def start(self) -> None:
        """Find or spawn the local service now, without waiting for it: called before the app
        imports Textual, so the service's start overlaps the app's. A problem (a bad setting, an
        unusable runtime directory) is left for :meth:`_resolve` to raise inside the app."""
        if not self.local:
            return
        try:
            spec = self._plan()[2]
            if spec is not None:
                from tui.local.launch import start

                self._launch = start(spec)
        except Exception:
            self._launch = None

    def _resolve(self) -> tuple[str, Callable[[], AbstractAsyncContextManager[Any]]]:
        """Runs in a thread: reads settings, waits for the local service (or opens the engine
        in-process), imports the client."""
        where, settings, spec = self._plan()
        if settings is not None:
            return where, remote(settings.server, settings.api_key)
        if not self.local:
            if self.lean:
                from tui.lean_imports import keep_service_lean

                keep_service_lean(spec.source)  # before the engine imports pyarrow
            return where, embedded(spec.open_engine())
        from tui.local.launch import start

        launch = self._launch or start(spec)
        self.service = launch.wait()
        return where, over_socket(self.service, spec)

    @asynccontextmanager
    async def _connect(self) -> AsyncIterator[Any]:
        self.where, connect = await asyncio.to_thread(self._resolve)
        async with connect() as client:
            self.notice = getattr(connect, "notice", "")
            yield client

    def __call__(self) -> AbstractAsyncContextManager[Any]:
        return self._connect()
