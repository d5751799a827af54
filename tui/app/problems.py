"""Turn any exception from the data layer into something to tell the user.

The app must keep running whatever the server or the network does, so every failure of a
worker goes through :func:`describe` and ends as a message on screen, never a traceback.
Classes are matched by name along the MRO, so this module needs neither the client nor httpx.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    #: sql | not_found | expired | unauthorized | invalid | unavailable | timeout | not_ready
    #: | rate_limited | cancelled | other
    kind: str
    message: str
    line: int | None = None
    column: int | None = None

    @property
    def title(self) -> str:
        return _TITLES.get(self.kind, "Error")


_TITLES = {
    "sql": "SQL error",
    "not_found": "Not found",
    "expired": "Result expired",
    "unauthorized": "Wrong API key",
    "invalid": "Invalid input",
    "unavailable": "Server unreachable",
    "timeout": "Timed out",
    "not_ready": "Not ready",
    "rate_limited": "Rate limited",
    "cancelled": "Cancelled",
    "failed": "Query failed",
}

_KINDS = {
    "QueryError": "sql",
    "NotFound": "not_found",
    "Expired": "expired",
    "Unauthorized": "unauthorized",
    "InvalidInput": "invalid",
    "ServerUnavailable": "unavailable",
    "Unreachable": "unavailable",
    "RequestTimeout": "timeout",
    "QueryTimeout": "timeout",
    "QueryCancelled": "cancelled",
    "Timeout": "timeout",
    "NotReady": "not_ready",
    "RateLimited": "rate_limited",
    # httpx, should one ever escape the client
    "ConnectError": "unavailable",
    "RemoteProtocolError": "unavailable",
    "TimeoutException": "timeout",
    "ConnectionError": "unavailable",
    "TimeoutError": "timeout",
}


def kind_of(error: BaseException) -> str:
    for cls in type(error).__mro__:
        kind = _KINDS.get(cls.__name__)
        if kind:
            return kind
    return "other"


def describe(error: BaseException) -> Problem:
    kind = kind_of(error)
    message = str(getattr(error, "message", None) or error) or type(error).__name__
    if kind == "unauthorized":
        message = f"{message} — check --api-key / FOLIO_API_KEY"
    elif kind == "unavailable":
        message = f"{message} — is the server running? folio recovers when it is back"
    return Problem(
        kind, message, _int_or_none(getattr(error, "line", None)), _int_or_none(getattr(error, "column", None))
    )


def query_problem(error: object | None) -> Problem:
    """The problem of a query that ended in ERROR, from the first of its ``query_errors``: an
    SQL error only when the server says so (not when the service stopped under it, or ran out
    of room)."""
    message = str(getattr(error, "message", None) or "the query failed")
    error_type = str(getattr(error, "type", None) or "QUERY_ERROR").upper()
    kind = _QUERY_ERROR_KINDS.get(error_type, "failed")
    return Problem(
        kind, message, _int_or_none(getattr(error, "line", None)), _int_or_none(getattr(error, "column", None))
    )


_QUERY_ERROR_KINDS = {
    "QUERY_ERROR": "sql",
    "INVALIDINPUT": "sql",
    "BADREQUEST": "sql",
    "QUERY_TIMEOUT": "timeout",
    "QUERY_CANCELLED": "cancelled",
}


def _int_or_none(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None
