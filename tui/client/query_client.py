"""``QueryClient``: the one way folio code talks to a query service.

It speaks the Rockset query API (see ``shared/rockset-api.md``) over one pooled
``httpx.AsyncClient``, to a remote server, a loopback one, or the FastAPI app in-process through
``httpx.ASGITransport`` (embedded mode): same protocol, same code path.

Reads (a page, a query's info, the list) are idempotent, so they are retried on connection
failures, 429 and 503 with backoff (see :mod:`tui.client.retry`); running a query (a POST) and
cancelling one are never retried behind the caller's back, since the first attempt may have
taken effect. Every failure surfaces as a :class:`~tui.client.errors.FolioError`.
"""

from __future__ import annotations

import asyncio
import builtins
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import quote

import httpx
import orjson
from pydantic import BaseModel, ValidationError

from tui.client._http import detach
from tui.client.auth import ApiKeyAuth, mask_key
from tui.client.errors import (
    FolioError,
    NotFound,
    NotReady,
    ProtocolError,
    QueryCancelled,
    RequestTimeout,
    ServerError,
    Unreachable,
    error_from_response,
    query_error_from_errors,
)
from tui.client.lambdas import LambdaApi
from tui.client.params import to_query_parameters
from tui.client.results import FindResult, Page, QueryResult
from tui.client.retry import RETRY_STATUSES, RetryPolicy
from tui.wire import (
    API_PREFIX,
    DEFAULT_PAGE_DOCS,
    FindResponse,
    PageResponse,
    QueryInfo,
    QueryInfoResponse,
    QueryListResponse,
    QueryResponse,
    QueryStatus,
)

if TYPE_CHECKING:
    from tui.catalog import Catalog
    from tui.client.arrow import ArrowPage

__all__ = ["QueryClient"]

_Model = TypeVar("_Model", bound=BaseModel)
_PageT = TypeVar("_PageT")

#: A sync query may legitimately run for the server's sync limit (2 min, seed 002); a client
#: read timeout shorter than that would abandon queries the server is still working on.
SYNC_QUERY_LIMIT_S = 120.0
#: how long to wait between polls when the server gives no Retry-After for NOT_READY
NOT_READY_PAUSE_S = 0.5
_USER_AGENT = "folio-client"

# Failures where the request certainly or possibly never reached the application: safe to
# repeat for an idempotent call.
_CONNECTION_ERRORS = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
    httpx.ReadError,
    httpx.WriteError,
    httpx.RemoteProtocolError,
)


def normalize_base_url(base_url: str) -> str:
    """``base_url`` without a trailing slash or a trailing ``/v1/orgs/self``."""
    url = base_url.strip().rstrip("/")
    if url.endswith(API_PREFIX):
        url = url[: -len(API_PREFIX)]
    if "://" not in url:
        url = "https://" + url
    return url


class QueryClient:
    """Async client for a folio (or Rockset) query service.

    Use it as an async context manager, or call :meth:`aclose` when done, so pooled
    connections are released::

        async with QueryClient("http://127.0.0.1:8000", key) as client:
            result = await client.run("SELECT * FROM _events", initial_docs=100)
            page = await client.page(result.query_id, offset=5_000_000, docs=100)

    ``transport`` plugs in any httpx transport (``httpx.ASGITransport(app=app)`` for embedded
    mode); ``http_client`` a ready ``httpx.AsyncClient`` that the caller keeps ownership of.
    """

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = 30.0,
        retries: int = 4,
        retry: RetryPolicy | None = None,
        http_client: httpx.AsyncClient | None = None,
        headers: Mapping[str, str] | None = None,
    ):
        if not api_key:
            raise ValueError("an API key is required")
        self.base_url = normalize_base_url(base_url)
        self._api = self.base_url + API_PREFIX
        self._auth = ApiKeyAuth(api_key)
        self._masked_key = mask_key(api_key)
        self.timeout = timeout
        self.retry = retry or RetryPolicy(retries=retries)
        self._owns_http = http_client is None
        if http_client is None:
            http_client = httpx.AsyncClient(
                transport=transport,
                timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
                # HTTP/1.1 keep-alive: a grid scrolling through pages reuses a few connections.
                limits=httpx.Limits(max_connections=16, max_keepalive_connections=8, keepalive_expiry=30.0),
                headers={"User-Agent": _USER_AGENT, "Accept": "application/json", **(headers or {})},
                follow_redirects=False,
            )
        self._http = http_client

    def __repr__(self) -> str:
        return f"QueryClient({self.base_url!r}, api_key={self._masked_key!r})"

    # -- lifecycle ------------------------------------------------------------------------

    async def aclose(self) -> None:
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self) -> QueryClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    @property
    def lambdas(self) -> LambdaApi:
        """Query lambdas: saved, versioned, parameterised queries (:mod:`tui.client.lambdas`)."""
        return LambdaApi(self)

    # -- queries --------------------------------------------------------------------------

    async def run(
        self,
        sql: str,
        *,
        parameters: Mapping[str, Any] | Iterable[Mapping[str, Any]] | None = None,
        initial_docs: int | None = None,
        async_: bool = False,
        client_timeout_ms: int | None = None,
        timeout_ms: int | None = None,
    ) -> QueryResult:
        """Run ``sql`` (``POST /queries``).

        ``initial_docs`` makes the query paginated: the answer carries at most that many rows
        and the result stays stored for :meth:`page`. ``async_`` returns as soon as the server
        has the query (or after ``client_timeout_ms`` if it finishes sooner). A SQL error raises
        :class:`~tui.client.errors.QueryError` whether the server reports it as an HTTP error or
        as ``status: ERROR`` with ``query_errors``.
        """
        body: dict[str, Any] = {"sql": {"query": sql}}
        triples = to_query_parameters(parameters)
        if triples is not None:
            body["sql"]["parameters"] = triples
        if initial_docs is not None:
            body["max_initial_results"] = initial_docs
        if async_:
            body["async"] = True
            if client_timeout_ms is not None:
                body["async_options"] = {"client_timeout_ms": client_timeout_ms}
        if timeout_ms is not None:
            body["timeout_ms"] = timeout_ms
        if async_:
            read_timeout = self.timeout + (client_timeout_ms or 0) / 1000
        else:
            limit = timeout_ms / 1000 if timeout_ms is not None else SYNC_QUERY_LIMIT_S
            read_timeout = max(self.timeout, limit + 10.0)
        started = time.perf_counter()
        response = await self._send("POST", "/queries", json_body=body, idempotent=False, read_timeout=read_timeout)
        elapsed_ms = (time.perf_counter() - started) * 1000
        model = self._parse(response, QueryResponse)
        if model.query_errors or model.status is QueryStatus.ERROR:
            raise query_error_from_errors(model.query_errors, query_id=model.query_id)
        if not model.query_id:
            raise ProtocolError("the server's answer to a query has no query_id")
        return QueryResult.from_response(model, elapsed_ms=elapsed_ms)

    async def page(self, query_id: str, *, offset: int, docs: int) -> Page:
        """Rows ``offset`` … ``offset + docs - 1`` of a stored result: one call at any depth.

        While the query is still running this returns the rows stored so far (``total`` is
        ``None``); asking beyond them makes the server wait briefly, then answer
        :class:`~tui.client.errors.NotReady` (after this client's bounded retries).
        """
        started = time.perf_counter()
        response = await self._send(
            "GET", self._pages_path(query_id), params={"docs": docs, "offset": offset}, idempotent=True
        )
        body = self._parse(response, PageResponse)
        return Page.from_response(query_id, body, offset=offset, elapsed_ms=(time.perf_counter() - started) * 1000)

    async def page_at(self, query_id: str, cursor: str, *, docs: int | None = None, offset: int = 0) -> Page:
        """The page that starts ``offset`` rows after ``cursor`` (Rockset's cursor paging)."""
        params: dict[str, Any] = {"cursor": cursor}
        if docs is not None:
            params["docs"] = docs
        if offset:
            params["offset"] = offset
        started = time.perf_counter()
        response = await self._send("GET", self._pages_path(query_id), params=params, idempotent=True)
        body = self._parse(response, PageResponse)
        return Page.from_response(query_id, body, offset=None, elapsed_ms=(time.perf_counter() - started) * 1000)

    def pages(self, query_id: str, *, docs: int = DEFAULT_PAGE_DOCS, start: int = 0) -> AsyncIterator[Page]:
        """Every page from row ``start`` to the end, in order, as the server has them.

        Follows a running query as it produces rows, so it ends only when the query has
        finished and every row was yielded. A query that fails or is cancelled meanwhile raises
        instead of ending early, so a consumer never mistakes part of a result for all of it.
        """
        return self.follow(query_id, lambda offset: self.page(query_id, offset=offset, docs=docs), start=start)

    async def arrow_page(self, query_id: str, *, offset: int, docs: int) -> ArrowPage | Page:
        """Like :meth:`page`, as Arrow (:class:`~tui.client.arrow.ArrowPage`) when the server
        speaks folio's Arrow extension, else the JSON :class:`Page` it answered instead."""
        from tui.client.arrow import ARROW_STREAM, parse_arrow_page

        started = time.perf_counter()
        response = await self._send(
            "GET",
            self._pages_path(query_id),
            params={"docs": docs, "offset": offset},
            idempotent=True,
            headers={"Accept": f"{ARROW_STREAM}, application/json;q=0.5"},
        )
        elapsed_ms = (time.perf_counter() - started) * 1000
        if response.headers.get("content-type", "").split(";")[0].strip() == ARROW_STREAM:
            return parse_arrow_page(query_id, response, offset=offset, elapsed_ms=elapsed_ms)
        body = self._parse(response, PageResponse)
        return Page.from_response(query_id, body, offset=offset, elapsed_ms=elapsed_ms)

    def arrow_pages(self, query_id: str, *, docs: int = 50_000, start: int = 0) -> AsyncIterator[ArrowPage | Page]:
        """:meth:`pages` over :meth:`arrow_page` (items are ``ArrowPage``, or ``Page`` from a
        server without the Arrow extension)."""
        return self.follow(query_id, lambda offset: self.arrow_page(query_id, offset=offset, docs=docs), start=start)

    async def follow(
        self, query_id: str, fetch: Callable[[int], Awaitable[_PageT]], *, start: int = 0
    ) -> AsyncIterator[_PageT]:
        """Drive ``fetch(offset)`` from ``start`` to the end of the result (see :meth:`pages`).

        ``fetch`` returns anything with ``count``, ``status``, ``total`` and ``next_offset``.
        ``NOT_READY`` is not an error here: it means "still running, nothing new yet", so it is
        waited out for as long as the query runs, unlike in a single :meth:`page` call.
        """
        offset = start
        while True:
            try:
                item: Any = await fetch(offset)
            except NotReady as exc:
                await asyncio.sleep(exc.retry_after if exc.retry_after is not None else NOT_READY_PAUSE_S)
                continue
            status: QueryStatus | None = item.status
            if status is QueryStatus.ERROR:
                raise await self._failure(query_id)
            if status is QueryStatus.CANCELLED:
                raise QueryCancelled("the query was cancelled before it finished", status_code=200, query_id=query_id)
            if item.count:
                yield item
                offset += item.count
            if status is None or status is QueryStatus.COMPLETED:
                if item.count == 0 or item.next_offset is None:
                    return
                if item.total is not None and offset >= item.total:
                    return
            elif item.count == 0:
                await asyncio.sleep(NOT_READY_PAUSE_S / 2)

    async def _failure(self, query_id: str) -> FolioError:
        info = await self.info(query_id)
        return query_error_from_errors(info.query_errors, query_id=query_id)

    async def info(self, query_id: str) -> QueryInfo:
        """The query's state, stats and expiry (``GET /queries/{id}``)."""
        response = await self._send("GET", self._query_path(query_id), idempotent=True)
        return self._data(self._parse(response, QueryInfoResponse), query_id)

    async def wait(self, query_id: str, *, timeout: float | None = None, poll: float = 0.1) -> QueryInfo:
        """Poll :meth:`info` until the query has finished; raise if it ended in error.

        The poll interval grows to 1 s, so a long query costs one request a second.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            info = await self.info(query_id)
            if info.status is QueryStatus.ERROR:
                raise query_error_from_errors(info.query_errors, query_id=query_id)
            if info.status is None or info.status.is_final:
                return info
            if deadline is not None and time.monotonic() >= deadline:
                raise RequestTimeout(f"query {query_id} still {info.status.value} after {timeout:g} s")
            await asyncio.sleep(poll)
            poll = min(1.0, poll * 1.5)

    async def list(self, *, limit: int | None = None) -> builtins.list[QueryInfo]:
        """The stored and running queries the API key can see (``GET /queries``), newest
        first: all of them, or the newest ``limit``. A long list comes from folio in pages;
        they are followed (``pagination.next_cursor``) until the list or ``limit`` ends."""
        found: builtins.list[QueryInfo] = []
        params: dict[str, Any] = {}
        while True:
            if limit is not None:
                params["limit"] = limit - len(found)
            response = await self._send("GET", "/queries", params=params or None, idempotent=True)
            body = self._parse(response, QueryListResponse)
            found += body.data or []
            next_cursor = body.pagination.next_cursor if body.pagination is not None else None
            if not next_cursor or not body.data or (limit is not None and len(found) >= limit):
                return found[:limit] if limit is not None else found
            params["cursor"] = next_cursor

    async def cancel(self, query_id: str) -> QueryInfo:
        """Cancel a running query, or drop a finished result before it expires."""
        response = await self._send("DELETE", self._query_path(query_id), idempotent=False)
        return self._data(self._parse(response, QueryInfoResponse), query_id)

    async def catalog(self) -> Catalog:
        """The source's schemas, tables and views with their columns, and its SQL functions
        (``GET /ws``, ``/collections`` and folio's ``/functions``; a server without the last
        gives no functions)."""
        from tui.client.catalog import parse_catalog

        workspaces = await self._send("GET", "/ws", idempotent=True)
        collections = await self._send("GET", "/collections", idempotent=True)
        try:
            functions: bytes | None = (await self._send("GET", "/functions", idempotent=True)).content
        except NotFound:
            functions = None
        # a 5,000-table catalog is megabytes of JSON: decoded off the event loop
        return await asyncio.to_thread(parse_catalog, workspaces.content, collections.content, functions)

    # -- exploring a stored result (folio extensions) -----------------------------------

    async def find(
        self,
        query_id: str,
        text: str,
        *,
        column: str | None = None,
        start: int | None = None,
        direction: str = "next",
        regex: bool = False,
        case: bool = False,
    ) -> FindResult:
        """The next (``direction="next"``) or previous (``"prev"``) row at or after (before)
        ``start`` (default: the first row, or the last going backwards) whose text, as the grid
        shows it, contains ``text`` (a regular expression if ``regex``; case-insensitive unless
        ``case``), in any column or in ``column``.

        One call does bounded work: ``match is None and not done`` means "not found up to
        ``scanned_to`` yet"; ask again from there (:meth:`find_all_the_way` does).
        """
        params: dict[str, Any] = {"text": text, "direction": direction}
        if start is not None:  # none: the first row going forwards, the last going backwards
            params["from"] = start
        if column is not None:
            params["column"] = column
        if regex:
            params["regex"] = "true"
        if case:
            params["case"] = "true"
        response = await self._send("GET", self._query_path(query_id) + "/find", params=params, idempotent=True)
        data = self._parse(response, FindResponse).data
        return FindResult(data.match, data.column, data.scanned_to, data.done)

    async def find_all_the_way(self, query_id: str, text: str, **options: Any) -> FindResult:
        """:meth:`find`, continued until it finds a row or reaches the end (or start)."""
        result = await self.find(query_id, text, **options)
        while result.match is None and not result.done:
            options["start"] = result.scanned_to
            result = await self.find(query_id, text, **options)
        return result

    async def profile(self, query_id: str) -> QueryResult:
        """Start a profile of a stored result: a derived query with one row per column
        (``column, type, count, nulls, distinct_approx, min, max, mean, p25, p50, p75``)."""
        return await self._derived(query_id, "profile", {})

    async def frequency(self, query_id: str, column: str) -> QueryResult:
        """Start a frequency table of one column of a stored result: a derived query with rows
        ``value, count, percent, low, high`` (numbers and times in bins)."""
        return await self._derived(query_id, "frequency", {"column": column})

    async def _derived(self, query_id: str, what: str, body: dict[str, Any]) -> QueryResult:
        started = time.perf_counter()
        path = self._query_path(query_id) + "/" + what
        response = await self._send("POST", path, json_body=body, idempotent=False)
        model = self._parse(response, QueryResponse)
        if model.query_errors or model.status is QueryStatus.ERROR:
            raise query_error_from_errors(model.query_errors, query_id=model.query_id)
        if not model.query_id:
            raise ProtocolError(f"the server's answer to {what} has no query_id")
        return QueryResult.from_response(model, elapsed_ms=(time.perf_counter() - started) * 1000)

    # -- plumbing -------------------------------------------------------------------------

    @staticmethod
    def _query_path(query_id: str) -> str:
        if not query_id:
            raise ValueError("query_id must not be empty")
        # Rockset ids contain ':'; the path segment is percent-encoded as the official client does.
        return "/queries/" + quote(query_id, safe="")

    def _pages_path(self, query_id: str) -> str:
        return self._query_path(query_id) + "/pages"

    @staticmethod
    def _data(body: QueryInfoResponse, query_id: str) -> QueryInfo:
        if body.data is None:
            raise ProtocolError(f"the server's answer about query {query_id} has no data")
        return body.data

    async def _send(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json_body: Any = None,
        idempotent: bool,
        headers: Mapping[str, str] | None = None,
        read_timeout: float | None = None,
    ) -> httpx.Response:
        """Send one request, with retries for idempotent ones; return a 2xx response or raise."""
        url = self._api + path
        content = None
        request_headers = dict(headers or {})
        if json_body is not None:
            content = orjson.dumps(json_body)
            request_headers["Content-Type"] = "application/json"
        timeout = (
            httpx.Timeout(self.timeout, connect=min(self.timeout, 10.0), read=read_timeout)
            if read_timeout is not None
            else httpx.USE_CLIENT_DEFAULT
        )
        attempts = 1 + (self.retry.retries if idempotent else 0)
        for attempt in range(attempts):
            last = attempt == attempts - 1
            try:
                response = await self._http.request(
                    method,
                    url,
                    params=params,
                    content=content,
                    headers=request_headers,
                    auth=self._auth,
                    timeout=timeout,
                )
            except _CONNECTION_ERRORS as exc:
                if last:
                    raise Unreachable(self._unreachable_message(exc)) from None
                await asyncio.sleep(self.retry.delay(attempt))
                continue
            except httpx.TimeoutException:
                # A read timeout is not retried: the server is busy with this very request, and
                # asking again only queues more work behind it.
                raise RequestTimeout(
                    f"{self.base_url} did not answer {method} {path} within the client timeout"
                ) from None
            except httpx.HTTPError as exc:
                raise Unreachable(f"{self.base_url}: {type(exc).__name__}: {exc}") from None
            except Exception as exc:
                # An in-process (ASGI) transport re-raises the app's own exceptions; to callers
                # that is a server failure like any 500, not a crash of the client.
                raise ServerError(
                    f"{self.base_url}: the service failed on {method} {path}: {type(exc).__name__}: {exc}",
                    status_code=500,
                ) from exc
            detach(response)
            if response.is_success:
                return response
            error = error_from_response(response)
            if response.status_code in RETRY_STATUSES and not last:
                await asyncio.sleep(self.retry.delay(attempt, error.retry_after))
                continue
            raise error
        raise AssertionError("unreachable")  # pragma: no cover

    def _unreachable_message(self, exc: Exception) -> str:
        detail = str(exc) or type(exc).__name__
        if isinstance(exc, (httpx.ConnectError, httpx.ConnectTimeout)):
            return f"cannot reach the server at {self.base_url}: {detail}"
        return f"the connection to {self.base_url} failed: {detail}"

    def _parse(self, response: httpx.Response, model: type[_Model]) -> _Model:
        try:
            decoded = orjson.loads(response.content)
        except orjson.JSONDecodeError:
            kind = response.headers.get("content-type") or "no content type"
            raise ProtocolError(
                f"{self.base_url} answered {response.request.method} {response.request.url.path} "
                f"with something that is not JSON ({kind})",
                status_code=response.status_code,
            ) from None
        rows = None
        if isinstance(decoded, dict) and isinstance(decoded.get("results"), list):
            # Rows are checked here in one pass; validating 10,000 documents through pydantic
            # would cost more than decoding them.
            rows = decoded.pop("results")
            if not all(type(row) is dict for row in rows):
                raise ProtocolError(f"{self.base_url} sent results that are not all JSON objects")
        try:
            parsed = model.model_validate(decoded)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "body"
            raise ProtocolError(
                f"{self.base_url} sent an unexpected {model.__name__}: {where}: {first['msg']}",
                status_code=response.status_code,
            ) from None
        if rows is not None:
            parsed.results = rows  # type: ignore[attr-defined]
        return parsed
