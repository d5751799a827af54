"""The service in-process: what ``folio`` (the app) and ``folio export`` use when no server is
configured. Same FastAPI app, same protocol, reached through httpx's ASGI transport instead
of a socket, so embedded and remote mode share one code path.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import AsyncIterator, Callable
from contextlib import ExitStack, asynccontextmanager
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

import httpx
from fastapi import FastAPI

from tui.engines.base import Engine
from tui.server.app import create_app
from tui.server.auth import Keyring, new_key
from tui.server.settings import ServiceSettings
from tui.store.store import StoreBusy

EMBEDDED_URL = "http://folio.embedded"


def default_embedded_store() -> Path:
    return ServiceSettings().store_dir.parent / "embedded"


#: How much of its results' chunks the app's service keeps mapped between page reads. A page
#: read makes most of its chunk resident, so this is what random jumps through a large result
#: can add to its memory; a page from a chunk not mapped costs ≈0.3 ms more
#: (benchmarks/service_memory.py). ``folio serve`` keeps 64 MiB.
APP_MAPPED_CHUNK_BYTES = 8 * 1024 * 1024


def app_service_settings() -> ServiceSettings:
    """The settings of the app's service (local or in-process): the environment's, over the
    embedded store and the app's smaller chunk mapping."""
    settings = ServiceSettings.from_env(store_dir=default_embedded_store())
    if not os.environ.get("FOLIO_MAPPED_CHUNK_BYTES"):
        settings = replace(settings, mapped_chunk_bytes=APP_MAPPED_CHUNK_BYTES)
    return settings


@dataclass(frozen=True)
class Embedded:
    app: FastAPI
    api_key: str
    base_url: str
    transport: httpx.AsyncBaseTransport
    store_dir: Path
    #: another folio holds the shared store: this run's results are kept only while it runs
    private: bool = False


@asynccontextmanager
async def embedded_service(
    engine: Engine,
    *,
    settings: ServiceSettings | None = None,
    clock: Callable[[], datetime] | None = None,
) -> AsyncIterator[Embedded]:
    """Run the service over ``engine`` for the duration of the ``async with`` block.

    A fresh random API key is made for each run; results live in the embedded store (by
    default beside the server's, so earlier embedded results can be reopened).
    """
    if settings is None:
        settings = app_service_settings()
    api_key = new_key()
    keyring = Keyring()
    keyring.add(api_key)
    with ExitStack() as cleanup:
        private = False
        try:
            app = create_app(settings, engine, keyring, clock=clock)
        except StoreBusy:
            # another folio is using the shared store: this run keeps its results to itself
            directory = cleanup.enter_context(tempfile.TemporaryDirectory(prefix="folio-embedded-"))
            settings = replace(settings, store_dir=Path(directory))
            app = create_app(settings, engine, keyring, clock=clock)
            private = True
        async with app.router.lifespan_context(app):
            # app errors come back as 500 responses, as they would over a socket
            transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
            yield Embedded(app, api_key, EMBEDDED_URL, transport, settings.store_dir, private)
