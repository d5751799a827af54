"""How the app gets its data source: the only place ``tui.app`` touches ``tui.server``.

A connection is a callable returning an async context manager that yields a
:class:`~tui.client.QueryClient`; the app enters it inside its own event loop (see
``FolioApp._hold_source``), so the embedded service's lifespan and the client's connection pool
live and die with the app. :class:`Connection` also does the slow part of starting — importing
the client and the service (FastAPI, pydantic), reading settings, opening the database — off
the event loop, after the first screen is painted.
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
#: work and its memory should not grow with the result: DuckDB's buffer pool keeps what it read
#: of a database up to its memory limit (default 80 % of RAM; 10M demo rows: +108 MiB over 1M).
#: 64 MB still sorts and joins 10M demo rows (spilling beyond it; 32 MB does not), and one thread
#: leaves the other core to the UI. ``FOLIO_DUCKDB_MEMORY_LIMIT`` / ``FOLIO_DUCKDB_THREADS``
#: override it; ``folio serve`` keeps DuckDB's defaults.
APP_DUCKDB = {"memory_limit": "64MB", "threads": 1}


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


def embedded(engine: Any, *, settings: Any = None, clock: Any = None) -> Callable[[], AbstractAsyncContextManager[Any]]:
    """The service in-process over ``engine`` (a :class:`tui.engines.Engine`)."""

    @asynccontextmanager
    async def connect() -> AsyncIterator[Any]:
        await asyncio.to_thread(importlib.import_module, "tui.server.embedded")
        from tui.client import QueryClient
        from tui.server.embedded import embedded_service

        async with embedded_service(engine, settings=settings, clock=clock) as service:
            async with QueryClient(service.base_url, service.api_key, transport=service.transport) as client:
                yield client

    return connect


class Connection:
    """``folio [SOURCE] [--server URL --api-key KEY] [--demo]`` as a connection for the app.

    ``where`` says what it connected to, once it has (the settings may come from the
    environment or ``.env``, which are read only when connecting).
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
    ) -> None:
        self.server = server
        self.api_key = api_key
        self.source = source
        self.demo_path = demo_path
        self.demo_rows = demo_rows
        self.allow_writes = allow_writes
        self.allow_dirs = list(allow_dirs)
        self.where = f"demo _events ({demo_rows:,} rows)" if demo_path else ""

    def _resolve(self) -> tuple[str, Callable[[], AbstractAsyncContextManager[Any]]]:
        """Runs in a thread: reads settings, imports the client (and the service if needed)."""
        if self.demo_path:
            from tui.engines.duckdb import DuckDBEngine

            engine = DuckDBEngine(self.demo_path, allow_dirs=self.allow_dirs, **app_duckdb_config())
            return self.where, embedded(engine)
        from tui.config import resolve_settings

        settings = resolve_settings(self.server, self.api_key, self.source)
        if settings.server is not None:
            if not settings.api_key:
                raise ValueError("a server is configured but no API key: pass --api-key or set FOLIO_API_KEY")
            return settings.server, remote(settings.server, settings.api_key)
        from tui.engines import open_engine

        engine = open_engine(
            settings.source,
            allow_writes=self.allow_writes,
            allow_dirs=self.allow_dirs,
            duckdb_config=app_duckdb_config(),
        )
        where = f"embedded {settings.source}" if settings.source else "embedded DuckDB"
        return where, embedded(engine)

    @asynccontextmanager
    async def _connect(self) -> AsyncIterator[Any]:
        self.where, connect = await asyncio.to_thread(self._resolve)
        async with connect() as client:
            yield client

    def __call__(self) -> AbstractAsyncContextManager[Any]:
        return self._connect()
