"""The wire schema of the Rockset query-pagination API, as folio speaks it.

Client and server both import this module, so the two cannot drift apart. It depends on
pydantic only: no FastAPI, no httpx, no Textual.

The models follow ../shared/rockset-api.md (what the official ``rockset`` 2.1.2 client sends
and accepts). Two rules from there shape everything below:

* requests are lenient: unknown keys are accepted and ignored (``extra="ignore"``), because the
  official client and older scripts send keys such as ``paginate`` that the spec never declared;
* responses never carry ``null`` where the official client forbids it: the server omits the key
  instead. The response models here are for *reading* responses (the client) and for the OpenAPI
  document; the server builds its hot-path bodies as plain dicts.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import Enum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr

API_PREFIX = "/v1/orgs/self"

#: Limits from seeds 001 and 002; the server enforces them because the official client does not.
DEFAULT_PAGE_DOCS = 10_000
MAX_PAGE_DOCS = 100_000
MAX_OFFSET = 1_000_000_000
MAX_INITIAL_RESULTS = 100_000
#: A query that did not ask for pagination may return at most this much (seed 001).
UNPAGINATED_MAX_ROWS = 100_000
UNPAGINATED_MAX_BYTES = 100 * 1024 * 1024


class QueryStatus(str, Enum):
    """Exactly the values the official client's enum validation accepts."""

    QUEUED = "QUEUED"
    RUNNING = "RUNNING"
    COMPLETED = "COMPLETED"
    ERROR = "ERROR"
    CANCELLED = "CANCELLED"

    @property
    def is_final(self) -> bool:
        return self in (QueryStatus.COMPLETED, QueryStatus.ERROR, QueryStatus.CANCELLED)


class ErrorType(str, Enum):
    """The ErrorModel ``type`` values folio emits (a subset of Rockset's enum)."""

    AUTHEXCEPTION = "AUTHEXCEPTION"
    INTERNALERROR = "INTERNALERROR"
    INVALIDINPUT = "INVALIDINPUT"
    RESOURCEEXCEEDED = "RESOURCEEXCEEDED"
    METHODNOTALLOWED = "METHODNOTALLOWED"
    NOTFOUND = "NOTFOUND"
    QUERY_ERROR = "QUERY_ERROR"
    NOT_READY = "NOT_READY"
    FORBIDDEN = "FORBIDDEN"
    QUERY_TIMEOUT = "QUERY_TIMEOUT"
    CONTENTTOOLARGE = "CONTENTTOOLARGE"
    BADREQUEST = "BADREQUEST"
    SERVICEUNAVAILABLE = "SERVICEUNAVAILABLE"
    RATELIMITEXCEEDED = "RATELIMITEXCEEDED"
    QUERY_CANCELLED = "QUERY_CANCELLED"
    ALREADYEXISTS = "ALREADYEXISTS"
    NOTIMPLEMENTEDYET = "NOTIMPLEMENTEDYET"


# ---------------------------------------------------------------------------------------------
# Requests


class _Lenient(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)


class QueryParameter(_Lenient):
    """A named parameter. The official client always sends ``value`` as a string and ``type``
    as a hint (``int``, ``float``, ``bool``, ``string``, ``date``, ``datetime``…)."""

    name: StrictStr = Field(min_length=1, max_length=128)
    type: StrictStr = "string"
    value: StrictStr | StrictInt | float | StrictBool | None


class QueryRequestSql(_Lenient):
    query: StrictStr = Field(min_length=1)
    parameters: list[QueryParameter] | None = None
    default_row_limit: StrictInt | None = None
    initial_paginate_response_doc_count: StrictInt | None = None
    paginate: StrictBool | None = None


class AsyncQueryOptions(_Lenient):
    client_timeout_ms: StrictInt | None = Field(default=None, ge=0)
    max_initial_results: StrictInt | None = None
    timeout_ms: StrictInt | None = Field(default=None, ge=1)


class ExecutionOptions(_Lenient):
    """How a query runs, the same for ``POST /queries`` and a lambda's execution (§11): async
    or not, its first page, its timeout. Each has a top-level field and a deprecated twin in
    ``async_options``; the top-level one wins."""

    async_: StrictBool | None = Field(default=None, alias="async")
    async_options: AsyncQueryOptions | None = None
    max_initial_results: StrictInt | None = None
    timeout_ms: StrictInt | None = Field(default=None, ge=1)
    debug_threshold_ms: StrictInt | None = None
    paginate: StrictBool | None = None

    def _max_initial_results(self) -> int | None:
        if self.max_initial_results is not None:
            return self.max_initial_results
        if self.async_options and self.async_options.max_initial_results is not None:
            return self.async_options.max_initial_results
        return None

    def effective_timeout_ms(self) -> int | None:
        if self.timeout_ms is not None:
            return self.timeout_ms
        if self.async_options and self.async_options.timeout_ms is not None:
            return self.async_options.timeout_ms
        return None


class QueryRequest(ExecutionOptions):
    sql: QueryRequestSql

    def initial_docs(self) -> int | None:
        """How many rows the first response carries, or ``None`` if the query is not paginated.

        Both generations of the API opt in here: the top-level ``max_initial_results`` (and its
        deprecated ``async_options`` twin), or ``sql.paginate`` with the deprecated
        ``sql.initial_paginate_response_doc_count`` (default 10,000 per seed 001).
        """
        explicit = self._max_initial_results()
        if explicit is not None:
            return explicit
        if self.sql.initial_paginate_response_doc_count is not None:
            return self.sql.initial_paginate_response_doc_count
        if self.sql.paginate or self.paginate:
            return DEFAULT_PAGE_DOCS
        return None


# ---------------------------------------------------------------------------------------------
# Responses


class _Open(BaseModel):
    # Responses may grow keys; readers keep what they know.
    model_config = ConfigDict(extra="allow")


class ColumnField(_Open):
    name: str
    type: str


class PaginationInfo(_Open):
    start_cursor: str | None = None
    next_cursor: str | None = None
    next_cursor_offset: int | None = None
    current_page_doc_count: int | None = None
    next_page_link: str | None = None


class ValidateQueryResponse(_Open):
    """``POST /queries/validations``: the query parses and may run. ``parameters`` are the
    ``:name`` parameters it uses; ``collections`` is always empty (folio has no collections)."""

    collections: list[str]
    parameters: list[str]


class QueryError(_Open):
    type: str | None = None
    message: str | None = None
    status_code: int | None = None
    line: int | None = None
    column: int | None = None


class ResponseStats(_Open):
    elapsed_time_ms: int | None = None
    throttled_time_micros: int | None = None


class QueryStats(_Open):
    elapsed_time_ms: int | None = None
    throttled_time_ms: int | None = None
    result_set_document_count: int | None = None
    result_set_bytes_size: int | None = None
    result_set_file_count: int | None = None


class QueryResponse(_Open):
    """Answer to ``POST /queries``."""

    query_id: str | None = None
    status: QueryStatus | None = None
    results: list[dict[str, Any]] | None = None
    results_total_doc_count: int | None = None
    column_fields: list[ColumnField] | None = None
    #: folio: each column's longest value as text over the whole result (0: not measured)
    column_widths: list[int] | None = None
    collections: list[str] | None = None
    stats: ResponseStats | None = None
    pagination: PaginationInfo | None = None
    query_errors: list[QueryError] | None = None
    warnings: list[str] | None = None
    #: ``"{workspace}.{lambda}::{version}"`` for a query lambda's execution (rockset-api.md §11)
    query_lambda_path: str | None = None


class PageResponse(_Open):
    """Answer to ``GET /queries/{id}/pages``. ``results_total_doc_count`` is absent while a query
    is still running (folio's progressive pages); ``status`` is a folio addition."""

    results: list[dict[str, Any]] = []
    results_total_doc_count: int | None = None
    pagination: PaginationInfo | None = None
    status: QueryStatus | None = None
    column_fields: list[ColumnField] | None = None
    #: folio: each column's longest value as text over the result so far (0: not measured)
    column_widths: list[int] | None = None


class QueryPaginationInfo(_Open):
    start_cursor: str | None = None


class QueryInfo(_Open):
    query_id: str | None = None
    status: QueryStatus | None = None
    sql: str | None = None
    executed_by: str | None = None
    submitted_at: str | None = None
    expires_at: str | None = None
    last_offset: str | None = None
    stats: QueryStats | None = None
    pagination: QueryPaginationInfo | None = None
    query_errors: list[QueryError] | None = None
    #: folio extension: the lambda version this query executes, if it is a lambda execution
    query_lambda_path: str | None = None
    #: folio extension: the query whose stored result this one was computed from
    derived_from: str | None = None
    #: folio, on ``DELETE`` only: the stored result was removed (``status`` stays the state it
    #: ended in, one of Rockset's values), with ``message`` saying so
    dropped: bool | None = None
    message: str | None = None


class QueryInfoResponse(_Open):
    data: QueryInfo | None = None


class QueryListPagination(_Open):
    #: the next page of the list (``GET /queries?cursor=``); absent on the last page
    next_cursor: str | None = None


class QueryListResponse(_Open):
    data: list[QueryInfo] | None = None
    #: folio's extension: present only when the list continues on another page
    pagination: QueryListPagination | None = None


class FindData(_Open):
    """folio extension: the answer of ``GET /queries/{id}/find``."""

    match: int | None = None
    column: str | None = None
    scanned_to: int
    done: bool


class FindResponse(_Open):
    data: FindData


class ErrorModel(_Open):
    message: str
    type: str
    line: int | None = None
    column: int | None = None
    trace_id: str | None = None
    error_id: str | None = None
    query_id: str | None = None


# ---------------------------------------------------------------------------------------------
# Timestamps


def format_ts(moment: datetime) -> str:
    """Rockset's timestamp format: UTC, second precision, ``Z`` suffix."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_ts(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))
