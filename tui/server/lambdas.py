"""HTTP routes of Rockset query lambdas (rockset-api.md §11): saved, versioned, parameterised SQL.

Storage is :class:`tui.store.lambdas.LambdaStore` (the registry file, per org, never expires).
An execution is an ordinary query, run through the same path as ``POST /queries``
(:func:`tui.server.routes.execute`): its id pages through ``/queries/{id}/pages``, is listed by
``GET /queries`` with ``query_lambda_path``, expires and can be cancelled like any other.

Bodies follow §11 exactly where the official clients are strict (``version`` a string,
``state`` ``ACTIVE``, default parameter values strings, lists wrapped in ``{"data": [...]}``);
one folio extension, ``parameters`` on a version (the ``:name``s its SQL uses), saves a
client from parsing SQL.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Body, Query, Request
from starlette.responses import Response

from tui.engines import params as sqlparams
from tui.engines.base import ParameterError, SqlError
from tui.server.auth import Principal
from tui.server.errors import ApiError, invalid
from tui.server.routes import _ERRORS, PrincipalDep, ServiceDep, _json, execute, query_timeout_s
from tui.server.service import Service
from tui.store.lambdas import (
    InvalidLambda,
    LambdaError,
    LambdaExists,
    LambdaNotFound,
    LambdaVersion,
    Parameter,
    QueryLambda,
)
from tui.wire import API_PREFIX, MAX_INITIAL_RESULTS, ErrorType, QueryParameter, QueryResponse, format_ts
from tui.wire_lambdas import (
    CreateQueryLambdaRequest,
    CreateQueryLambdaTagRequest,
    ExecuteQueryLambdaRequest,
    ListQueryLambdasResponse,
    ListQueryLambdaTagsResponse,
    ListQueryLambdaVersionsResponse,
    QueryLambdaResponse,
    QueryLambdaSql,
    QueryLambdaTagResponse,
    QueryLambdaVersionResponse,
    UpdateQueryLambdaRequest,
)

router = APIRouter(prefix=API_PREFIX, responses={**_ERRORS, 409: _ERRORS[400]}, tags=["query lambdas"])

_T = TypeVar("_T")
_LAMBDA = "/ws/{workspace}/lambdas/{name}"


async def _store(service: Service, call: Callable[..., _T], *args: Any, **kwargs: Any) -> _T:
    """Run a lambda-store call off the event loop (writes wait for an fsync) and turn its
    refusals into the error model."""
    try:
        return await asyncio.to_thread(call, *args, **kwargs)
    except LambdaNotFound as exc:
        raise ApiError(404, ErrorType.NOTFOUND, str(exc)) from None
    except LambdaExists as exc:
        raise ApiError(409, ErrorType.ALREADYEXISTS, str(exc)) from None
    except (InvalidLambda, LambdaError) as exc:
        raise invalid(str(exc)) from None


# -- bodies -----------------------------------------------------------------------------------


def version_json(version: LambdaVersion) -> dict[str, Any]:
    _, names = sqlparams.rewrite(version.sql, "colon")
    return {
        "workspace": version.workspace,
        "name": version.name,
        "version": version.version,
        "description": version.description,
        "created_at": format_ts(version.created_at),
        "created_by": version.created_by,
        "created_by_apikey_name": None,
        "public_access_id": None,
        "state": "ACTIVE",
        "collections": [],
        "sql": {"query": version.sql, "default_parameters": [p.to_json() for p in version.default_parameters]},
        "stats": {
            "last_executed": format_ts(version.last_executed) if version.last_executed else None,
            "last_executed_by": version.last_executed_by,
            "last_execution_error": None,
            "last_execution_error_message": None,
        },
        # folio extension: the :names the SQL uses, in order of first use
        "parameters": list(dict.fromkeys(names)),
    }


def lambda_json(found: QueryLambda) -> dict[str, Any]:
    latest = found.latest
    return {
        "workspace": found.workspace,
        "name": found.name,
        "version_count": found.version_count,
        "last_updated": format_ts(latest.created_at),
        "last_updated_by": latest.created_by,
        "collections": [],
        "latest_version": version_json(latest),
    }


def tag_json(tag: str, version: LambdaVersion) -> dict[str, Any]:
    return {"tag_name": tag, "version": version_json(version)}


# -- checking what is saved -------------------------------------------------------------------


def _parameter_text(parameter: QueryParameter) -> str:
    """Default values are stored and served as strings (the official clients reject others);
    they are checked against their type now, not at the first execution."""
    value = parameter.value
    if value is None:
        raise invalid(f"default parameter {parameter.name!r} has no value; give it one (a string)")
    text = ("true" if value else "false") if isinstance(value, bool) else str(value)
    try:
        sqlparams.coerce(parameter.type, text)
    except ParameterError as exc:
        raise invalid(f"default parameter {parameter.name!r}: {exc.message}") from None
    return text


def _checked_sql(service: Service, sql: QueryLambdaSql) -> tuple[str, list[Parameter]]:
    if len(sql.query.encode()) > service.settings.max_sql_bytes:
        raise ApiError(
            413, ErrorType.CONTENTTOOLARGE, f"sql.query is longer than {service.settings.max_sql_bytes:,} bytes"
        )
    try:
        service.engine.check_syntax(sql.query)
    except SqlError as exc:
        raise invalid(
            f"the query lambda's SQL does not parse: {exc.message}", line=exc.line, column=exc.column
        ) from None
    parameters = [Parameter(p.name, p.type, _parameter_text(p)) for p in sql.default_parameters or []]
    return sql.query, parameters


# -- lambdas and versions ---------------------------------------------------------------------


@router.get("/lambdas", response_model=ListQueryLambdasResponse, summary="List all query lambdas")
async def list_all(service: ServiceDep, principal: PrincipalDep) -> Response:
    found = await _store(service, service.lambdas.list, principal.org)
    return _json({"data": [lambda_json(q) for q in found]})


@router.get("/ws/{workspace}/lambdas", response_model=ListQueryLambdasResponse, summary="List query lambdas")
async def list_in_workspace(workspace: str, service: ServiceDep, principal: PrincipalDep) -> Response:
    if not await _store(service, service.lambdas.workspace_exists, principal.org, workspace):
        raise ApiError(
            404,
            ErrorType.NOTFOUND,
            f"workspace {workspace!r} not found (a workspace is created by creating a query lambda in it)",
        )
    found = await _store(service, service.lambdas.list, principal.org, workspace)
    return _json({"data": [lambda_json(q) for q in found]})


@router.post("/ws/{workspace}/lambdas", response_model=QueryLambdaVersionResponse, summary="Create a query lambda")
async def create(
    workspace: str, body: CreateQueryLambdaRequest, service: ServiceDep, principal: PrincipalDep
) -> Response:
    sql, parameters = _checked_sql(service, body.sql)
    version = await _store(
        service,
        service.lambdas.create,
        principal.org,
        workspace,
        body.name,
        sql=sql,
        parameters=parameters,
        description=body.description,
        is_public=bool(body.is_public),
        user=principal.user,
    )
    return _json({"data": version_json(version)})


@router.post(
    _LAMBDA + "/versions", response_model=QueryLambdaVersionResponse, summary="Update a query lambda (new version)"
)
async def update(
    workspace: str,
    name: str,
    body: UpdateQueryLambdaRequest,
    service: ServiceDep,
    principal: PrincipalDep,
    create: Annotated[str | None, Query(description="create the lambda if it does not exist (true/false)")] = None,
) -> Response:
    flag = (create or "false").strip().lower()
    if flag not in ("true", "false", "1", "0"):
        raise invalid(f"create must be true or false, got {create!r}")
    sql, parameters = _checked_sql(service, body.sql) if body.sql is not None else (None, None)
    version = await _store(
        service,
        service.lambdas.update,
        principal.org,
        workspace,
        name,
        sql=sql,
        parameters=parameters,
        description=body.description,
        is_public=bool(body.is_public),
        user=principal.user,
        create=flag in ("true", "1"),
    )
    return _json({"data": version_json(version)})


@router.get(_LAMBDA + "/versions", response_model=ListQueryLambdaVersionsResponse, summary="List versions")
async def list_versions(workspace: str, name: str, service: ServiceDep, principal: PrincipalDep) -> Response:
    versions = await _store(service, service.lambdas.versions, principal.org, workspace, name)
    if not versions:
        await _store(service, service.lambdas.get, principal.org, workspace, name)  # 404
    return _json({"data": [version_json(v) for v in versions]})


@router.get(_LAMBDA + "/versions/{version}", response_model=QueryLambdaVersionResponse, summary="Get a version")
async def get_version(
    workspace: str, name: str, version: str, service: ServiceDep, principal: PrincipalDep
) -> Response:
    found = await _store(service, service.lambdas.version, principal.org, workspace, name, version)
    return _json({"data": version_json(found)})


@router.delete(_LAMBDA + "/version/{version}", response_model=QueryLambdaVersionResponse, summary="Delete a version")
async def delete_version(
    workspace: str, name: str, version: str, service: ServiceDep, principal: PrincipalDep
) -> Response:
    found = await _store(service, service.lambdas.delete_version, principal.org, workspace, name, version)
    return _json({"data": version_json(found)})


@router.delete(_LAMBDA, response_model=QueryLambdaResponse, summary="Delete a query lambda")
async def delete(workspace: str, name: str, service: ServiceDep, principal: PrincipalDep) -> Response:
    found = await _store(service, service.lambdas.delete, principal.org, workspace, name)
    return _json({"data": lambda_json(found)})


# -- tags -------------------------------------------------------------------------------------


@router.post(_LAMBDA + "/tags", response_model=QueryLambdaTagResponse, summary="Create or move a tag")
async def create_tag(
    workspace: str, name: str, body: CreateQueryLambdaTagRequest, service: ServiceDep, principal: PrincipalDep
) -> Response:
    version = await _store(
        service, service.lambdas.set_tag, principal.org, workspace, name, body.tag_name, body.version
    )
    return _json({"data": tag_json(body.tag_name, version)})


@router.get(_LAMBDA + "/tags", response_model=ListQueryLambdaTagsResponse, summary="List tags")
async def list_tags(workspace: str, name: str, service: ServiceDep, principal: PrincipalDep) -> Response:
    tags = await _store(service, service.lambdas.tags, principal.org, workspace, name)
    return _json({"data": [tag_json(tag, version) for tag, version in tags]})


@router.get(_LAMBDA + "/tags/{tag}", response_model=QueryLambdaTagResponse, summary="Get a tag's version")
async def get_tag(workspace: str, name: str, tag: str, service: ServiceDep, principal: PrincipalDep) -> Response:
    version = await _store(service, service.lambdas.resolve_tag, principal.org, workspace, name, tag)
    return _json({"data": tag_json(tag, version)})


@router.delete(_LAMBDA + "/tags/{tag}", response_model=QueryLambdaTagResponse, summary="Delete a tag")
async def delete_tag(workspace: str, name: str, tag: str, service: ServiceDep, principal: PrincipalDep) -> Response:
    version = await _store(service, service.lambdas.delete_tag, principal.org, workspace, name, tag)
    return _json({"data": tag_json(tag, version)})


# -- executing --------------------------------------------------------------------------------

ExecuteBody = Annotated[ExecuteQueryLambdaRequest | None, Body()]


@router.post(
    _LAMBDA + "/versions/{version}", response_model=QueryResponse, summary="Execute a version of a query lambda"
)
async def execute_version(
    request: Request,
    workspace: str,
    name: str,
    version: str,
    service: ServiceDep,
    principal: PrincipalDep,
    body: ExecuteBody = None,
) -> Response:
    found = await _store(service, service.lambdas.version, principal.org, workspace, name, version)
    return await _execute(request, service, principal, found, body or ExecuteQueryLambdaRequest())


@router.post(_LAMBDA + "/tags/{tag}", response_model=QueryResponse, summary="Execute the version a tag names")
async def execute_tag(
    request: Request,
    workspace: str,
    name: str,
    tag: str,
    service: ServiceDep,
    principal: PrincipalDep,
    body: ExecuteBody = None,
) -> Response:
    found = await _store(service, service.lambdas.resolve_tag, principal.org, workspace, name, tag)
    return await _execute(request, service, principal, found, body or ExecuteQueryLambdaRequest())


def bound_values(version: LambdaVersion, given: list[QueryParameter]) -> dict[str, Any]:
    """The caller's parameters over the version's defaults, by name: the caller's value, and
    its type if it sent one, else the default's. A ``:name`` with neither is a clear 400."""
    merged = {p.name: (p.type, p.value) for p in version.default_parameters}
    for p in given:
        type_ = p.type if "type" in p.model_fields_set or p.name not in merged else merged[p.name][0]
        merged[p.name] = (type_, p.value)
    _, names = sqlparams.rewrite(version.sql, "colon")
    missing = [name for name in dict.fromkeys(names) if name not in merged]
    if missing:
        listed = ", ".join(f":{name}" for name in missing)
        raise invalid(
            f"query lambda {version.path} uses {listed} but it has no default and no value was given: "
            "send it in parameters"
        )
    try:
        return sqlparams.coerce_all((name, type_, value) for name, (type_, value) in merged.items())
    except ParameterError as exc:
        raise invalid(exc.message) from None


async def _execute(
    request: Request, service: Service, principal: Principal, version: LambdaVersion, body: ExecuteQueryLambdaRequest
) -> Response:
    initial = body.initial_docs()
    if initial is not None and not 0 <= initial <= MAX_INITIAL_RESULTS:
        raise invalid(f"max_initial_results must be between 0 and {MAX_INITIAL_RESULTS:,}, got {initial}")
    values = bound_values(version, body.parameters or [])
    is_async = bool(body.async_)
    await _store(service, service.lambdas.record_execution, principal.org, version, principal.user)
    return await execute(
        request,
        service,
        principal,
        version.sql,
        values,
        initial=initial,
        is_async=is_async,
        client_timeout_ms=body.async_options.client_timeout_ms if body.async_options else None,
        timeout_s=query_timeout_s(service.settings, is_async, body.effective_timeout_ms()),
        query_lambda_path=version.path,
    )
