"""The service in-process: what ``folio`` (the app) and ``folio export`` use when no server is
configured. Same FastAPI app, same protocol, reached through httpx's ASGI transport instead
of a socket, so embedded and remote mode share one code path.
"""

from __future__ import annotations

import secrets
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
from tui.server.auth import Keyring
from tui.server.settings import ServiceSettings
from tui.store.store import StoreBusy

EMBEDDED_URL = "http://folio.embedded"


def default_embedded_store() -> Path:
    return ServiceSettings().store_dir.parent / "embedded"


@dataclass(frozen=True)
class Embedded:
    app: FastAPI
    api_key: str
    base_url: str
    transport: httpx.AsyncBaseTransport
    store_dir: Path


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
        settings = ServiceSettings.from_env(store_dir=default_embedded_store())
    api_key = secrets.token_urlsafe(24)
    keyring = Keyring()
    keyring.add(api_key)
    with ExitStack() as cleanup:
        try:
            app = create_app(settings, engine, keyring, clock=clock)
        except StoreBusy:
            # another folio is using the shared store: this run keeps its results to itself
            private = cleanup.enter_context(tempfile.TemporaryDirectory(prefix="folio-embedded-"))
            settings = replace(settings, store_dir=Path(private))
            app = create_app(settings, engine, keyring, clock=clock)
        async with app.router.lifespan_context(app):
            # app errors come back as 500 responses, as they would over a socket
            transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
            yield Embedded(app, api_key, EMBEDDED_URL, transport, settings.store_dir)
