"""The source's catalog from the service's Rockset workspace and collection bodies (§12).

Collections carry their real name, kind and columns in folio's ``folio`` extension field
(:mod:`tui.server.catalog`); a Rockset service without it still yields names, kinds from the
description, and no columns. Anything malformed is a :class:`~tui.client.errors.ProtocolError`.
"""

from __future__ import annotations

from typing import Any

import orjson

from tui.catalog import Catalog, Column, Relation
from tui.client.errors import ProtocolError


def _data(raw: bytes, what: str) -> Any:
    try:
        return orjson.loads(raw)["data"]
    except (orjson.JSONDecodeError, KeyError, TypeError):
        raise ProtocolError(f"the server's {what} answer has no data") from None


def parse_relation(body: dict[str, Any]) -> Relation:
    extension = body.get("folio") or {}
    name = extension.get("name") or body.get("name") or ""
    kind = extension.get("kind") or ("VIEW" if body.get("description") == "VIEW" else "TABLE")
    columns = tuple(
        Column(str(column.get("name", "")), str(column.get("type") or "")) for column in extension.get("columns") or ()
    )
    estimate = extension.get("row_count_estimate", (body.get("stats") or {}).get("doc_count"))
    return Relation(
        str(body.get("workspace") or ""),
        str(name),
        str(kind),
        columns,
        estimate if isinstance(estimate, int) else None,
        None,
    )


def parse_catalog(workspaces: bytes, collections: bytes, functions: bytes | None) -> Catalog:
    try:
        schemas = tuple(str(w["name"]) for w in _data(workspaces, "workspaces"))
        relations = tuple(parse_relation(c) for c in _data(collections, "collections"))
        engine, names = "", ()
        if functions is not None:
            data = _data(functions, "functions")
            engine, names = str(data.get("engine") or ""), tuple(str(n) for n in data.get("functions") or ())
    except (TypeError, KeyError, AttributeError):
        raise ProtocolError("the server sent a catalog folio cannot read") from None
    return Catalog(engine, schemas, relations, names)
