"""``open_client``: the QueryClient for resolved settings, remote or embedded.

With a server configured it is a plain HTTP client. Without one, the query service is started
in-process over ``settings.source`` (an in-memory DuckDB when there is none) and the client talks
to it through ``httpx.ASGITransport``: the same requests, the same code path, no socket.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from tui.client.query_client import QueryClient
from tui.config import ClientSettings

__all__ = ["MissingApiKey", "open_client"]


class MissingApiKey(ValueError):
    """A server is configured but no API key is."""


@asynccontextmanager
async def open_client(
    settings: ClientSettings, *, timeout: float = 30.0, retries: int = 4
) -> AsyncIterator[QueryClient]:
    if settings.server is not None:
        if not settings.api_key:
            where = settings.origins.get("server", "configuration")
            raise MissingApiKey(f"a server is configured ({where}) but no API key: pass --api-key or set FOLIO_API_KEY")
        async with QueryClient(settings.server, settings.api_key, timeout=timeout, retries=retries) as client:
            yield client
        return
    # FastAPI and the engines are imported only when embedded mode is used.
    from tui.engines import open_engine
    from tui.server.embedded import embedded_service

    engine = open_engine(settings.source)  # raises tui.engines.SourceError for a bad SOURCE
    async with embedded_service(engine) as service:
        async with QueryClient(
            service.base_url, service.api_key, transport=service.transport, timeout=timeout, retries=retries
        ) as client:
            yield client
