"""The exceptions the client raises, one class per thing a caller may want to handle.

Every error the server sends is an ErrorModel (``message``, ``type``, ``line``, ``column``,
``trace_id``, ``error_id``, ``query_id``); :func:`error_from_response` turns it into the class
that says what went wrong, and the fields travel along so a caller (the app's status line, the
CLI's one-line message) can show the server's own words.

The tree::

    FolioError
    ├── TransportError            no usable HTTP answer
    │   ├── Unreachable           connection refused / dropped / DNS
    │   └── RequestTimeout        the server took longer than the client's timeout (also a Timeout)
    ├── ProtocolError             an answer that is not the wire format (not JSON, wrong shape)
    └── ApiError                  the server answered with an ErrorModel
        ├── InvalidInput          400 INVALIDINPUT / BADREQUEST
        │   └── QueryError        400 QUERY_ERROR, or an async query that ended in ERROR (line, column)
        ├── Unauthorized          401 / 403
        ├── NotFound              404
        ├── Expired               410 (expired_at)
        ├── QueryTimeout          408 QUERY_TIMEOUT (also a Timeout)
        ├── QueryCancelled        the query was cancelled
        ├── RateLimited           429 (retry_after)
        ├── ServerUnavailable     503 SERVICEUNAVAILABLE and other 5xx
        │   └── NotReady          503 NOT_READY: the rows asked for do not exist yet (retry_after)
        └── ServerError           500 INTERNALERROR

``Timeout`` is a mixin base of both timeouts, so ``except Timeout`` catches either.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import httpx

from tui.wire import ErrorModel, parse_ts

__all__ = [
    "ApiError",
    "Expired",
    "FolioError",
    "InvalidInput",
    "NotFound",
    "NotReady",
    "ProtocolError",
    "QueryCancelled",
    "QueryError",
    "QueryTimeout",
    "RateLimited",
    "RequestTimeout",
    "ServerError",
    "ServerUnavailable",
    "Timeout",
    "TransportError",
    "Unauthorized",
    "Unreachable",
    "error_from_response",
    "query_error_from_errors",
]


class FolioError(Exception):
    """Base of every error the client raises on purpose. ``str(exc)`` is one readable line."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class Timeout(FolioError):
    """Something took too long: the client's request timeout or the server's query timeout."""


class TransportError(FolioError):
    """No usable HTTP answer arrived (refused, reset, timed out)."""


class Unreachable(TransportError):
    """The server could not be reached or dropped the connection."""


class RequestTimeout(TransportError, Timeout):
    """The server did not answer within the client's timeout."""


class ProtocolError(FolioError):
    """The server answered, but not in the wire format (not JSON, or not the expected shape)."""

    def __init__(self, message: str, *, status_code: int | None = None):
        super().__init__(message)
        self.status_code = status_code


class ApiError(FolioError):
    """The server answered with an error status and (usually) an ErrorModel body."""

    def __init__(
        self,
        message: str,
        *,
        status_code: int,
        type: str | None = None,
        line: int | None = None,
        column: int | None = None,
        trace_id: str | None = None,
        error_id: str | None = None,
        query_id: str | None = None,
        body: Mapping[str, Any] | None = None,
        retry_after: float | None = None,
    ):
        super().__init__(message)
        self.status_code = status_code
        self.type = type
        self.line = line
        self.column = column
        self.trace_id = trace_id
        self.error_id = error_id
        self.query_id = query_id
        #: the whole decoded error body, for fields this class does not name
        self.body: dict[str, Any] = dict(body or {})
        #: seconds the server asked the client to wait (``Retry-After``), if any
        self.retry_after = retry_after

    def __repr__(self) -> str:
        return f"{type(self).__name__}(status_code={self.status_code}, type={self.type!r}, message={self.message!r})"


class InvalidInput(ApiError):
    """The request was rejected as malformed or out of range (HTTP 400)."""


class QueryError(InvalidInput):
    """The SQL failed: a syntax, binding or runtime error. ``line``/``column`` point into the SQL
    when the engine said where (1-based)."""

    def __str__(self) -> str:
        if self.line is not None and self.column is not None:
            return f"{self.message} (line {self.line}, column {self.column})"
        if self.line is not None:
            return f"{self.message} (line {self.line})"
        return self.message


class Unauthorized(ApiError):
    """The API key is missing, wrong, or not allowed to see this (HTTP 401/403)."""


class NotFound(ApiError):
    """No such query (or endpoint) for this key (HTTP 404)."""


class Expired(ApiError):
    """The result existed but has expired and was deleted (HTTP 410)."""

    @property
    def expired_at(self) -> datetime | None:
        raw = self.body.get("expired_at") or self.body.get("expires_at")
        if not isinstance(raw, str):
            return None
        try:
            return parse_ts(raw)
        except ValueError:
            return None


class QueryTimeout(ApiError, Timeout):
    """The query ran longer than its timeout and was stopped (HTTP 408 QUERY_TIMEOUT)."""


class QueryCancelled(ApiError):
    """The query was cancelled before it finished, so its result is not whole."""


class RateLimited(ApiError):
    """Too many requests (HTTP 429); ``retry_after`` says how long to wait, when the server knows."""


class ServerUnavailable(ApiError):
    """The server cannot answer right now (HTTP 502/503/504)."""


class NotReady(ServerUnavailable):
    """The rows asked for are not there yet: the query is still producing them (503 NOT_READY)."""


class ServerError(ApiError):
    """The server failed (HTTP 500 and other unexpected statuses)."""


_BY_TYPE: dict[str, type[ApiError]] = {
    "QUERY_ERROR": QueryError,
    "INVALIDINPUT": InvalidInput,
    "BADREQUEST": InvalidInput,
    "AUTHEXCEPTION": Unauthorized,
    "FORBIDDEN": Unauthorized,
    "NOTFOUND": NotFound,
    "GONE": Expired,
    "QUERY_TIMEOUT": QueryTimeout,
    "QUERY_CANCELLED": QueryCancelled,
    "RATELIMITEXCEEDED": RateLimited,
    "NOT_READY": NotReady,
    "SERVICEUNAVAILABLE": ServerUnavailable,
    "INTERNALERROR": ServerError,
}

_BY_STATUS: dict[int, type[ApiError]] = {
    400: InvalidInput,
    401: Unauthorized,
    403: Unauthorized,
    404: NotFound,
    408: QueryTimeout,
    410: Expired,
    429: RateLimited,
    500: ServerError,
    502: ServerUnavailable,
    503: ServerUnavailable,
    504: ServerUnavailable,
}

_DEFAULT_MESSAGES = {
    401: "the server rejected the API key",
    403: "the API key is not allowed to do this",
    404: "not found",
    410: "the result has expired",
    429: "rate limit exceeded",
    503: "the server is unavailable",
}


def retry_after_seconds(response: httpx.Response) -> float | None:
    """``Retry-After`` in seconds (the delta form; an HTTP date is ignored), or ``None``."""
    raw = response.headers.get("retry-after")
    if not raw:
        return None
    try:
        return max(0.0, float(raw))
    except ValueError:
        return None


def _error_class(status_code: int, error_type: str | None) -> type[ApiError]:
    if error_type and error_type.upper() in _BY_TYPE:
        cls = _BY_TYPE[error_type.upper()]
        # A type the status contradicts (a 404 that says INVALIDINPUT) follows the status for
        # the families callers branch on most: not found, expired, auth.
        if status_code in (401, 403, 404, 410) and cls is not _BY_STATUS[status_code]:
            return _BY_STATUS[status_code]
        return cls
    if status_code in _BY_STATUS:
        return _BY_STATUS[status_code]
    if 500 <= status_code < 600:
        return ServerError
    return InvalidInput if 400 <= status_code < 500 else ServerError


def error_from_response(response: httpx.Response) -> ApiError:
    """The :class:`ApiError` for an error ``response``; the body must already be read.

    A body that is not an ErrorModel (a proxy's HTML page, an empty 502) still gives the right
    class by status, with a message built from the status line.
    """
    status = response.status_code
    body: dict[str, Any] = {}
    try:
        decoded = json.loads(response.content) if response.content else None
    except ValueError:
        decoded = None
    if isinstance(decoded, dict):
        body = decoded
    model: ErrorModel | None
    try:
        model = ErrorModel.model_validate(body) if body else None
    except ValueError:
        model = None
    error_type = model.type if model else (body.get("type") if isinstance(body.get("type"), str) else None)
    message = (model.message if model else None) or _fallback_message(response, body)
    cls = _error_class(status, error_type)
    return cls(
        message,
        status_code=status,
        type=error_type,
        line=model.line if model else None,
        column=model.column if model else None,
        trace_id=model.trace_id if model else None,
        error_id=model.error_id if model else None,
        query_id=model.query_id if model else None,
        body=body,
        retry_after=retry_after_seconds(response),
    )


def _fallback_message(response: httpx.Response, body: Mapping[str, Any]) -> str:
    for key in ("message", "detail", "error"):
        value = body.get(key)
        if isinstance(value, str) and value:
            return value
    default = _DEFAULT_MESSAGES.get(response.status_code)
    phrase = response.reason_phrase or "error"
    return f"HTTP {response.status_code} {phrase}" + (f": {default}" if default else "")


def query_error_from_errors(
    errors: list[Any] | None, *, query_id: str | None = None, status_code: int = 200
) -> ApiError:
    """The error for a query that finished in ``ERROR`` with ``query_errors`` (async queries report
    their failure this way, not with an HTTP error)."""
    first: Mapping[str, Any] = {}
    if errors:
        item = errors[0]
        first = item.model_dump() if hasattr(item, "model_dump") else dict(item)
    error_type = first.get("type") or "QUERY_ERROR"
    message = first.get("message") or "the query failed"
    cls = _BY_TYPE.get(str(error_type).upper(), QueryError)
    if cls in (InvalidInput, ServerError, ServerUnavailable, NotReady, RateLimited):
        cls = QueryError
    return cls(
        message,
        status_code=first.get("status_code") or status_code,
        type=error_type,
        line=first.get("line"),
        column=first.get("column"),
        query_id=query_id,
        body={"query_errors": [first] if first else []},
    )
