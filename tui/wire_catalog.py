"""The wire schema of the read-only catalog (rockset-api.md §12): workspaces and collections.

Like :mod:`tui.wire_lambdas`, the catalog half of the wire schema. The server builds its bodies
as plain dicts (:mod:`tui.server.catalog`); these models describe them in the OpenAPI document
(so the schema tests check every body against them) and are read leniently.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class Workspace(_Open):
    name: str | None = None
    description: str | None = None
    created_at: str | None = None
    created_by: str | None = None
    #: tables and views in the schema
    collection_count: int | None = None


class CatalogColumn(_Open):
    name: str
    type: str


class FolioCollection(_Open):
    """folio's extension field ``folio`` on a collection."""

    #: the real name (``name`` is sanitized for the official client)
    name: str
    kind: str
    columns: list[CatalogColumn]
    row_count_estimate: int | None = None


class CollectionStats(_Open):
    doc_count: int | None = None


class Collection(_Open):
    name: str | None = None
    workspace: str | None = None
    status: str | None = None
    description: str | None = None
    created_at: str | None = None
    read_only: bool | None = None
    stats: CollectionStats | None = None
    sources: list[dict] | None = None
    aliases: list[dict] | None = None
    folio: FolioCollection | None = None


class ListWorkspacesResponse(_Open):
    data: list[Workspace] | None = None


class GetWorkspaceResponse(_Open):
    data: Workspace | None = None


class ListCollectionsResponse(_Open):
    data: list[Collection] | None = None


class GetCollectionResponse(_Open):
    data: Collection | None = None


class Functions(_Open):
    engine: str
    functions: list[str]


class FunctionsResponse(_Open):
    data: Functions | None = None
