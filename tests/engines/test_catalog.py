"""The catalog readers against real DuckDB, SQLite and PostgreSQL databases."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import duckdb
import psycopg
import pytest

from tui.engines import open_engine
from tui.engines.catalog import Catalog, Column, Relation, read_catalog
from tui.engines.duckdb import DuckDBEngine
from tui.engines.postgres import PostgresEngine
from tui.engines.sqlite import SQLiteEngine


def relation(catalog: Catalog, schema: str, name: str) -> Relation:
    return next(r for r in catalog.relations if (r.schema, r.name) == (schema, name))


def test_duckdb_schemas_tables_views_columns_and_estimates(tmp_path: Path) -> None:
    path = tmp_path / "shop.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE TABLE orders (id INTEGER, total DECIMAL(10,2), note VARCHAR)")
        con.execute("INSERT INTO orders SELECT range, 1.5, 'x' FROM range(5)")
        con.execute("COMMENT ON TABLE orders IS 'all orders'")
        con.execute("CREATE SCHEMA staging")
        con.execute("CREATE SCHEMA empty")
        con.execute('CREATE TABLE staging."my table" ("a b" INTEGER)')
        con.execute("CREATE VIEW big_orders AS SELECT id FROM orders WHERE total > 1")
    engine = DuckDBEngine(path)
    try:
        catalog = read_catalog(engine)
    finally:
        engine.close()
    assert catalog.engine == "duckdb"
    assert catalog.schemas == ("main", "empty", "staging")
    orders = relation(catalog, "main", "orders")
    assert orders.kind == "TABLE"
    assert orders.columns == (Column("id", "INTEGER"), Column("total", "DECIMAL(10,2)"), Column("note", "VARCHAR"))
    assert orders.row_estimate == 5
    assert orders.comment == "all orders"
    view = relation(catalog, "main", "big_orders")
    assert (view.kind, view.columns, view.row_estimate) == ("VIEW", (Column("id", "INTEGER"),), None)
    assert relation(catalog, "staging", "my table").columns == (Column("a b", "INTEGER"),)
    assert {"sum", "read_parquet", "strftime"} <= set(catalog.functions)
    assert list(catalog.functions) == sorted(set(catalog.functions))


def test_duckdb_file_view_of_folio_data_parquet(tmp_path: Path) -> None:
    path = tmp_path / "events.parquet"
    duckdb.sql("SELECT 1::BIGINT AS id, 'click' AS kind").write_parquet(str(path))
    engine = open_engine(str(path))
    try:
        catalog = read_catalog(engine)
    finally:
        engine.close()
    data = relation(catalog, "main", "data")
    assert data.kind == "VIEW"
    assert data.columns == (Column("id", "BIGINT"), Column("kind", "VARCHAR"))


def test_sqlite_tables_views_columns(tmp_path: Path) -> None:
    path = tmp_path / "app.sqlite"
    with sqlite3.connect(path) as con:
        con.execute("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT, score REAL)")
        con.execute('CREATE TABLE "my table" (x)')
        con.execute("CREATE VIEW names AS SELECT name FROM users")
    engine = SQLiteEngine(path)
    catalog = read_catalog(engine)
    assert catalog.schemas == ("main",)
    assert [(r.name, r.kind) for r in catalog.relations] == [
        ("my table", "TABLE"),
        ("names", "VIEW"),
        ("users", "TABLE"),
    ]
    users = relation(catalog, "main", "users")
    assert users.columns == (Column("id", "INTEGER"), Column("name", "TEXT"), Column("score", "REAL"))
    assert users.row_estimate is None
    assert relation(catalog, "main", "my table").columns == (Column("x", ""),)
    assert {"substr", "count", "coalesce"} <= set(catalog.functions)


@pytest.fixture(scope="module")
def pg_catalog_db(pg_admin: psycopg.Connection, pg_dsn: str) -> Iterator[str]:
    pg_admin.execute("DROP ROLE IF EXISTS catalog_reader")
    pg_admin.execute("CREATE ROLE catalog_reader LOGIN")
    pg_admin.execute("CREATE TABLE public.orders (id int4, total numeric(10,2), tags text[])")
    pg_admin.execute("INSERT INTO public.orders SELECT g, 1, '{}' FROM generate_series(1, 50) g")
    pg_admin.execute("ANALYZE public.orders")
    pg_admin.execute("COMMENT ON TABLE public.orders IS 'all orders'")
    pg_admin.execute("CREATE VIEW public.big_orders AS SELECT id FROM public.orders WHERE total > 1")
    pg_admin.execute('CREATE TABLE public."my table" ("a b" int8)')
    pg_admin.execute("CREATE TABLE public.secret (password text)")
    pg_admin.execute("CREATE TABLE public.people (name text, salary int4)")
    pg_admin.execute("CREATE SCHEMA sales")
    pg_admin.execute("CREATE TABLE sales.regions (code char(2))")
    pg_admin.execute("CREATE SCHEMA hidden")
    pg_admin.execute("CREATE TABLE hidden.t (x int)")
    pg_admin.execute('GRANT SELECT ON public.orders, public.big_orders, public."my table" TO catalog_reader')
    pg_admin.execute("GRANT SELECT (name) ON public.people TO catalog_reader")
    pg_admin.execute("GRANT USAGE ON SCHEMA sales TO catalog_reader")
    pg_admin.execute("GRANT SELECT ON sales.regions TO catalog_reader")
    pg_admin.execute("GRANT SELECT ON hidden.t TO catalog_reader")  # but no USAGE on the schema
    yield pg_dsn
    pg_admin.execute("DROP OWNED BY catalog_reader")
    pg_admin.execute("DROP ROLE catalog_reader")


def test_postgres_catalog_as_a_role_that_reads_all_data(pg_catalog_db: str) -> None:
    engine = PostgresEngine(pg_catalog_db)
    try:
        catalog = read_catalog(engine)
    finally:
        engine.close()
    assert catalog.schemas == ("public", "hidden", "sales")
    orders = relation(catalog, "public", "orders")
    assert orders.columns == (Column("id", "integer"), Column("total", "numeric(10,2)"), Column("tags", "text[]"))
    assert orders.row_estimate == 50
    assert orders.comment == "all orders"
    view = relation(catalog, "public", "big_orders")
    assert (view.kind, view.row_estimate) == ("VIEW", None)
    assert {"count", "lower", "generate_series"} <= set(catalog.functions)


def test_postgres_catalog_shows_only_what_the_role_may_select(pg_catalog_db: str) -> None:
    dsn = _as_user(pg_catalog_db, "catalog_reader")
    engine = PostgresEngine(dsn)
    try:
        catalog = read_catalog(engine)
    finally:
        engine.close()
    assert catalog.schemas == ("public", "sales")
    names = {(r.schema, r.name) for r in catalog.relations}
    assert names == {
        ("public", "orders"),
        ("public", "big_orders"),
        ("public", "my table"),
        ("public", "people"),
        ("sales", "regions"),
    }
    assert relation(catalog, "public", "people").columns == (Column("name", "text"),)


def _as_user(dsn: str, user: str) -> str:
    """``dsn`` with its user replaced (``postgresql://user:@/db?host=…``)."""
    scheme, rest = dsn.split("://", 1)
    credentials, _, tail = rest.partition("@")
    return f"{scheme}://{user}@{tail}" if tail else f"{scheme}://{user}@{rest}"
