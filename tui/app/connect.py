"""How the app gets its data source: the only place ``tui.app`` touches ``tui.server``.

Both factories return an async context manager yielding a :class:`~tui.client.QueryClient`;
the app enters it inside its own event loop (see ``FolioApp._hold_source``), so the embedded
service's lifespan and the client's connection pool live and die with the app.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any


def remote(server: str, api_key: str, *, retries: int = 4) -> Callable[[], AbstractAsyncContextManager[Any]]:
    from tui.client import QueryClient

    return lambda: QueryClient(server, api_key, retries=retries)


def embedded(engine: Any, *, settings: Any = None, clock: Any = None) -> Callable[[], AbstractAsyncContextManager[Any]]:
    """The service in-process over ``engine`` (a :class:`tui.engines.Engine`)."""

    @asynccontextmanager
    async def connect() -> AsyncIterator[Any]:
        from tui.client import QueryClient
        from tui.server.embedded import embedded_service

        async with embedded_service(engine, settings=settings, clock=clock) as service:
            async with QueryClient(service.base_url, service.api_key, transport=service.transport) as client:
                yield client

    return connect
