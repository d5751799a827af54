"""The catalog as Rockset workspaces and collections: the official ``rockset`` 2.1.2 client,
unmodified, lists a DuckDB, a SQLite and a PostgreSQL source's schemas, tables and views."""

from __future__ import annotations

import sqlite3
from enum import Enum
from pathlib import Path

import duckdb
import httpx
import pytest

from tests.engines.conftest import pg_admin, pg_dsn, pg_reader, pg_superuser_dsn  # noqa: F401 - fixtures
from tui.engines.duckdb import DuckDBEngine
from tui.engines.sqlite import SQLiteEngine

rockset = pytest.importorskip("rockset")
from rockset import RocksetClient  # noqa: E402
from rockset.exceptions import BadRequestException, NotFoundException, UnauthorizedException  # noqa: E402


def client_for(live) -> RocksetClient:
    host = Enum("Host", {"local": live.base_url}, type=str).local
    return RocksetClient(host=host, api_key=live.api_key)


@pytest.fixture
def duck(service_factory, tmp_path: Path):
    path = tmp_path / "shop.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE TABLE orders (id INTEGER, total DOUBLE)")
        con.execute("INSERT INTO orders SELECT range, 1.5 FROM range(5)")
        con.execute("CREATE VIEW big_orders AS SELECT id FROM orders WHERE total > 1")
        con.execute("CREATE SCHEMA staging")
        con.execute('CREATE TABLE staging."my table" ("a b" INTEGER)')
        con.execute("CREATE TABLE staging.my_table2 (x INTEGER)")
        con.execute("CREATE SCHEMA empty")
    return service_factory(engine=DuckDBEngine(path))


def test_duckdb_workspaces_and_collections_through_the_official_client(duck) -> None:
    rs = client_for(duck)
    workspaces = rs.Workspaces.list().data
    assert [(w.name, w.collection_count) for w in workspaces] == [("main", 2), ("empty", 0), ("staging", 2)]
    assert rs.Workspaces.get(workspace="staging").data.collection_count == 2

    every = rs.Collections.list().data
    assert {(c.workspace, c.name) for c in every} == {
        ("main", "big_orders"),
        ("main", "orders"),
        ("staging", "my_table"),
        ("staging", "my_table2"),
    }
    main = {c.name: c for c in rs.Collections.workspace_collections(workspace="main").data}
    assert main["orders"].status == "READY" and main["orders"].read_only is True
    assert main["orders"].stats.doc_count == 5
    assert main["big_orders"].description == "VIEW"
    assert main["big_orders"].stats.doc_count is None

    table = rs.Collections.get(collection="orders", workspace="main").data
    assert table.name == "orders"
    # the sanitized name finds the table whose real name the client could not accept
    odd = rs.Collections.get(collection="my_table", workspace="staging").data
    assert (odd.name, odd.workspace) == ("my_table", "staging")


def test_unknown_names_are_404_and_writes_are_refused(duck) -> None:
    rs = client_for(duck)
    with pytest.raises(NotFoundException) as missing:
        rs.Workspaces.get(workspace="nope")
    assert 'Workspace with name \\"nope\\" does not exist' in missing.value.body
    with pytest.raises(NotFoundException):
        rs.Collections.workspace_collections(workspace="commons")
    with pytest.raises(NotFoundException) as missing_table:
        rs.Collections.get(collection="nope", workspace="main")
    assert "COLLECTION_DOES_NOT_EXIST" in missing_table.value.body
    with pytest.raises(BadRequestException) as refused:
        rs.Workspaces.delete(workspace="main")
    assert refused.value.status == 405
    bad = RocksetClient(host=Enum("Host", {"local": duck.base_url}, type=str).local, api_key="wrong")
    with pytest.raises(UnauthorizedException):
        bad.Workspaces.list()


def test_columns_and_real_names_in_the_folio_extension(duck) -> None:
    body = httpx.get(f"{duck.base_url}/v1/orgs/self/ws/staging/collections", headers=duck.headers).json()
    odd = next(c for c in body["data"] if c["name"] == "my_table")
    assert odd["folio"] == {
        "name": "my table",
        "kind": "TABLE",
        "columns": [{"name": "a b", "type": "INTEGER"}],
        "row_count_estimate": 0,
    }
    by_real = httpx.get(f"{duck.base_url}/v1/orgs/self/ws/staging/collections/my%20table", headers=duck.headers)
    assert by_real.json()["data"]["folio"]["name"] == "my table"
    functions = httpx.get(f"{duck.base_url}/v1/orgs/self/functions", headers=duck.headers).json()["data"]
    assert functions["engine"] == "duckdb" and "read_parquet" in functions["functions"]


def test_every_org_sees_the_catalog_and_never_stored_results(duck) -> None:
    run = httpx.post(
        f"{duck.base_url}/v1/orgs/self/queries",
        json={"sql": {"query": "SELECT 42 AS answer"}},
        headers=duck.headers,
        timeout=30,
    )
    assert run.status_code == 200
    mine = httpx.get(f"{duck.base_url}/v1/orgs/self/collections", headers=duck.headers).json()
    other = httpx.get(
        f"{duck.base_url}/v1/orgs/self/collections", headers={"Authorization": f"ApiKey {duck.other_key}"}
    ).json()
    assert mine == other
    assert {c["name"] for c in mine["data"]} == {"orders", "big_orders", "my_table", "my_table2"}


def test_catalog_is_cached_for_the_ttl(service_factory) -> None:
    engine = DuckDBEngine()
    live = service_factory(engine=engine, catalog_ttl_s=3600)
    url = f"{live.base_url}/v1/orgs/self/collections"
    assert httpx.get(url, headers=live.headers).json() == {"data": []}
    engine._con.execute("CREATE TABLE late (x INTEGER)")
    assert httpx.get(url, headers=live.headers).json() == {"data": []}  # cached
    assert live.app.state.catalog.reads == 1
    live.app.state.catalog.ttl_s = 0
    assert [c["name"] for c in httpx.get(url, headers=live.headers).json()["data"]] == ["late"]


def test_sqlite_source_through_the_official_client(service_factory, tmp_path: Path) -> None:
    path = tmp_path / "app.sqlite"
    with sqlite3.connect(path) as con:
        con.execute("CREATE TABLE users (id INTEGER, name TEXT)")
        con.execute('CREATE TABLE "my table" (x)')
        con.execute("CREATE VIEW names AS SELECT name FROM users")
    rs = client_for(service_factory(engine=SQLiteEngine(path)))
    assert [(w.name, w.collection_count) for w in rs.Workspaces.list().data] == [("main", 3)]
    collections = rs.Collections.workspace_collections(workspace="main").data
    assert [(c.name, c.description, c.stats.doc_count) for c in collections] == [
        ("my_table", "BASE TABLE", None),
        ("names", "VIEW", None),
        ("users", "BASE TABLE", None),
    ]
    assert rs.Collections.get(collection="users", workspace="main").data.status == "READY"


def test_postgres_source_through_the_official_client(service_factory, pg_admin, pg_dsn) -> None:  # noqa: F811
    from tui.engines.postgres import PostgresEngine

    pg_admin.execute("CREATE TABLE IF NOT EXISTS public.orders (id int4, total numeric)")
    pg_admin.execute("CREATE OR REPLACE VIEW public.recent AS SELECT id FROM public.orders")
    pg_admin.execute('CREATE TABLE IF NOT EXISTS public."Mixed Case" (x int4)')
    pg_admin.execute("CREATE SCHEMA IF NOT EXISTS sales")
    rs = client_for(service_factory(engine=PostgresEngine(pg_dsn)))
    assert [w.name for w in rs.Workspaces.list().data] == ["public", "sales"]
    collections = rs.Collections.workspace_collections(workspace="public").data
    assert [(c.name, c.description) for c in collections] == [
        ("Mixed_Case", "BASE TABLE"),
        ("orders", "BASE TABLE"),
        ("recent", "VIEW"),
    ]
    assert rs.Collections.get(collection="Mixed_Case", workspace="public").data.workspace == "public"
    assert rs.Workspaces.get(workspace="sales").data.collection_count == 0
