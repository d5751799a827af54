"""``SyncQueryClient``: the :class:`QueryClient` API for scripts that are not async.

It owns a private event loop (``asyncio.Runner``) and runs each call to completion on it, so the
pooled connections of the underlying async client stay valid between calls. Not for use inside
a running event loop (use :class:`QueryClient` there).
"""

from __future__ import annotations

import asyncio
import builtins
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import httpx

from tui.client.query_client import QueryClient
from tui.client.results import FindResult, Page, QueryResult
from tui.wire import DEFAULT_PAGE_DOCS, QueryInfo

__all__ = ["SyncQueryClient"]


class SyncQueryClient:
    """Blocking twin of :class:`QueryClient`; same arguments, same methods, no ``await``.

    ::

        with SyncQueryClient("http://127.0.0.1:8000", key) as client:
            result = client.run("SELECT * FROM _events", initial_docs=0)
            for page in client.pages(result.query_id):
                ...
    """

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = 30.0,
        retries: int = 4,
    ):
        self._runner = asyncio.Runner()
        self._client = QueryClient(base_url, api_key, transport=transport, timeout=timeout, retries=retries)

    @property
    def client(self) -> QueryClient:
        return self._client

    def run(
        self,
        sql: str,
        *,
        parameters: Mapping[str, Any] | Iterable[Mapping[str, Any]] | None = None,
        initial_docs: int | None = None,
        async_: bool = False,
        client_timeout_ms: int | None = None,
        timeout_ms: int | None = None,
    ) -> QueryResult:
        return self._runner.run(
            self._client.run(
                sql,
                parameters=parameters,
                initial_docs=initial_docs,
                async_=async_,
                client_timeout_ms=client_timeout_ms,
                timeout_ms=timeout_ms,
            )
        )

    def page(self, query_id: str, *, offset: int, docs: int) -> Page:
        return self._runner.run(self._client.page(query_id, offset=offset, docs=docs))

    def page_at(self, query_id: str, cursor: str, *, docs: int | None = None, offset: int = 0) -> Page:
        return self._runner.run(self._client.page_at(query_id, cursor, docs=docs, offset=offset))

    def pages(self, query_id: str, *, docs: int = DEFAULT_PAGE_DOCS, start: int = 0) -> Iterator[Page]:
        agen: Any = self._client.pages(query_id, docs=docs, start=start)

        async def step() -> Page:
            return await agen.__anext__()

        async def close() -> None:
            await agen.aclose()

        try:
            while True:
                try:
                    yield self._runner.run(step())
                except StopAsyncIteration:
                    return
        finally:
            self._runner.run(close())

    def info(self, query_id: str) -> QueryInfo:
        return self._runner.run(self._client.info(query_id))

    def wait(self, query_id: str, *, timeout: float | None = None) -> QueryInfo:
        return self._runner.run(self._client.wait(query_id, timeout=timeout))

    def list(self, *, limit: int | None = None) -> builtins.list[QueryInfo]:
        return self._runner.run(self._client.list(limit=limit))

    def cancel(self, query_id: str) -> QueryInfo:
        return self._runner.run(self._client.cancel(query_id))

    def find(self, query_id: str, text: str, **options: Any) -> FindResult:
        return self._runner.run(self._client.find(query_id, text, **options))

    def profile(self, query_id: str) -> QueryResult:
        return self._runner.run(self._client.profile(query_id))

    def frequency(self, query_id: str, column: str) -> QueryResult:
        return self._runner.run(self._client.frequency(query_id, column))

    def close(self) -> None:
        try:
            self._runner.run(self._client.aclose())
        finally:
            self._runner.close()

    def __enter__(self) -> SyncQueryClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
