"""folio's client library: everything the app and the CLI need to reach data.

* :class:`QueryClient` (async) and :class:`SyncQueryClient`: the Rockset query API, over any
  base URL or in-process through httpx's ASGI transport;
* :class:`RestPager`: token-paginated REST endpoints (Rocketlane-style, or any names);
* :func:`open_client`: a client for resolved settings, starting the embedded service if no
  server is configured;
* the exceptions in :mod:`tui.client.errors`.

It imports without FastAPI (the embedded service is imported only when used).
"""

from tui.client.auth import mask_key
from tui.client.errors import (
    ApiError,
    Expired,
    FolioError,
    InvalidInput,
    NotFound,
    NotReady,
    ProtocolError,
    QueryCancelled,
    QueryError,
    QueryTimeout,
    RateLimited,
    RequestTimeout,
    ServerError,
    ServerUnavailable,
    Timeout,
    TransportError,
    Unauthorized,
    Unreachable,
)
from tui.client.query_client import QueryClient
from tui.client.rest_pager import ROCKETLANE, STRIPE, PageTokenExpired, PaginationStyle, RestError, RestPage, RestPager
from tui.client.results import Column, Page, QueryResult
from tui.client.retry import RetryPolicy
from tui.client.sync import SyncQueryClient

__all__ = [
    "ROCKETLANE",
    "STRIPE",
    "ApiError",
    "Column",
    "Expired",
    "FolioError",
    "InvalidInput",
    "NotFound",
    "NotReady",
    "Page",
    "PageTokenExpired",
    "PaginationStyle",
    "ProtocolError",
    "QueryCancelled",
    "QueryClient",
    "QueryError",
    "QueryResult",
    "QueryTimeout",
    "RateLimited",
    "RequestTimeout",
    "RestError",
    "RestPage",
    "RestPager",
    "RetryPolicy",
    "ServerError",
    "ServerUnavailable",
    "SyncQueryClient",
    "Timeout",
    "TransportError",
    "Unauthorized",
    "Unreachable",
    "mask_key",
    "open_client",
]


def __getattr__(name: str):
    # open_client pulls in config (dotenv); keep it lazy so importing the client stays light.
    if name == "open_client":
        from tui.client.connect import open_client

        return open_client
    raise AttributeError(name)
