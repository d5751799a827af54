"""The Spark catalog reader against the session's real Spark Connect server (tests/spark_server.py),
read through a read-only engine, and served as Rockset workspaces and collections."""

from __future__ import annotations

from collections.abc import Iterator
from enum import Enum

import httpx
import pytest

from tui.engines import SqlError, open_engine
from tui.engines.base import Engine, Execution
from tui.engines.catalog import Catalog, Column, Relation, read_catalog
from tui.engines.spark import SparkEngine

pytestmark = pytest.mark.spark

#: the objects the module creates (and drops): the server is the whole session's
SETUP = [
    "CREATE NAMESPACE folio_sales",
    "CREATE NAMESPACE `drop`",  # empty; its name is a word the read-only sandbox refuses unquoted
    "CREATE TABLE default.folio_orders (id INT, total DECIMAL(10,2), tags ARRAY<STRING>,"
    " meta STRUCT<n:BIGINT,tag:STRING>) USING parquet COMMENT 'all orders'",
    "INSERT INTO default.folio_orders VALUES (1, 2.50, array('a'), named_struct('n', 1L, 'tag', 'x')),"
    " (2, 0.50, array(), NULL), (3, 9.00, NULL, NULL)",
    "ANALYZE TABLE default.folio_orders COMPUTE STATISTICS",
    "CREATE VIEW default.folio_big_orders AS SELECT id, total FROM default.folio_orders WHERE total > 1",
    "CREATE TABLE folio_sales.regions (code STRING, `a b` SMALLINT, `c: d` MAP<STRING,ARRAY<INT>>,"
    " at TIMESTAMP_NTZ) USING parquet",
    "CREATE VIEW folio_sales.recent AS SELECT code FROM folio_sales.regions",
    "CREATE FUNCTION default.folio_plus1(x INT) RETURNS INT RETURN x + 1",
]
TEARDOWN = [
    "DROP FUNCTION IF EXISTS default.folio_plus1",
    "DROP VIEW IF EXISTS default.folio_big_orders",
    "DROP TABLE IF EXISTS default.folio_orders",
    "DROP NAMESPACE IF EXISTS folio_sales CASCADE",
    "DROP NAMESPACE IF EXISTS `drop` CASCADE",
]


def run(engine: Engine, sql: str) -> None:
    execution = engine.start(sql, {})
    try:
        list(execution.batches())
    finally:
        execution.close()


@pytest.fixture(scope="module")
def spark_objects(spark_server) -> Iterator[None]:
    writer = open_engine(spark_server.url, allow_writes=True)
    try:
        for sql in TEARDOWN + SETUP:
            run(writer, sql)
        yield
        for sql in TEARDOWN:
            run(writer, sql)
    finally:
        writer.close()


@pytest.fixture(scope="module")
def spark_catalog(spark_objects, spark_engine) -> Iterator[Catalog]:
    """The catalog as the session's read-only engine reads it, with a temporary view of its own."""
    spark_engine.session.sql("CREATE OR REPLACE TEMPORARY VIEW folio_session_only AS SELECT 1 AS x")  # setup
    try:
        yield read_catalog(spark_engine)
    finally:
        spark_engine.session.sql("DROP VIEW IF EXISTS folio_session_only")


def relation(catalog: Catalog, schema: str, name: str) -> Relation:
    return next(r for r in catalog.relations if (r.schema, r.name) == (schema, name))


def test_spark_namespaces_tables_views_and_columns(spark_catalog: Catalog) -> None:
    catalog = spark_catalog
    assert catalog.engine == "spark"
    assert catalog.schemas[0] == "default"
    assert {"folio_sales", "drop"} <= set(catalog.schemas)
    assert [r.name for r in catalog.in_schema("drop")] == []

    orders = relation(catalog, "default", "folio_orders")
    assert orders.kind == "TABLE" and orders.comment == "all orders"
    # the names a query's column_fields show for the same columns
    assert orders.columns == (
        Column("id", "int"),
        Column("total", "decimal(10,2)"),
        Column("tags", "array<string>"),
        Column("meta", "struct<n:bigint,tag:string>"),
    )
    assert orders.row_estimate == 3  # from ANALYZE TABLE's statistics
    view = relation(catalog, "default", "folio_big_orders")
    assert (view.kind, view.row_estimate) == ("VIEW", None)
    assert view.columns == (Column("id", "int"), Column("total", "decimal(10,2)"))

    assert [(r.name, r.kind) for r in catalog.in_schema("folio_sales")] == [("recent", "VIEW"), ("regions", "TABLE")]
    assert relation(catalog, "folio_sales", "regions").columns == (
        Column("code", "string"),
        Column("a b", "smallint"),
        Column("c: d", "map<string,array<int>>"),
        Column("at", "timestamp_ntz"),
    )


def test_spark_catalog_leaves_out_the_sessions_temporary_views(spark_catalog: Catalog) -> None:
    assert "folio_session_only" not in {r.name for r in spark_catalog.relations}


def test_spark_functions_are_plain_names_the_sandbox_lets_run(spark_catalog: Catalog) -> None:
    functions = spark_catalog.functions
    assert {"abs", "date_trunc", "sum", "folio_plus1"} <= set(functions)
    assert "!=" not in functions and "spark_catalog.default.folio_plus1" not in functions
    assert "reflect" not in functions and "java_method" not in functions  # refused on a read-only source
    assert list(functions) == sorted(set(functions))


def test_the_sessions_current_namespace_comes_first(spark_objects, spark_server) -> None:
    engine = SparkEngine(spark_server.url)
    try:
        engine.session.sql("USE folio_sales")  # setup: a session whose queries resolve there
        schemas = read_catalog(engine).schemas
    finally:
        engine.close()
    assert schemas[:2] == ("folio_sales", "default")


class _SparkThreeOnV2Catalog(Engine):
    """The real engine, refusing ``SHOW TABLE EXTENDED`` as Spark 3.x does on a v2 catalog
    (Iceberg): a fake for a Spark version that cannot run here."""

    name = "spark"

    def __init__(self, real: SparkEngine):
        self.real = real
        self.allow_writes = False

    def start(self, sql: str, params) -> Execution:
        if sql.startswith("SHOW TABLE EXTENDED"):
            raise SqlError("[UNSUPPORTED_FEATURE.TABLE_OPERATION] SHOW TABLE EXTENDED is not supported for v2 tables")
        return self.real.start(sql, params)


def test_without_show_table_extended_the_names_are_listed(spark_objects, spark_engine) -> None:
    catalog = read_catalog(_SparkThreeOnV2Catalog(spark_engine))
    assert [(r.name, r.columns) for r in catalog.in_schema("folio_sales")] == [("recent", ()), ("regions", ())]


def test_spark_catalog_through_the_service(spark_objects, spark_server, service_factory) -> None:
    rockset = pytest.importorskip("rockset")
    live = service_factory(engine=SparkEngine(spark_server.url))  # the service closes its engine
    rs = rockset.RocksetClient(host=Enum("Host", {"local": live.base_url}, type=str).local, api_key=live.api_key)
    workspaces = {w.name: w.collection_count for w in rs.Workspaces.list().data}
    assert workspaces["folio_sales"] == 2 and workspaces["drop"] == 0
    collections = rs.Collections.workspace_collections(workspace="default").data
    described = {c.name: (c.description, c.stats.doc_count) for c in collections}
    assert described["folio_orders"] == ("all orders", 3)
    assert described["folio_big_orders"] == ("VIEW", None)
    body = httpx.get(f"{live.base_url}/v1/orgs/self/ws/folio_sales/collections/regions", headers=live.headers).json()
    assert body["data"]["folio"]["columns"][:2] == [
        {"name": "code", "type": "string"},
        {"name": "a b", "type": "smallint"},
    ]
    functions = httpx.get(f"{live.base_url}/v1/orgs/self/functions", headers=live.headers).json()["data"]
    assert functions["engine"] == "spark" and "abs" in functions["functions"]
