"""``RestPager``: page through a token-paginated REST list endpoint (seed 003, Rocketlane).

The contract: the request carries ``pageSize`` and ``pageToken`` (none for the first page); the
response carries the items in ``data`` and ``pagination{pageSize, hasMore, totalRecordCount,
nextPageToken, nextPage}``. The pager follows ``nextPage`` (a ready URL) when given, else sends
``nextPageToken`` back as ``pageToken``, and stops when ``hasMore`` is false. Pages are yielded
as they arrive and nothing is kept, so memory stays flat however long the listing is.

Bounds, so a misbehaving endpoint can neither exhaust memory nor hang a listing: a page's body
may be at most ``max_page_bytes`` (64 MiB) and must arrive whole within ``page_timeout``
(a server sending one byte a second never trips a per-read timeout); ``deadline`` bounds the
whole listing; ``max_pages`` (10,000 by default, ``None`` for none) ends a listing that never
says it is done; JSON nested deeper than Python can parse is a clear :class:`ProtocolError`.

Other APIs paginate the same way under other names; :class:`PaginationStyle` names the fields.
Stripe, for instance (``GET /v1/customers?limit=100&starting_after=cus_123`` →
``{"data": [...], "has_more": true}``), has no token in the response: the next page starts after
the last item's ``id``. That is :data:`STRIPE`::

    async with RestPager("https://api.stripe.com/v1/customers", style=STRIPE,
                         headers={"Authorization": "Bearer sk_..."}) as pager:
        async for page in pager:
            ...
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import httpx

from tui.client._http import detach
from tui.client.errors import (
    FolioError,
    ProtocolError,
    RequestTimeout,
    Unreachable,
    retry_after_seconds,
)
from tui.client.retry import RETRY_STATUSES, RetryPolicy

__all__ = [
    "ROCKETLANE",
    "STRIPE",
    "PageTokenExpired",
    "PaginationStyle",
    "RestError",
    "RestPage",
    "RestPager",
]


@dataclass(frozen=True, slots=True)
class PaginationStyle:
    """Where a REST API keeps its items and pagination fields, and how it is asked for pages.

    Dotted paths are not needed by the APIs in view: ``pagination`` names the object holding
    the other response fields, or ``None`` when they sit at the top level of the body.
    """

    items: str = "data"
    pagination: str | None = "pagination"
    has_more: str = "hasMore"
    next_token: str | None = "nextPageToken"
    next_url: str | None = "nextPage"
    total: str | None = "totalRecordCount"
    page_size_param: str = "pageSize"
    token_param: str = "pageToken"
    #: for APIs without a response token: the next page starts after this field of the last item
    token_from_last_item: str | None = None
    #: how long a token lives, for the error message when one has expired
    token_lifetime: str | None = None


#: Rocketlane (seed 003): tokens are valid for 15 minutes.
ROCKETLANE = PaginationStyle(token_lifetime="15 minutes")
#: Stripe list endpoints: ``limit`` / ``starting_after=<last id>``, ``data`` + ``has_more``.
STRIPE = PaginationStyle(
    items="data",
    pagination=None,
    has_more="has_more",
    next_token=None,
    next_url=None,
    total=None,
    page_size_param="limit",
    token_param="starting_after",
    token_from_last_item="id",
)


#: largest page body read (a page is held whole while it is parsed)
DEFAULT_MAX_PAGE_BYTES = 64 * 1024 * 1024
#: how long one page may take to arrive, headers and body
DEFAULT_PAGE_TIMEOUT_S = 60.0
#: pages followed before the listing stops (an endpoint that always says ``hasMore``)
DEFAULT_MAX_PAGES = 10_000


class RestError(FolioError):
    """A REST endpoint answered with an error status."""

    def __init__(self, message: str, *, status_code: int | None = None):
        super().__init__(message)
        self.status_code = status_code


class PageTokenExpired(RestError):
    """The page token was refused as expired (or no longer valid) part-way through a listing."""


@dataclass(frozen=True, slots=True)
class RestPage:
    """One page of a REST listing. ``number`` counts from 1."""

    items: list[Any]
    number: int
    url: str
    has_more: bool
    total: int | None = None
    next_token: str | None = None
    next_url: str | None = None


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme.lower(), parts.netloc.lower()


def _with_params(url: str, params: Mapping[str, Any]) -> str:
    """``url`` plus ``params`` it does not already carry (the URL's own values win)."""
    parts = urlsplit(url)
    present = parse_qsl(parts.query, keep_blank_values=True)
    names = {name for name, _ in present}
    extra = [(k, str(v)) for k, v in params.items() if k not in names and v is not None]
    query = urlencode(present + extra)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))


def _snippet(response: httpx.Response, limit: int = 160) -> str:
    text = response.text.strip().replace("\n", " ")
    return text if len(text) <= limit else text[: limit - 1] + "…"


class RestPager:
    """Async iterator over the pages of a token-paginated REST endpoint.

    ``headers`` (e.g. ``{"api-key": "…"}``) and ``params`` (filters, sort order) are sent with
    every request. ``page_size`` is sent as the style's page-size parameter when given.
    """

    def __init__(
        self,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, Any] | None = None,
        page_size: int | None = None,
        style: PaginationStyle = ROCKETLANE,
        timeout: float = 30.0,
        retry: RetryPolicy | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        http_client: httpx.AsyncClient | None = None,
        max_pages: int | None = DEFAULT_MAX_PAGES,
        max_page_bytes: int = DEFAULT_MAX_PAGE_BYTES,
        page_timeout: float = DEFAULT_PAGE_TIMEOUT_S,
        deadline: float | None = None,
    ):
        self.url = url
        self.style = style
        self.page_size = page_size
        self.params = dict(params or {})
        self.headers = {"Accept": "application/json", **dict(headers or {})}
        self.retry = retry or RetryPolicy()
        self.max_pages = max_pages
        self.max_page_bytes = max_page_bytes
        self.page_timeout = page_timeout
        self.deadline = deadline
        #: whether the listing stopped at ``max_pages`` with pages still to come
        self.truncated = False
        self._ends_at: float | None = None
        self._owns_http = http_client is None
        self._http = http_client or httpx.AsyncClient(
            transport=transport, timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0))
        )

    async def aclose(self) -> None:
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self) -> RestPager:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    def __aiter__(self) -> AsyncIterator[RestPage]:
        return self.pages()

    async def items(self) -> AsyncIterator[Any]:
        """Every item of every page, in order."""
        async for page in self.pages():
            for item in page.items:
                yield item

    async def pages(self) -> AsyncIterator[RestPage]:
        style = self.style
        first_params = dict(self.params)
        if self.page_size is not None:
            first_params[style.page_size_param] = self.page_size
        url = _with_params(self.url, first_params)
        origin = _origin(url)
        # A server bug that hands out the same token or URL again would loop forever.
        seen_tokens: set[str] = set()
        seen_urls: set[str] = {url}
        number = 0
        self.truncated = False
        self._ends_at = time.monotonic() + self.deadline if self.deadline is not None else None
        while True:
            number += 1
            response = await self._get(url, number)
            body = self._decode(response, url)
            page = self._page(body, number, url)
            yield page
            if not page.has_more:
                return
            if self.max_pages is not None and number >= self.max_pages:
                self.truncated = True
                return
            token = page.next_token
            if token is None and style.token_from_last_item and page.items:
                last = page.items[-1]
                token = last.get(style.token_from_last_item) if isinstance(last, Mapping) else None
                token = None if token is None else str(token)
            if page.next_url:
                next_url = urljoin(url, page.next_url)
                # A next-page URL on another host must not receive our headers (an API key).
                if _origin(next_url) == origin:
                    url = _with_params(next_url, self.params)
                    if url in seen_urls:
                        raise ProtocolError(f"{self.url}: page {number} links back to an earlier page; stopping")
                    seen_urls.add(url)
                    continue
                if token is None:
                    raise ProtocolError(
                        f"{self.url}: the next page is on another host ({urlsplit(next_url).netloc}); "
                        "not sending the request headers there"
                    )
            if token is None:
                raise ProtocolError(
                    f"{self.url}: page {number} says there are more pages but gives no way to reach "
                    f"them (no {style.next_url or style.next_token or style.token_param})"
                )
            if token in seen_tokens:
                raise ProtocolError(f"{self.url}: page {number} repeats an earlier page token; stopping")
            seen_tokens.add(token)
            params = dict(first_params)
            params[style.token_param] = token
            url = _with_params(self.url, params)

    async def _get(self, url: str, number: int) -> httpx.Response:
        for attempt in range(1 + self.retry.retries):
            last = attempt == self.retry.retries
            try:
                response = await self._bounded_get(url, number)
            except (httpx.ConnectError, httpx.ReadError, httpx.RemoteProtocolError, httpx.ConnectTimeout) as exc:
                if last:
                    raise Unreachable(f"cannot reach {self.url}: {exc or type(exc).__name__}") from None
                await asyncio.sleep(self.retry.delay(attempt))
                continue
            except httpx.TimeoutException:
                raise RequestTimeout(f"{self.url} did not answer page {number} in time") from None
            except httpx.HTTPError as exc:
                raise Unreachable(f"{self.url}: {type(exc).__name__}: {exc}") from None
            if response.is_success:
                return response
            if response.status_code in RETRY_STATUSES and not last:
                await asyncio.sleep(self.retry.delay(attempt, retry_after_seconds(response)))
                continue
            raise self._http_error(response, number)
        raise AssertionError("unreachable")  # pragma: no cover

    async def _bounded_get(self, url: str, number: int) -> httpx.Response:
        """GET one page, read whole within :attr:`page_timeout` (and the listing's deadline),
        refused as soon as it is known to exceed :attr:`max_page_bytes`."""
        limit_s = self.page_timeout
        if self._ends_at is not None:
            left = self._ends_at - time.monotonic()
            if left <= 0:
                raise RequestTimeout(f"{self.url}: the listing took longer than its {self.deadline:g} s deadline")
            limit_s = min(limit_s, left)
        try:
            async with asyncio.timeout(limit_s):
                return await self._read_capped(url, number)
        except TimeoutError:
            if self._ends_at is not None and time.monotonic() >= self._ends_at:
                raise RequestTimeout(
                    f"{self.url}: the listing took longer than its {self.deadline:g} s deadline (page {number})"
                ) from None
            raise RequestTimeout(
                f"{self.url}: page {number} did not arrive whole within {limit_s:g} s (slow or stalled server)"
            ) from None

    async def _read_capped(self, url: str, number: int) -> httpx.Response:
        async with self._http.stream("GET", url, headers=self.headers) as streamed:
            declared = streamed.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > self.max_page_bytes:
                raise self._too_large(number)
            body = bytearray()
            async for piece in streamed.aiter_bytes():
                body += piece
                if len(body) > self.max_page_bytes:
                    raise self._too_large(number)
        headers = [(k, v) for k, v in streamed.headers.multi_items() if k.lower() != "content-encoding"]
        response = httpx.Response(streamed.status_code, headers=headers, content=bytes(body), request=streamed.request)
        return detach(response)

    def _too_large(self, number: int) -> ProtocolError:
        return ProtocolError(
            f"{self.url}: page {number} is larger than {self.max_page_bytes:,} bytes; "
            "ask for smaller pages (--page-size) or raise --max-page-bytes"
        )

    def _http_error(self, response: httpx.Response, number: int) -> RestError:
        status = response.status_code
        text = response.text.lower()
        if number > 1 and (
            status == 410 or (status in (400, 401, 403, 404, 422) and ("token" in text or "expire" in text))
        ):
            lifetime = f" (tokens are valid for {self.style.token_lifetime})" if self.style.token_lifetime else ""
            return PageTokenExpired(
                f"{self.url}: the page token for page {number} has expired{lifetime}; "
                f"start the listing again (HTTP {status}: {_snippet(response)})",
                status_code=status,
            )
        if status in (401, 403):
            return RestError(f"{self.url}: access denied (HTTP {status}): check the headers", status_code=status)
        return RestError(f"{self.url}: HTTP {status} on page {number}: {_snippet(response)}", status_code=status)

    def _decode(self, response: httpx.Response, url: str) -> Mapping[str, Any]:
        try:
            body = json.loads(response.content)
        except RecursionError:
            raise ProtocolError(
                f"{url} answered JSON nested too deeply to read", status_code=response.status_code
            ) from None
        except ValueError:
            kind = response.headers.get("content-type") or "no content type"
            raise ProtocolError(f"{url} did not answer JSON ({kind})", status_code=response.status_code) from None
        if not isinstance(body, Mapping):
            raise ProtocolError(f"{url} answered JSON that is not an object", status_code=response.status_code)
        return body

    def _page(self, body: Mapping[str, Any], number: int, url: str) -> RestPage:
        style = self.style
        items = body.get(style.items)
        if not isinstance(items, list):
            raise ProtocolError(f"{url}: the answer has no {style.items!r} list")
        if style.pagination is None:
            meta: Any = body
        else:
            meta = body.get(style.pagination)
            if not isinstance(meta, Mapping):
                raise ProtocolError(f"{url}: the answer has no {style.pagination!r} object (not paginated this way?)")
        has_more = meta.get(style.has_more)
        if not isinstance(has_more, bool):
            where = f"{style.pagination}.{style.has_more}" if style.pagination else style.has_more
            raise ProtocolError(f"{url}: the answer has no boolean {where!r}")
        total = meta.get(style.total) if style.total else None
        next_token = meta.get(style.next_token) if style.next_token else None
        next_url = meta.get(style.next_url) if style.next_url else None
        return RestPage(
            items=items,
            number=number,
            url=url,
            has_more=has_more,
            total=total if isinstance(total, int) and not isinstance(total, bool) else None,
            next_token=str(next_token) if next_token not in (None, "") else None,
            next_url=next_url if isinstance(next_url, str) and next_url else None,
        )
