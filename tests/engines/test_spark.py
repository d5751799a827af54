"""The Spark engine over a real Spark Connect server (started from the pyspark wheel, see
tests/spark_server.py): types, parameters bound by Spark, errors with positions, cancel that
stops the Spark job, the read-only sandbox, and results streamed batch by batch."""

from __future__ import annotations

import threading
import time
from datetime import UTC, date, datetime
from decimal import Decimal

import httpx
import pyarrow as pa
import pytest

from tui.engines import Cancelled, ParameterError, SqlError, open_engine
from tui.engines.base import field_type_name
from tui.engines.spark import check_reading
from tui.engines.statements import StatementNotAllowed

pytestmark = pytest.mark.spark


def run(engine, sql: str, params: dict | None = None) -> tuple[pa.Table, pa.Schema]:
    execution = engine.start(sql, params or {})
    try:
        batches = list(execution.batches())
    finally:
        execution.close()
    return pa.Table.from_batches(batches, schema=execution.schema), execution.schema


def test_open_engine_picks_spark_for_sc_urls(spark_engine, spark_server) -> None:
    engine = open_engine(spark_server.url)
    try:
        assert engine.name == "spark"
        assert engine.describe() == f"spark {spark_server.url} (read-only)"
    finally:
        engine.close()


def test_types_keep_spark_names_and_exact_values(spark_engine) -> None:
    table, schema = run(
        spark_engine,
        """
        SELECT CAST(7 AS INT) AS i, 9007199254740993L AS big, CAST('12345678901234.567' AS DECIMAL(20, 3)) AS d,
               2.5D AS f, 'x' AS s, true AS b, DATE'2024-02-29' AS day,
               TIMESTAMP'2024-01-02 03:04:05.123456+02:00' AS ts, TIMESTAMP_NTZ'2024-01-02 03:04:05' AS local,
               X'00FF' AS raw, array(1, 2, NULL) AS a, map('k', 1) AS m, named_struct('x', 1, 'y', 'z') AS st,
               CAST(NULL AS STRING) AS nothing
        """,
    )
    assert [(f.name, field_type_name(f)) for f in schema] == [
        ("i", "int"),
        ("big", "bigint"),
        ("d", "decimal(20,3)"),
        ("f", "double"),
        ("s", "string"),
        ("b", "boolean"),
        ("day", "date"),
        ("ts", "timestamp"),
        ("local", "timestamp_ntz"),
        ("raw", "binary"),
        ("a", "array<int>"),
        ("m", "map<string,int>"),
        ("st", "struct<x:int,y:string>"),
        ("nothing", "string"),
    ]
    row = table.to_pylist()[0]
    assert row["big"] == 9007199254740993 and row["d"] == Decimal("12345678901234.567")
    assert row["ts"] == datetime(2024, 1, 2, 1, 4, 5, 123456, tzinfo=UTC)  # the same instant, in UTC
    assert schema.field("ts").type == pa.timestamp("us", tz="UTC")
    assert row["day"] == date(2024, 2, 29) and row["raw"] == b"\x00\xff"
    assert row["a"] == [1, 2, None] and row["m"] == [("k", 1)] and row["st"] == {"x": 1, "y": "z"}
    assert row["nothing"] is None


def test_parameters_are_bound_by_spark(spark_engine) -> None:
    table, _ = run(
        spark_engine,
        "SELECT :word AS word, :n + 1 AS n, :when AS w, :amount AS amount, ':not_a_param' AS literal",
        {"word": "it's", "n": 41, "when": date(2024, 5, 6), "amount": Decimal("1.50"), "unused": 1},
    )
    assert table.to_pylist() == [
        {"word": "it's", "n": 42, "w": date(2024, 5, 6), "amount": Decimal("1.50"), "literal": ":not_a_param"}
    ]
    # a value is a value, never SQL
    table, _ = run(spark_engine, "SELECT count(*) AS c FROM range(10) WHERE :v = 'x'", {"v": "x' OR '1'='1"})
    assert table.to_pylist() == [{"c": 0}]


def test_a_missing_parameter_is_named(spark_engine) -> None:
    with pytest.raises(ParameterError, match=":limit"):
        spark_engine.start("SELECT * FROM range(10) WHERE id < :limit", {})


def test_results_stream_in_batches(spark_engine) -> None:
    execution = spark_engine.start("SELECT id, repeat('x', 100) AS pad FROM range(0, 200000, 1, 4)", {})
    try:
        sizes = [batch.num_rows for batch in execution.batches()]
    finally:
        execution.close()
    assert sum(sizes) == 200_000
    assert len(sizes) > 4 and max(sizes) <= 50_000  # streamed, never one result-sized batch


def test_empty_result_keeps_its_columns(spark_engine) -> None:
    table, schema = run(spark_engine, "SELECT id, CAST(id AS STRING) AS s FROM range(0)")
    assert table.num_rows == 0
    assert [(f.name, field_type_name(f)) for f in schema] == [("id", "bigint"), ("s", "string")]


@pytest.mark.parametrize(
    ("sql", "message", "line", "column"),
    [
        ("SELECT *\nFROM no_such_table", "TABLE_OR_VIEW_NOT_FOUND", 2, 6),
        ("SELECT 1\nFROM range(3) LIMIT )", "PARSE_SYNTAX_ERROR", 2, 21),
        ("SELECT id,\n    1 / 0 AS boom FROM range(3)", "DIVIDE_BY_ZERO", 2, 5),
    ],
)
def test_errors_carry_spark_message_and_position(spark_engine, sql, message, line, column) -> None:
    with pytest.raises(SqlError) as caught:
        run(spark_engine, sql)
    error = caught.value
    assert message in error.message
    assert "JVM stacktrace" not in error.message and "\tat " not in error.message
    assert (error.line, error.column) == (line, column)


def _running_jobs(ui_url: str) -> list[dict] | None:
    """The running jobs, from the Spark UI's REST API; ``None`` if it did not answer in time
    (a busy machine), so the caller asks again."""
    try:
        with httpx.Client(base_url=ui_url, timeout=30) as http:
            app_id = http.get("/api/v1/applications").json()[0]["id"]
            return http.get(f"/api/v1/applications/{app_id}/jobs", params={"status": "running"}).json()
    except httpx.TimeoutException:
        return None


def test_cancel_stops_the_spark_job(spark_engine, spark_server) -> None:
    execution = spark_engine.start("SELECT count(*) FROM range(0, 100000000000, 1, 1) WHERE rand() < 2", {})
    outcome: list[BaseException] = []

    def consume() -> None:
        try:
            list(execution.batches())
        except BaseException as exc:
            outcome.append(exc)

    thread = threading.Thread(target=consume)
    thread.start()
    deadline = time.monotonic() + 60
    while not _running_jobs(spark_server.ui_url):
        assert time.monotonic() < deadline, "the long query never started a Spark job"
        time.sleep(0.2)
    execution.cancel()
    thread.join(60)
    execution.close()
    assert not thread.is_alive()
    assert len(outcome) == 1 and isinstance(outcome[0], Cancelled)
    deadline = time.monotonic() + 30
    while _running_jobs(spark_server.ui_url) != []:  # the job is killed on the cluster, not just abandoned
        assert time.monotonic() < deadline, "the Spark job kept running after cancel"
        time.sleep(0.2)
    # the session is still good for the next query
    table, _ = run(spark_engine, "SELECT 1 AS one")
    assert table.to_pylist() == [{"one": 1}]


def test_cancel_before_the_first_batch_never_runs_it(spark_engine) -> None:
    execution = spark_engine.start("SELECT * FROM range(10)", {})
    execution.cancel()
    with pytest.raises(Cancelled):
        list(execution.batches())
    execution.close()


@pytest.mark.parametrize(
    "sql",
    [
        "CREATE TABLE t (i INT)",
        "INSERT INTO t VALUES (1)",
        "SET spark.sql.ansi.enabled = false",
        "WITH x AS (SELECT 1) INSERT INTO t SELECT * FROM x",
        "SELECT 1; DROP TABLE t",
        "SELECT reflect('java.lang.System', 'getenv', 'HOME')",
        "CACHE TABLE c AS SELECT 1",
    ],
)
def test_read_only_engine_refuses_statements_that_write(spark_engine, sql) -> None:
    with pytest.raises(StatementNotAllowed, match="--allow-writes"):
        spark_engine.start(sql, {})


def test_the_check_reads_past_strings_comments_and_quoted_names() -> None:
    assert check_reading("-- set\nSELECT 'insert; drop' AS `update`, \"create\" /* alter */ FROM t;") == "SELECT"
    assert check_reading("  (SELECT 1)") == "SELECT"  # parenthesised queries read
    assert check_reading("SHOW TABLES") == "SHOW" and check_reading("DESCRIBE TABLE t") == "DESCRIBE"
    assert check_reading("explain select 1") == "EXPLAIN"
    assert check_reading("SELECT 'it\\'s; drop' AS s") == "SELECT"  # Spark strings escape with a backslash
    with pytest.raises(StatementNotAllowed):
        check_reading("select update from t")  # conservative: a bare word that writes


def test_writes_run_with_allow_writes(spark_server) -> None:
    engine = open_engine(spark_server.url, allow_writes=True)
    try:
        run(engine, "CREATE OR REPLACE TEMPORARY VIEW folio_numbers AS SELECT id FROM range(5)")
        table, _ = run(engine, "SELECT sum(id) AS s FROM folio_numbers")
        assert table.to_pylist() == [{"s": 10}]
    finally:
        engine.close()
