"""Query lambdas through :class:`~tui.client.QueryClient` (rockset-api.md §11).

``client.lambdas`` lists, saves, executes and deletes an org's saved queries. Executing one
answers a :class:`~tui.client.results.QueryResult` exactly as :meth:`QueryClient.run` does: the
execution is an ordinary stored query, paged with ``client.page`` / ``client.pages`` and
exported with :func:`tui.client.export.export_query`.
"""

from __future__ import annotations

import builtins
import time
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from tui.client.errors import ProtocolError, query_error_from_errors
from tui.client.params import to_query_parameters
from tui.client.results import QueryResult
from tui.wire import QueryResponse, QueryStatus
from tui.wire_lambdas import (
    DEFAULT_WORKSPACE,
    LATEST_TAG,
    ListQueryLambdasResponse,
    ListQueryLambdaVersionsResponse,
    QueryLambda,
    QueryLambdaResponse,
    QueryLambdaVersion,
    QueryLambdaVersionResponse,
)

if TYPE_CHECKING:
    from tui.client.query_client import QueryClient

#: as :data:`tui.client.query_client.SYNC_QUERY_LIMIT_S` (not imported: that module imports this one)
SYNC_QUERY_LIMIT_S = 120.0

__all__ = ["LambdaApi"]

Parameters = Mapping[str, Any] | Iterable[Mapping[str, Any]]


def _segment(value: str) -> str:
    if not value:
        raise ValueError("workspace, lambda, tag and version names must not be empty")
    return quote(value, safe="")


def _execution_parameters(parameters: Parameters) -> builtins.list[dict[str, Any]]:
    """A ``{name: value}`` mapping gets types from the values (as :meth:`QueryClient.run`);
    ``{name, value}`` items without a ``type`` are sent without one, so the server takes the
    type of the lambda's default for that name."""
    if isinstance(parameters, Mapping):
        return to_query_parameters(parameters) or []
    items = []
    for item in parameters:
        if not isinstance(item, Mapping) or "name" not in item:
            raise TypeError("parameters must be a mapping or a list of {name, value[, type]} mappings")
        items.append({key: item[key] for key in ("name", "type", "value") if key in item})
    return items


class LambdaApi:
    """The query-lambda calls of one :class:`QueryClient` (``client.lambdas``)."""

    def __init__(self, client: QueryClient):
        self._client = client

    def _path(self, workspace: str, name: str | None = None) -> str:
        path = f"/ws/{_segment(workspace)}/lambdas"
        return path if name is None else f"{path}/{_segment(name)}"

    async def list(self, workspace: str | None = None) -> builtins.list[QueryLambda]:
        """Every lambda of the org (or of ``workspace``), each with its newest version."""
        path = "/lambdas" if workspace is None else self._path(workspace)
        response = await self._client._send("GET", path, idempotent=True)
        return builtins.list(self._client._parse(response, ListQueryLambdasResponse).data or [])

    async def versions(self, name: str, *, workspace: str = DEFAULT_WORKSPACE) -> builtins.list[QueryLambdaVersion]:
        """Newest first."""
        response = await self._client._send("GET", self._path(workspace, name) + "/versions", idempotent=True)
        return builtins.list(self._client._parse(response, ListQueryLambdaVersionsResponse).data or [])

    async def save(
        self,
        name: str,
        sql: str,
        *,
        workspace: str = DEFAULT_WORKSPACE,
        default_parameters: Parameters | None = None,
        description: str | None = None,
    ) -> QueryLambdaVersion:
        """Save ``sql`` as lambda ``name``: its first version, or a new one if it exists
        (``POST …/versions?create=true``)."""
        sql_body: dict[str, Any] = {"query": sql}
        defaults = to_query_parameters(default_parameters)
        if defaults:
            sql_body["default_parameters"] = defaults
        body: dict[str, Any] = {"sql": sql_body}
        if description is not None:
            body["description"] = description
        response = await self._client._send(
            "POST",
            self._path(workspace, name) + "/versions",
            params={"create": "true"},
            json_body=body,
            idempotent=False,
        )
        return self._version(self._client._parse(response, QueryLambdaVersionResponse), name)

    async def delete(self, name: str, *, workspace: str = DEFAULT_WORKSPACE) -> QueryLambda:
        response = await self._client._send("DELETE", self._path(workspace, name), idempotent=False)
        data = self._client._parse(response, QueryLambdaResponse).data
        if data is None:
            raise ProtocolError(f"the server's answer about query lambda {name} has no data")
        return data

    async def execute(
        self,
        name: str,
        *,
        workspace: str = DEFAULT_WORKSPACE,
        tag: str | None = None,
        version: str | None = None,
        parameters: Parameters | None = None,
        initial_docs: int | None = None,
        async_: bool = False,
        client_timeout_ms: int | None = None,
    ) -> QueryResult:
        """Execute a version (``version``) or the one a tag names (``tag``, default ``latest``);
        ``parameters`` override the version's defaults by name. Same answers and errors as
        :meth:`QueryClient.run`."""
        if tag is not None and version is not None:
            raise ValueError("give a tag or a version, not both")
        target = f"/versions/{_segment(version)}" if version is not None else f"/tags/{_segment(tag or LATEST_TAG)}"
        body: dict[str, Any] = {}
        if parameters is not None:
            body["parameters"] = _execution_parameters(parameters)
        if initial_docs is not None:
            body["max_initial_results"] = initial_docs
        if async_:
            body["async"] = True
            if client_timeout_ms is not None:
                body["async_options"] = {"client_timeout_ms": client_timeout_ms}
        started = time.perf_counter()
        response = await self._client._send(
            "POST",
            self._path(workspace, name) + target,
            json_body=body,
            idempotent=False,
            read_timeout=(
                self._client.timeout + (client_timeout_ms or 0) / 1000
                if async_
                else max(self._client.timeout, SYNC_QUERY_LIMIT_S + 10.0)
            ),
        )
        elapsed_ms = (time.perf_counter() - started) * 1000
        model = self._client._parse(response, QueryResponse)
        if model.query_errors or model.status is QueryStatus.ERROR:
            raise query_error_from_errors(model.query_errors, query_id=model.query_id)
        if not model.query_id:
            raise ProtocolError("the server's answer to a query lambda execution has no query_id")
        return QueryResult.from_response(model, elapsed_ms=elapsed_ms)

    @staticmethod
    def _version(body: QueryLambdaVersionResponse, name: str) -> QueryLambdaVersion:
        if body.data is None:
            raise ProtocolError(f"the server's answer about query lambda {name} has no data")
        return body.data
