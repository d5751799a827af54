"""HTTP routes of the Rockset query API (both pagination generations), on top of Service.

Bodies are built as plain dicts and encoded with orjson: a page's rows go from Arrow to JSON
bytes without a pydantic round trip. The pydantic models in ``tui.wire`` still describe every
response in the OpenAPI document.
"""

from __future__ import annotations

import asyncio
import time
from typing import Annotated, Any
from urllib.parse import quote, urlencode

import pyarrow as pa
from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import Response

from tui.engines import params as sqlparams
from tui.engines.base import ParameterError
from tui.server.auth import Principal, key_digest
from tui.server.errors import ApiError, invalid
from tui.server.runner import LiveQuery
from tui.server.service import LIST_LIMIT, MAX_LIST_LIMIT, PageSlice, Service
from tui.server.settings import ServiceSettings
from tui.server.throttle import AuthThrottle, retry_after
from tui.store.jsonrows import dumps
from tui.store.registry import QueryRecord
from tui.wire import (
    API_PREFIX,
    DEFAULT_PAGE_DOCS,
    MAX_INITIAL_RESULTS,
    MAX_OFFSET,
    MAX_PAGE_DOCS,
    ErrorModel,
    ErrorType,
    PageResponse,
    QueryInfoResponse,
    QueryListResponse,
    QueryRequest,
    QueryResponse,
    QueryStatus,
    ValidateQueryResponse,
    format_ts,
)

ARROW_STREAM = "application/vnd.apache.arrow.stream"
_ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorModel} for code in (400, 401, 404, 408, 410, 413, 429, 503)
}

#: Arrow pages larger than this are serialized on a thread, not on the event loop
_INLINE_ARROW_BYTES = 1024 * 1024

router = APIRouter(prefix=API_PREFIX, responses=_ERRORS)


async def get_service(request: Request) -> Service:
    return request.app.state.service


async def authenticate(request: Request) -> Principal:
    """The caller's principal; 401 without a valid key, 429 while its address is backing off
    after repeated failures (tui.server.throttle)."""
    throttle: AuthThrottle = request.app.state.auth_throttle
    address = request.client.host if request.client else ""
    hex_digest = key_digest(request.headers.get("authorization"))
    wait_s = throttle.wait_s(address, hex_digest)
    if wait_s > 0:
        raise ApiError(
            429,
            ErrorType.RATELIMITEXCEEDED,
            f"too many failed API key attempts from {address}; try again in {retry_after(wait_s)} s",
            headers={"Retry-After": retry_after(wait_s)},
        )
    principal = request.app.state.keyring.principal(hex_digest)
    if principal is None:
        throttle.failed(address)
        raise ApiError(
            401,
            ErrorType.AUTHEXCEPTION,
            "missing or invalid API key: send 'Authorization: ApiKey <key>'",
            headers={"WWW-Authenticate": "ApiKey"},
        )
    assert hex_digest is not None
    throttle.succeeded(address, hex_digest)
    return principal


ServiceDep = Annotated[Service, Depends(get_service)]
PrincipalDep = Annotated[Principal, Depends(authenticate)]


def _json(body: dict[str, Any], status: int = 200) -> Response:
    return Response(
        dumps(body), status_code=status, media_type="application/json", headers={"Cache-Control": "no-store"}
    )


def _json_with_rows(rows_json: bytes, body: dict[str, Any]) -> Response:
    """``body`` plus a ``results`` key whose JSON is already encoded."""
    rest = dumps(body)
    payload = b'{"results":' + rows_json + (b"," + rest[1:] if len(rest) > 2 else b"}")
    return Response(payload, media_type="application/json", headers={"Cache-Control": "no-store"})


def _page_link(request: Request, query_id: str, cursor: str | None, docs: int) -> str | None:
    if cursor is None:
        return None
    base = str(request.base_url).rstrip("/")
    return f"{base}{API_PREFIX}/queries/{quote(query_id, safe='')}/pages?{urlencode({'cursor': cursor, 'docs': docs})}"


def _pagination(request: Request, service: Service, record: QueryRecord, page: PageSlice, docs: int) -> dict[str, Any]:
    count = page.count
    end = page.position + count
    more = end < page.total if page.total is not None else True
    next_cursor = service.cursor(record, end) if more else None
    return {
        "start_cursor": service.cursor(record, page.position) if count else None,
        "next_cursor": next_cursor,
        "next_cursor_offset": end,
        "current_page_doc_count": count,
        "next_page_link": _page_link(request, record.query_id, next_cursor, docs),
    }


def _stats(record: QueryRecord, live: LiveQuery | None) -> dict[str, Any]:
    rows = live.rows_stored if live is not None else record.row_count
    nbytes = live.index.nbytes if live is not None and live.index is not None else record.byte_size
    files = len(live.index.chunks) if live is not None and live.index is not None else record.file_count
    return {
        "elapsed_time_ms": record.elapsed_ms if live is None else _elapsed_ms(live),
        "throttled_time_ms": 0,
        "result_set_document_count": rows,
        "result_set_bytes_size": nbytes,
        "result_set_file_count": files,
    }


def _elapsed_ms(live: LiveQuery) -> int:
    return int((time.monotonic() - live.monotonic_start) * 1000)


def query_info(service: Service, record: QueryRecord, live: LiveQuery | None) -> dict[str, Any]:
    status = live.record.status if live is not None else record.status
    errors = (
        [
            {
                k: v
                for k, v in {**record.error, "status_code": _status_code(record.error.get("type"))}.items()
                if v is not None
            }
        ]
        if record.error
        else []
    )
    return {
        "query_id": record.query_id,
        "status": status.value,
        "sql": record.sql,
        "executed_by": record.executed_by,
        "submitted_at": format_ts(record.submitted_at),
        "expires_at": format_ts(record.expires_at) if record.expires_at else None,
        "last_offset": None,
        "stats": _stats(record, live),
        "pagination": {"start_cursor": service.cursor(record, 0)} if status is QueryStatus.COMPLETED else None,
        "query_errors": errors,
        "query_lambda_path": record.query_lambda_path,
        "derived_from": record.derived_from,
    }


def _status_code(type_: str | None) -> int:
    return {"QUERY_TIMEOUT": 408, "RATELIMITEXCEEDED": 429, "INTERNALERROR": 500, "SERVICEUNAVAILABLE": 503}.get(
        type_ or "", 400
    )


def _query_failed(record: QueryRecord) -> ApiError:
    error = record.error or {}
    type_ = error.get("type") or ErrorType.QUERY_ERROR.value
    return ApiError(
        _status_code(type_),
        type_,
        error.get("message") or "query failed",
        line=error.get("line"),
        column=error.get("column"),
        query_id=record.query_id,
    )


# ---------------------------------------------------------------------------------------------


@router.post("/queries", response_model=QueryResponse, summary="Run a query")
async def run_query(request: Request, body: QueryRequest, service: ServiceDep, principal: PrincipalDep) -> Response:
    settings = service.settings
    if len(body.sql.query.encode()) > settings.max_sql_bytes:
        raise ApiError(413, ErrorType.CONTENTTOOLARGE, f"sql.query is longer than {settings.max_sql_bytes:,} bytes")
    initial = body.initial_docs()
    if initial is not None and not 0 <= initial <= MAX_INITIAL_RESULTS:
        raise invalid(f"max_initial_results must be between 0 and {MAX_INITIAL_RESULTS:,}, got {initial}")
    is_async = bool(body.async_)
    timeout_s = query_timeout_s(settings, is_async, body.effective_timeout_ms())
    try:
        values = sqlparams.coerce_all((p.name, p.type, p.value) for p in body.sql.parameters or [])
        sqlparams.bind(body.sql.query, values, service.param_style(body.sql.query))  # missing names → 400 now
    except ParameterError as exc:
        raise invalid(exc.message) from None
    await service.check_sql(body.sql.query)  # a statement that may not run is refused now, not queued

    return await execute(
        request,
        service,
        principal,
        body.sql.query,
        values,
        initial=initial,
        is_async=is_async,
        client_timeout_ms=body.async_options.client_timeout_ms if body.async_options else None,
        timeout_s=timeout_s,
    )


def query_timeout_s(settings: ServiceSettings, is_async: bool, timeout_ms: int | None) -> float:
    """The caller's timeout, capped by the service's limit for sync or async queries."""
    limit_s = settings.async_timeout_s if is_async else settings.sync_timeout_s
    return min(limit_s, timeout_ms / 1000) if timeout_ms is not None else limit_s


async def execute(
    request: Request,
    service: Service,
    principal: Principal,
    sql: str,
    values: dict[str, Any],
    *,
    initial: int | None,
    is_async: bool,
    client_timeout_ms: int | None,
    timeout_s: float,
    query_lambda_path: str | None = None,
) -> Response:
    """Run checked ``sql`` as a query and answer as ``POST /queries`` does (also for query
    lambda executions, which are ordinary queries that carry ``query_lambda_path``)."""
    settings = service.settings
    extra = {"query_lambda_path": query_lambda_path} if query_lambda_path else {}
    # Async queries paginate automatically (Rockset): only a sync query that did not ask for
    # pagination is held to the 100,000-row / 100 MiB limit of an all-in-one response.
    unpaginated = initial is None and not is_async
    live = await service.submit(
        principal, sql, values, timeout_s=timeout_s, unpaginated=unpaginated, query_lambda_path=query_lambda_path
    )
    record = live.record
    if is_async:
        client_timeout_s = (client_timeout_ms or 0) / 1000
        if not service.runner.is_queued(live):  # a statement that starts now is checked now
            await _wait(live.started, max(client_timeout_s, 0) or settings.start_wait_s)
        if client_timeout_s:
            await _wait(live.finished, client_timeout_s)
    else:
        await live.finished.wait()
    if not live.finished.is_set():
        if record.status in (QueryStatus.ERROR, QueryStatus.CANCELLED):
            raise _query_failed(record)
        return _json(
            {
                "query_id": record.query_id,
                "status": record.status.value,
                "stats": {"elapsed_time_ms": _elapsed_ms(live), "throttled_time_micros": 0},
                **extra,
            }
        )
    record = service.store.registry.get(record.query_id) or record
    if record.status is not QueryStatus.COMPLETED:
        raise _query_failed(record)
    if initial is None and is_async and (record.row_count or 0) > DEFAULT_PAGE_DOCS:
        initial = DEFAULT_PAGE_DOCS  # an async query that finished in time but is large: paginate it
    return await _completed(request, service, record, initial, extra)


async def _completed(
    request: Request, service: Service, record: QueryRecord, initial: int | None, extra: dict[str, Any]
) -> Response:
    """The full answer to a query that completed: all its rows, or the first ``initial`` and a
    cursor to the rest."""
    total = record.row_count or 0
    # all rows in one answer (no cursor to continue from), or a first page bounded like any page
    page = await service.page(record, None, 0, total if initial is None else initial, bounded=initial is not None)
    body: dict[str, Any] = {
        "query_id": record.query_id,
        "status": record.status.value,
        "collections": [],
        "column_fields": page.columns,
        "results_total_doc_count": total,
        "stats": {"elapsed_time_ms": record.elapsed_ms or 0, "throttled_time_micros": 0},
        **extra,
    }
    _add_column_widths(body, service, record)
    if initial is not None:
        body["pagination"] = _pagination(request, service, record, page, max(initial, 1))
        if not page.count:
            body["pagination"]["start_cursor"] = service.cursor(record, 0) if total else None
    return _json_with_rows(page.documents_json(), body)


async def _wait(event: asyncio.Event, timeout: float) -> None:
    try:
        await asyncio.wait_for(event.wait(), timeout)
    except TimeoutError:
        pass


@router.post(
    "/queries/validations", response_model=ValidateQueryResponse, summary="Validate a query without running it"
)
async def validate_query(body: QueryRequest, service: ServiceDep, principal: PrincipalDep) -> Response:
    """Rockset's validate: the SQL is parsed by the engine's parser and its statement kind
    checked, exactly as a query would be, but nothing runs. Parameter values are not needed."""
    if len(body.sql.query.encode()) > service.settings.max_sql_bytes:
        raise ApiError(
            413, ErrorType.CONTENTTOOLARGE, f"sql.query is longer than {service.settings.max_sql_bytes:,} bytes"
        )
    names = await service.check_sql(body.sql.query, validate=True)
    return _json({"collections": [], "parameters": names})


@router.get("/queries", response_model=QueryListResponse, summary="List the queries of your org")
async def list_queries(
    service: ServiceDep,
    principal: PrincipalDep,
    cursor: Annotated[
        str | None, Query(max_length=128, description="the next page: `pagination.next_cursor` of the previous")
    ] = None,
    limit: Annotated[
        int, Query(ge=1, le=MAX_LIST_LIMIT, description=f"queries per page (default {LIST_LIMIT:,})")
    ] = LIST_LIMIT,
) -> Response:
    """Newest first. A long list comes in pages (folio's extension): a page that is not the
    last carries ``pagination.next_cursor``; a short list is one page, as in Rockset."""

    def listed() -> bytes:  # on a thread: a page may hold megabytes of SQL
        page, next_cursor = service.list(principal, cursor=cursor, limit=limit)
        body: dict[str, Any] = {"data": [query_info(service, record, live) for record, live in page]}
        if next_cursor is not None:
            body["pagination"] = {"next_cursor": next_cursor}
        return dumps(body)

    return Response(
        await asyncio.to_thread(listed), media_type="application/json", headers={"Cache-Control": "no-store"}
    )


@router.get("/queries/{query_id}", response_model=QueryInfoResponse, summary="Get a query's state")
async def get_query(query_id: str, service: ServiceDep, principal: PrincipalDep) -> Response:
    record, live = service.lookup(principal, query_id)
    return _json({"data": query_info(service, record, live)})


@router.delete("/queries/{query_id}", response_model=QueryInfoResponse, summary="Cancel a query or drop its result")
async def cancel_query(query_id: str, service: ServiceDep, principal: PrincipalDep) -> Response:
    record, live = service.lookup(principal, query_id)
    info = query_info(service, record, live)
    was_running = live is not None
    record = await service.cancel_or_drop(record, live)
    info["status"] = record.status.value
    if record.status is QueryStatus.CANCELLED:
        info["expires_at"] = None
        info["pagination"] = None
    # A finished query's result is removed. Its status stays the (valid) state it ended in, so
    # Rockset's clients still read the answer; ``dropped`` and ``message`` say it is gone.
    cancelled = was_running and record.status is QueryStatus.CANCELLED
    dropped = record.status.is_final and not cancelled
    info["dropped"] = dropped
    if dropped:
        info["expires_at"] = None
        info["pagination"] = None
        info["message"] = "the result was dropped: its pages are gone and the query id is no longer known"
    elif cancelled:
        info["message"] = "the query was cancelled"
    return _json({"data": info})


Docs = Annotated[int, Query(ge=1, le=MAX_PAGE_DOCS, description="rows per page (default 10,000)")]
Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET, description="rows to skip after the cursor")]


@router.get("/queries/{query_id}/pages", response_model=PageResponse, summary="Get a page of results")
async def get_page(
    request: Request,
    query_id: str,
    service: ServiceDep,
    principal: PrincipalDep,
    cursor: Annotated[str | None, Query(max_length=128)] = None,
    docs: Docs = DEFAULT_PAGE_DOCS,
    offset: Offset = 0,
) -> Response:
    return await _page(request, service, principal, query_id, cursor, docs, offset)


@router.get("/queries/{query_id}/pages/{cursor}", response_model=PageResponse, summary="Get a page (path form)")
async def get_page_at(
    request: Request,
    query_id: str,
    cursor: str,
    service: ServiceDep,
    principal: PrincipalDep,
    docs: Docs = DEFAULT_PAGE_DOCS,
    offset: Offset = 0,
) -> Response:
    return await _page(request, service, principal, query_id, cursor, docs, offset)


async def _page(
    request: Request, service: Service, principal: Principal, query_id: str, cursor: str | None, docs: int, offset: int
) -> Response:
    record, live = service.lookup(principal, query_id)
    start = service.decode_cursor(record, cursor) if cursor else 0
    arrow = ARROW_STREAM in request.headers.get("accept", "")
    page = await service.page(record, live, start + offset, docs, arrow=arrow)
    if arrow:
        if page.rows is not None and page.rows.nbytes > _INLINE_ARROW_BYTES:
            return await asyncio.to_thread(_arrow_page, page)
        return _arrow_page(page)
    return page_response(request, service, record, page, docs)


def page_response(request: Request, service: Service, record: QueryRecord, page: PageSlice, docs: int) -> Response:
    """The JSON answer to a page request (shared with :mod:`tui.server.fastpath`)."""
    body = {
        "results_total_doc_count": page.total,
        "pagination": _pagination(request, service, record, page, docs),
        "status": page.status.value,
        "column_fields": page.columns,
    }
    if page.total is None:
        del body["results_total_doc_count"]  # unknown while running: absent, not null
    _add_column_widths(body, service, record)
    return _json_with_rows(page.documents_json(), body)


def _add_column_widths(body: dict[str, Any], service: Service, record: QueryRecord) -> None:
    """folio's extension ``column_widths``: the longest value of each column as text over the
    whole result (so far, while it runs; 0 where not measured), so a client can size columns
    once (see tui.store.widths). Absent when not known."""
    live = service.runner.live(record.query_id)
    if live is not None and live.index is not None:
        index = live.index
    elif record.status is QueryStatus.COMPLETED:
        index = service.store.index(record)
    else:
        index = None
    if index is not None and index.widths:
        with index.lock:
            body["column_widths"] = list(index.widths)


def _arrow_page(page: PageSlice) -> Response:
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, page.rows.schema) as writer:
        writer.write_table(page.rows)
    end = page.position + page.count
    headers = {"Cache-Control": "no-store", "folio-status": page.status.value, "folio-offset": str(page.position)}
    if page.total is not None:
        headers["folio-total-doc-count"] = str(page.total)
    if page.total is None or end < page.total:
        headers["folio-next-offset"] = str(end)
    return Response(sink.getvalue().to_pybytes(), media_type=ARROW_STREAM, headers=headers)
