"""Exploring a stored result without running its query again (folio extensions).

* ``GET …/queries/{id}/find``: the next or previous row whose rendered text matches;
* ``POST …/queries/{id}/profile``: per-column statistics, as a derived query;
* ``POST …/queries/{id}/frequency``: a frequency table of one column, as a derived query.

Profile and frequency answer like an async ``POST /queries``: the derived query is stored,
paged, listed and cancelled like any other, and records its parent in ``derived_from``.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Query, Request
from pydantic import BaseModel, ConfigDict
from starlette.responses import Response

from tui.server import routes
from tui.server.errors import ApiError, invalid
from tui.server.find import Finder, FindError, FindRequest
from tui.server.profile import frequency_sql, profile_sql
from tui.server.routes import PrincipalDep, ServiceDep
from tui.server.service import Service, _unfinished_error
from tui.wire import API_PREFIX, DEFAULT_PAGE_DOCS, MAX_OFFSET, ErrorType, FindResponse, QueryResponse, QueryStatus

router = APIRouter(prefix=API_PREFIX, responses=routes._ERRORS)


class FrequencyRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    column: str


@router.get("/queries/{query_id}/find", response_model=FindResponse, summary="Find a row by its text (folio)")
async def find(
    query_id: str,
    service: ServiceDep,
    principal: PrincipalDep,
    text: Annotated[str, Query(min_length=1, max_length=10_000, description="text (or regex) to find")],
    column: Annotated[str | None, Query(max_length=10_000, description="search only this column")] = None,
    start: Annotated[int | None, Query(alias="from", ge=0, le=MAX_OFFSET, description="row to start at")] = None,
    direction: Literal["next", "prev"] = "next",
    regex: bool = False,
    case: bool = False,
) -> Response:
    record, live = service.lookup(principal, query_id)
    if live is not None and live.index is not None:
        index = live.index  # best effort: the rows a running query has stored so far
    elif record.status is QueryStatus.COMPLETED:
        index = service.store.index(record)
        if index is None:
            raise ApiError(410, ErrorType.NOTFOUND, "the result of this query is no longer stored", query_id=query_id)
    elif live is not None:
        index = None
    else:
        raise _unfinished_error(record)
    if index is None:  # queued, or running without a row yet
        return routes._json({"data": {"match": None, "column": None, "scanned_to": start or 0, "done": False}})
    request = FindRequest(text, column, start, direction == "prev", regex, case)
    try:
        finder = Finder(service.store.path(record), index, request, budget_rows=service.settings.find_scan_rows)
        answer = await asyncio.to_thread(finder.run)
    except FindError as exc:
        raise invalid(str(exc), query_id=query_id) from None
    except FileNotFoundError:  # dropped or expired during the scan
        raise ApiError(
            410, ErrorType.NOTFOUND, "the result of this query is no longer stored", query_id=query_id
        ) from None
    body = {"match": answer.match, "column": answer.column, "scanned_to": answer.scanned_to, "done": answer.done}
    return routes._json({"data": body})


@router.post("/queries/{query_id}/profile", response_model=QueryResponse, summary="Profile a result (folio)")
async def profile(
    request: Request,
    query_id: str,
    service: ServiceDep,
    principal: PrincipalDep,
    body: Annotated[dict[str, Any] | None, Body()] = None,
) -> Response:
    stored = service.stored_result(principal, query_id)
    return await _derived(request, service, principal, profile_sql(query_id, stored.index.schema), query_id)


@router.post("/queries/{query_id}/frequency", response_model=QueryResponse, summary="Frequency table (folio)")
async def frequency(
    request: Request, query_id: str, body: FrequencyRequest, service: ServiceDep, principal: PrincipalDep
) -> Response:
    stored = service.stored_result(principal, query_id)
    schema = stored.index.schema
    if body.column not in schema.names:
        raise invalid(f"no column named {body.column!r} in this result", query_id=query_id)
    sql = frequency_sql(query_id, schema.field(schema.names.index(body.column)))
    return await _derived(request, service, principal, sql, query_id)


async def _derived(request: Request, service: Service, principal, sql: str, parent: str) -> Response:
    """Run ``sql`` as an async query derived from ``parent``; answer as ``POST /queries`` does."""
    settings = service.settings
    live = await service.submit(
        principal, sql, {}, timeout_s=settings.async_timeout_s, unpaginated=False, derived_from=parent
    )
    if not service.runner.is_queued(live):
        await routes._wait(live.started, settings.start_wait_s)
    record = live.record
    if not live.finished.is_set():
        if record.status in (QueryStatus.ERROR, QueryStatus.CANCELLED):
            raise routes._query_failed(record)
        return routes._json(
            {
                "query_id": record.query_id,
                "status": record.status.value,
                "derived_from": parent,
                "stats": {"elapsed_time_ms": routes._elapsed_ms(live), "throttled_time_micros": 0},
            }
        )
    record = service.store.registry.get(record.query_id) or record
    if record.status is not QueryStatus.COMPLETED:
        raise routes._query_failed(record)
    initial = DEFAULT_PAGE_DOCS if (record.row_count or 0) > DEFAULT_PAGE_DOCS else None
    return await routes._completed(request, service, record, initial)
