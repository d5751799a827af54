"""Reading the catalog bodies: folio's extension field, plain Rockset bodies, garbage."""

from __future__ import annotations

import orjson
import pytest

from tui.catalog import Column, Relation
from tui.client.catalog import parse_catalog
from tui.client.errors import ProtocolError


def test_folio_bodies_carry_real_names_kinds_and_columns() -> None:
    workspaces = orjson.dumps({"data": [{"name": "main", "collection_count": 1}]})
    collections = orjson.dumps(
        {
            "data": [
                {
                    "name": "my_table",
                    "workspace": "main",
                    "status": "READY",
                    "stats": {"doc_count": 3},
                    "folio": {
                        "name": "my table",
                        "kind": "VIEW",
                        "columns": [{"name": "a b", "type": "INTEGER"}],
                        "row_count_estimate": None,
                    },
                }
            ]
        }
    )
    functions = orjson.dumps({"data": {"engine": "duckdb", "functions": ["sum"]}})
    catalog = parse_catalog(workspaces, collections, functions)
    assert catalog.engine == "duckdb" and catalog.schemas == ("main",) and catalog.functions == ("sum",)
    assert catalog.relations == (Relation("main", "my table", "VIEW", (Column("a b", "INTEGER"),), None, None),)


def test_plain_rockset_bodies_give_names_and_kinds_without_columns() -> None:
    collections = orjson.dumps(
        {
            "data": [
                {"name": "orders", "workspace": "commons", "description": "BASE TABLE", "stats": {"doc_count": 5}},
                {"name": "big", "workspace": "commons", "description": "VIEW"},
            ]
        }
    )
    catalog = parse_catalog(orjson.dumps({"data": [{"name": "commons"}]}), collections, None)
    assert catalog.relations == (
        Relation("commons", "orders", "TABLE", (), 5, None),
        Relation("commons", "big", "VIEW", (), None, None),
    )
    assert catalog.functions == ()


@pytest.mark.parametrize("body", [b"not json", b"{}", b'{"data": [1]}', b'{"data": null}'])
def test_garbage_is_a_protocol_error(body: bytes) -> None:
    with pytest.raises(ProtocolError):
        parse_catalog(body, b'{"data": []}', None)
