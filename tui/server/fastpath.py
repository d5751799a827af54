"""The hot path: pages of completed results whose rows are already rendered, without FastAPI.

Once a result's JSON is rendered (:mod:`tui.store.rendered`), serving a page costs the
service about 60 µs, and FastAPI's routing and dependency solving about 440 µs more
(measured in-process, FastAPI 0.165). Under load that overhead, not the data, decided how
many pages per second two cores could serve.

This middleware answers exactly one kind of request itself: ``GET …/queries/{id}/pages``
(either form) with well-formed parameters, a known key, and a completed result whose rows are
all rendered, up to a few MiB of them (a larger page is read by the route, on a thread).
Anything else, including every error, goes on to the FastAPI app unchanged, so validation,
error bodies and the OpenAPI description stay defined once, in ``routes.py``. The
response is built by the same function the route uses, and the tests compare the two.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl

from starlette.datastructures import State
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from tui.server.auth import Keyring, key_digest
from tui.server.errors import ApiError
from tui.server.routes import ARROW_STREAM, page_response
from tui.server.service import INLINE_READ_BYTES, Service
from tui.server.throttle import AuthThrottle
from tui.wire import API_PREFIX, DEFAULT_PAGE_DOCS, MAX_OFFSET, MAX_PAGE_DOCS

_PAGES = re.compile(rf"^{re.escape(API_PREFIX)}/queries/([^/]+)/pages(?:/([^/]+))?$")
_MAX_CURSOR = 128


class PageFastPath:
    def __init__(self, app: ASGIApp, service: Service, keyring: Keyring, throttle: AuthThrottle, state: State):
        self.app = app
        self.service = service
        self.keyring = keyring
        self.throttle = throttle
        # pages answered here, on ``app.state`` (the tests check the hot path is taken)
        self.state = state
        state.fast_pages = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET":
            response = self._answer(scope)
            if response is not None:
                self.state.fast_pages += 1
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)

    def _answer(self, scope: Scope):
        match = _PAGES.match(scope["path"])
        if match is None:
            return None
        query_id, path_cursor = match.groups()
        authorization = accept = None
        for name, value in scope["headers"]:
            if name == b"authorization":
                authorization = value.decode("latin-1")
            elif name == b"accept":
                accept = value.decode("latin-1")
        if accept is not None and ARROW_STREAM in accept:
            return None
        hex_digest = key_digest(authorization)
        principal = self.keyring.principal(hex_digest)
        if principal is None:
            return None
        client = scope.get("client")
        if client and self.throttle.wait_s(client[0], hex_digest) > 0:
            return None  # the route answers 429
        params = _parameters(scope["query_string"].decode("latin-1"), path_cursor)
        if params is None:
            return None
        cursor, docs, offset = params
        try:
            record, live = self.service.lookup(principal, query_id)
            if live is not None:
                return None
            start = self.service.decode_cursor(record, cursor) if cursor else 0
        except ApiError:
            return None
        page = self.service.rendered_page(record, start + offset, docs, read_limit=INLINE_READ_BYTES)
        if page is None or page.rendered is None:  # large pages are read on a thread by the route
            return None
        return page_response(Request(scope), self.service, record, page, docs)


def _parameters(query_string: str, path_cursor: str | None) -> tuple[str | None, int, int] | None:
    """``(cursor, docs, offset)`` when the query string is one the route would accept as is;
    ``None`` for anything unusual (the route then decides, and explains any error)."""
    seen: dict[str, str] = {}
    for key, value in parse_qsl(query_string, keep_blank_values=True):
        if key in seen:
            return None
        seen[key] = value
    cursor = path_cursor
    if "cursor" in seen:
        if path_cursor is not None:
            return None
        cursor = seen["cursor"]
        if not cursor or len(cursor) > _MAX_CURSOR:
            return None
    docs = _integer(seen.get("docs"), DEFAULT_PAGE_DOCS, 1, MAX_PAGE_DOCS)
    offset = _integer(seen.get("offset"), 0, 0, MAX_OFFSET)
    if docs is None or offset is None:
        return None
    return cursor, docs, offset


def _integer(text: str | None, default: int, low: int, high: int) -> int | None:
    if text is None:
        return default
    if not (text.isascii() and text.isdigit()) or len(text) > 12:
        return None
    value = int(text)
    return value if low <= value <= high else None
