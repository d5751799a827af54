"""The source's catalog served as Rockset workspaces (schemas) and collections (tables, views).

Bodies are shaped for the official ``rockset`` 2.1.2 client (rockset-api.md §12):

* every collection is ``status: "READY"`` (there is no VIEW status), ``read_only: true``, with
  ``stats.doc_count`` the engine's cheap row estimate (``null`` when it has none, as for views);
* the client checks a collection ``name`` against ``^[A-Za-z0-9_\\-.]+$`` and one bad name fails the
  whole list, so a name outside that set (``my table``, ``tëst``) is sent **sanitized**: every other
  character becomes ``_`` (``my_table``). The real name travels in the ``folio`` extension field,
  and ``GET …/collections/{name}`` answers to both the real and the sanitized name;
* the ``folio`` extension field (ignored by the clients) holds what Rockset has no field for:
  ``{"name": real name, "kind": "TABLE"|"VIEW", "columns": [{"name", "type"}], "row_count_estimate"}``.

The catalog is read through the engine (its own connections and sandbox) at most once per
``catalog_ttl_s`` seconds: concurrent requests share one read, and everyone sees the same
catalog, since it is the source's and holds no org's stored results.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

from tui.engines.base import Engine
from tui.engines.catalog import Catalog, Relation, read_catalog
from tui.store.jsonrows import dumps

#: what the official client accepts as a collection name
_VALID_NAME = re.compile(r"^[A-Za-z0-9_\-.]+$")
_INVALID_CHAR = re.compile(r"[^A-Za-z0-9_\-.]")


def collection_name(name: str) -> str:
    """``name`` as the official client accepts it: characters outside ``[A-Za-z0-9_-.]`` become ``_``."""
    if _VALID_NAME.match(name):
        return name
    return _INVALID_CHAR.sub("_", name) or "_"


def workspace_bodies(catalog: Catalog) -> list[dict[str, Any]]:
    counts = Counter(relation.schema for relation in catalog.relations)
    return [
        {
            "name": schema,
            "description": f"{catalog.engine} schema {schema}",
            "created_at": None,
            "created_by": None,
            "collection_count": counts[schema],
        }
        for schema in catalog.schemas
    ]


def collection_body(relation: Relation) -> dict[str, Any]:
    view = relation.kind == "VIEW"
    return {
        "name": collection_name(relation.name),
        "workspace": relation.schema,
        "status": "READY",
        "description": relation.comment or ("VIEW" if view else "BASE TABLE"),
        "created_at": None,
        "read_only": True,
        "stats": {"doc_count": relation.row_estimate},
        "sources": [],
        "aliases": [],
        "folio": {
            "name": relation.name,
            "kind": relation.kind,
            "columns": [{"name": c.name, "type": c.type} for c in relation.columns],
            "row_count_estimate": relation.row_estimate,
        },
    }


def find_relation(catalog: Catalog, schema: str, name: str) -> Relation | None:
    """The relation called ``name`` (its real name first, then its sanitized one)."""
    relations = catalog.in_schema(schema)
    exact = next((r for r in relations if r.name == name), None)
    return exact or next((r for r in relations if collection_name(r.name) == name), None)


class CatalogCache:
    """The engine's catalog, re-read at most every ``ttl_s`` seconds, one read at a time."""

    def __init__(self, engine: Engine, ttl_s: float):
        self.engine = engine
        self.ttl_s = ttl_s
        self._catalog: Catalog | None = None
        self._read_at = 0.0
        self._lock = asyncio.Lock()
        #: encoded response bodies of the current catalog (5,000 collections take ~100 ms to encode)
        self._bodies: dict[str, bytes] = {}
        #: how many times the engine's catalog was actually read (tests and benchmarks)
        self.reads = 0

    async def get(self) -> Catalog:
        if self._fresh():
            assert self._catalog is not None
            return self._catalog
        async with self._lock:  # the first caller reads; the others wait for its answer
            if not self._fresh():
                self._catalog = await asyncio.to_thread(read_catalog, self.engine)
                self._bodies = {}
                self._read_at = time.monotonic()
                self.reads += 1
            assert self._catalog is not None
            return self._catalog

    async def body(self, catalog: Catalog, key: str, build: Callable[[Catalog], Any]) -> bytes:
        """``build(catalog)`` encoded as JSON, once per catalog read, off the event loop."""
        bodies = self._bodies if catalog is self._catalog else {}
        encoded = bodies.get(key)
        if encoded is None:
            encoded = await asyncio.to_thread(lambda: dumps(build(catalog)))
            bodies[key] = encoded
        return encoded

    def _fresh(self) -> bool:
        return self._catalog is not None and time.monotonic() - self._read_at < self.ttl_s
