"""Read-only Rockset workspace and collection endpoints over the source's catalog (§12), and
folio's ``/functions`` extension for SQL completion. Bodies: :mod:`tui.server.catalog`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from tui.engines.catalog import Catalog, CatalogError
from tui.server.catalog import CatalogCache, collection_body, find_relation, workspace_bodies
from tui.server.errors import ApiError
from tui.server.routes import _ERRORS, PrincipalDep, _json
from tui.wire import API_PREFIX, ErrorType
from tui.wire_catalog import (
    FunctionsResponse,
    GetCollectionResponse,
    GetWorkspaceResponse,
    ListCollectionsResponse,
    ListWorkspacesResponse,
)

router = APIRouter(prefix=API_PREFIX, responses=_ERRORS, tags=["catalog"])


async def get_catalog(request: Request, principal: PrincipalDep) -> Catalog:
    """The source's catalog (the same for every org: it holds no stored results)."""
    cache: CatalogCache = request.app.state.catalog
    try:
        return await cache.get()
    except CatalogError as exc:
        raise ApiError(503, ErrorType.SERVICEUNAVAILABLE, exc.message) from None


CatalogDep = Annotated[Catalog, Depends(get_catalog)]


def _workspace_missing(workspace: str) -> ApiError:
    return ApiError(
        404,
        ErrorType.NOTFOUND,
        f'Workspace with name "{workspace}" does not exist',
        message_key="WORKSPACE_NOT_FOUND",
    )


def _check_workspace(catalog: Catalog, workspace: str) -> None:
    if workspace not in catalog.schemas:
        raise _workspace_missing(workspace)


@router.get(
    "/ws",
    response_model=ListWorkspacesResponse,
    summary="List workspaces (the source's schemas)",
)
async def list_workspaces(catalog: CatalogDep) -> Response:
    return _json({"data": workspace_bodies(catalog)})


@router.get(
    "/ws/{workspace}",
    response_model=GetWorkspaceResponse,
    summary="Get a workspace (a schema)",
)
async def get_workspace(workspace: str, catalog: CatalogDep) -> Response:
    _check_workspace(catalog, workspace)
    return _json({"data": next(body for body in workspace_bodies(catalog) if body["name"] == workspace)})


def _encoded(body: bytes) -> Response:
    return Response(body, media_type="application/json", headers={"Cache-Control": "no-store"})


@router.get(
    "/collections",
    response_model=ListCollectionsResponse,
    summary="List all collections (tables and views, with columns in `folio`)",
)
async def list_collections(request: Request, catalog: CatalogDep) -> Response:
    def build(catalog: Catalog) -> dict:
        return {"data": [collection_body(relation) for relation in catalog.relations]}

    return _encoded(await request.app.state.catalog.body(catalog, "collections", build))


@router.get(
    "/ws/{workspace}/collections", response_model=ListCollectionsResponse, summary="List the collections of a workspace"
)
async def workspace_collections(request: Request, workspace: str, catalog: CatalogDep) -> Response:
    _check_workspace(catalog, workspace)

    def build(catalog: Catalog) -> dict:
        return {"data": [collection_body(relation) for relation in catalog.in_schema(workspace)]}

    return _encoded(await request.app.state.catalog.body(catalog, f"ws/{workspace}/collections", build))


@router.get(
    "/ws/{workspace}/collections/{collection}",
    response_model=GetCollectionResponse,
    summary="Get a collection (a table or view)",
)
async def get_collection(workspace: str, collection: str, catalog: CatalogDep) -> Response:
    _check_workspace(catalog, workspace)
    relation = find_relation(catalog, workspace, collection)
    if relation is None:
        raise ApiError(
            404,
            ErrorType.NOTFOUND,
            f'Collection "{collection}" does not exist in workspace "{workspace}"',
            message_key="COLLECTION_DOES_NOT_EXIST",
        )
    return _json({"data": collection_body(relation)})


@router.get(
    "/functions", response_model=FunctionsResponse, summary="folio extension: the SQL functions of the source's engine"
)
async def list_functions(catalog: CatalogDep) -> Response:
    return _json({"data": {"engine": catalog.engine, "functions": list(catalog.functions)}})
