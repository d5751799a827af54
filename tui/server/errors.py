"""Errors as the Rockset ErrorModel: ``{message, type, line, column, trace_id, error_id, query_id}``.

Handlers here turn every failure, including FastAPI's own validation errors and anything
unexpected, into that shape, so no client ever sees a traceback or an HTML error page.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from tui.store.backends import BackendUnavailable
from tui.wire import ErrorType

log = logging.getLogger("folio.server")


class ApiError(Exception):
    def __init__(
        self,
        status: int,
        type_: ErrorType | str,
        message: str,
        *,
        line: int | None = None,
        column: int | None = None,
        query_id: str | None = None,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ):
        super().__init__(message)
        self.status = status
        self.type = type_.value if isinstance(type_, ErrorType) else type_
        self.message = message
        self.line = line
        self.column = column
        self.query_id = query_id
        self.headers = headers or {}
        self.extra = extra


def error_body(type_: str, message: str, *, line=None, column=None, query_id=None, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "message": message,
        "type": type_,
        "line": line,
        "column": column,
        "trace_id": str(uuid.uuid4()),
        "error_id": "",
        "query_id": query_id,
    }
    body.update(extra)
    return body


def error_response(exc: ApiError) -> Response:
    body = error_body(exc.type, exc.message, line=exc.line, column=exc.column, query_id=exc.query_id, **exc.extra)
    headers = {"Cache-Control": "no-store", **exc.headers}
    return Response(orjson.dumps(body), status_code=exc.status, media_type="application/json", headers=headers)


def not_found(what: str = "query", query_id: str | None = None) -> ApiError:
    return ApiError(404, ErrorType.NOTFOUND, f"{what} not found", query_id=query_id)


def invalid(message: str, **kwargs: Any) -> ApiError:
    return ApiError(400, ErrorType.INVALIDINPUT, message, **kwargs)


_FRIENDLY = {
    "model_attributes_type": "must be a JSON object",
    "dict_type": "must be a JSON object",
    "missing": "is required",
}
EXAMPLE = 'send a JSON object such as {"sql": {"query": "SELECT 1"}}'


def _validation_message(exc: RequestValidationError) -> str:
    parts = []
    for error in exc.errors()[:3]:
        kind = error.get("type", "")
        loc = [str(p) for p in error.get("loc", ())]
        source = loc.pop(0) if loc and loc[0] in ("body", "query", "path", "header") else ""
        if kind == "json_invalid":
            return f"the request body is not valid JSON; {EXAMPLE}"
        if source == "body" and not loc:
            missing = kind == "missing"
            return f"the request body is {'empty' if missing else 'not a JSON object'}; {EXAMPLE}"
        where = ".".join(loc)
        msg = _FRIENDLY.get(kind) or error.get("msg", "invalid value")
        parts.append(f"{where}: {msg}" if where else msg)
    return "; ".join(parts) or "invalid request"


STATUS_TYPES = {
    400: ErrorType.BADREQUEST,
    401: ErrorType.AUTHEXCEPTION,
    403: ErrorType.FORBIDDEN,
    404: ErrorType.NOTFOUND,
    405: ErrorType.METHODNOTALLOWED,
    413: ErrorType.CONTENTTOOLARGE,
    415: ErrorType.BADREQUEST,
    429: ErrorType.RATELIMITEXCEEDED,
    503: ErrorType.SERVICEUNAVAILABLE,
}


def install(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> Response:
        return error_response(exc)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        return error_response(ApiError(400, ErrorType.INVALIDINPUT, _validation_message(exc)))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        type_ = STATUS_TYPES.get(exc.status_code, ErrorType.BADREQUEST)
        message = exc.detail if isinstance(exc.detail, str) else "request failed"
        if exc.status_code == 404:
            message = f"no such endpoint: {request.method} {request.url.path}"
        elif exc.status_code == 405:
            message = f"method {request.method} is not allowed on {request.url.path}"
        return error_response(ApiError(exc.status_code, type_, message, headers=dict(exc.headers or {})))

    @app.exception_handler(BackendUnavailable)
    async def _unavailable(request: Request, exc: BackendUnavailable) -> Response:
        # a cluster replica that cannot reach the registry or the object store: the request
        # may well succeed on another replica, or on this one shortly
        log.warning("serving %s %s: %s", request.method, request.url.path, exc)
        return error_response(
            ApiError(503, ErrorType.SERVICEUNAVAILABLE, f"{exc}; try again shortly", headers={"Retry-After": "1"})
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unexpected error serving %s %s", request.method, request.url.path)
        return error_response(ApiError(500, ErrorType.INTERNALERROR, "internal error; see the service log"))
