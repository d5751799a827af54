"""The FastAPI application factory.

``create_app`` builds a complete service around an engine, so tests and the app's embedded
mode can run it in-process exactly as ``folio serve`` runs it under uvicorn.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime

from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tui import __version__
from tui.engines.base import Engine
from tui.server import catalog_routes, errors, explore_routes, lambdas, routes, unimplemented
from tui.server.arrow_memory import settle_memory_pool
from tui.server.auth import Keyring
from tui.server.catalog import CatalogCache
from tui.server.errors import ApiError, error_response
from tui.server.fastpath import PageFastPath
from tui.server.leniency import Leniency
from tui.server.service import Service
from tui.server.settings import ServiceSettings
from tui.server.throttle import AuthThrottle
from tui.wire import ErrorType


class BodyLimit:
    """Refuse request bodies over ``limit`` bytes with 413, before they are read in full."""

    def __init__(self, app: ASGIApp, limit: int):
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", ()):
            if name == b"content-length" and value.isdigit() and int(value) > self.limit:
                message = f"request body is larger than {self.limit:,} bytes"
                await error_response(ApiError(413, ErrorType.CONTENTTOOLARGE, message))(scope, receive, send)
                return
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise ApiError(413, ErrorType.CONTENTTOOLARGE, f"request body is larger than {self.limit:,} bytes")
            return message

        await self.app(scope, limited, send)


class RequestLog:
    """Remembers ``(method, path, query string)`` of recent requests (tests assert on it)."""

    def __init__(self, app: ASGIApp, log: deque):
        self.app = app
        self.log = log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            self.log.append((scope["method"], scope["path"], scope.get("query_string", b"").decode()))
        await self.app(scope, receive, send)


def create_app(
    settings: ServiceSettings,
    engine: Engine,
    keyring: Keyring,
    *,
    clock: Callable[[], datetime] | None = None,
    close_engine: bool = True,
) -> FastAPI:
    settle_memory_pool()
    service = Service(settings, engine, clock=clock)
    shared_keys = None
    if service.store.remote:
        # a cluster replica admits the registry's keys, its own among them (tui.server.shared_keys)
        from tui.server.shared_keys import SharedKeys

        shared_keys = SharedKeys(keyring, service.store.pg, refresh_s=settings.keys_refresh_s)  # type: ignore[attr-defined]
        shared_keys.publish()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await service.start()
        refresh = asyncio.create_task(shared_keys.refresh_forever(), name="folio-keys") if shared_keys else None
        try:
            yield
        finally:
            if refresh is not None:
                refresh.cancel()
            await service.stop()
            if close_engine:
                engine.close()

    app = FastAPI(
        title="folio query service",
        version=__version__,
        description="Rockset-compatible paginated queries: run once, store the result, page it by cursor.",
        lifespan=lifespan,
    )
    app.state.service = service
    app.state.keyring = keyring
    app.state.auth_throttle = AuthThrottle(after=settings.auth_backoff_after, max_s=settings.auth_backoff_max_s)
    app.state.request_log = deque(maxlen=100_000)
    errors.install(app)
    app.include_router(routes.router)
    app.include_router(lambdas.router)
    app.include_router(explore_routes.router)
    app.state.catalog = CatalogCache(engine, settings.catalog_ttl_s)
    app.include_router(catalog_routes.router)

    @app.get("/health", include_in_schema=False)
    async def health() -> dict:
        return {"status": "ok", "engine": engine.describe()}

    # keep last: catch-alls for the Rockset endpoints folio does not implement (501)
    app.include_router(unimplemented.router)

    if settings.page_fast_path:
        app.add_middleware(
            PageFastPath, service=service, keyring=keyring, throttle=app.state.auth_throttle, state=app.state
        )
    app.add_middleware(BodyLimit, limit=settings.max_body_bytes)
    if settings.record_requests:
        app.add_middleware(RequestLog, log=app.state.request_log)
    app.add_middleware(Leniency)  # outermost: every layer sees the normalised request
    return app
