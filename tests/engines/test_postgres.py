"""The PostgreSQL engine against a real PostgreSQL server (see conftest.py)."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable, Iterator
from decimal import Decimal

import psycopg
import pyarrow as pa
import pytest

from tui.engines import SourceError, open_engine
from tui.engines.base import Cancelled, EngineError, Execution, ParameterError, SqlError, field_type_name, is_json_field
from tui.engines.postgres import PositionMap, PostgresEngine, first_keyword
from tui.engines.statements import StatementNotAllowed

WAIT_SECONDS = 30.0  # polling deadline for server-side state; never a performance assertion


@pytest.fixture(scope="module")
def engine(pg_dsn: str) -> Iterator[PostgresEngine]:
    eng = PostgresEngine(pg_dsn)
    yield eng
    eng.close()


@pytest.fixture(scope="module")
def things(pg_admin: psycopg.Connection) -> str:
    """A small table with one row per type folio maps, plus an all-NULL row."""
    pg_admin.execute(
        """
        CREATE TABLE things (
            id int4 PRIMARY KEY, small int2, big int8, price numeric, ratio float4, score float8,
            ok bool, label text, code varchar(8), flag char(3), at timestamp, at_tz timestamptz,
            day date, clock time, span interval, uid uuid, doc json, docb jsonb, tags text[],
            nums int4[], docs jsonb[], raw bytea
        )
        """
    )
    pg_admin.execute(
        """
        INSERT INTO things VALUES (
            1, 7, 9007199254740993, 12345678901234567890.123456789, 1.5, 2.25,
            true, 'héllo', 'abc', 'x', '2024-01-02 03:04:05.123456', '2024-01-02 03:04:05+02',
            '2024-01-02', '12:34:56.5', '1 year 2 mons 3 days 04:05:06.5',
            'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{"a": [1, 2]}', '{"b": {"c": null}}',
            ARRAY['x', NULL, 'z'], ARRAY[1, NULL, 3], ARRAY['{"k": 1}'::jsonb, NULL], '\\xdeadbeef'
        ), (2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
            NULL, NULL, NULL, NULL, NULL, NULL, NULL)
        """
    )
    return "things"


def run(engine: PostgresEngine, sql: str, params: dict | None = None) -> pa.Table:
    execution = engine.start(sql, params or {})
    try:
        return pa.Table.from_batches(list(execution.batches()), schema=execution.schema)
    finally:
        execution.close()


def wait_for(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting for {what}")
        time.sleep(0.02)


def backend_state(admin: psycopg.Connection, pid: int) -> str | None:
    row = admin.execute("SELECT state FROM pg_stat_activity WHERE pid = %s", [pid]).fetchone()
    return row[0] if row else None


# -- types --------------------------------------------------------------------------------------


def test_every_type_maps_to_arrow_with_the_postgres_type_name(engine: PostgresEngine, things: str) -> None:
    table = run(engine, "SELECT * FROM things ORDER BY id")
    expected = {
        "id": (pa.int32(), "int4"),
        "small": (pa.int16(), "int2"),
        "big": (pa.int64(), "int8"),
        "price": (pa.string(), "numeric"),
        "ratio": (pa.float64(), "float4"),
        "score": (pa.float64(), "float8"),
        "ok": (pa.bool_(), "bool"),
        "label": (pa.string(), "text"),
        "code": (pa.string(), "varchar"),
        "flag": (pa.string(), "bpchar"),
        "at": (pa.timestamp("us"), "timestamp"),
        "at_tz": (pa.timestamp("us", tz="UTC"), "timestamptz"),
        "day": (pa.date32(), "date"),
        "clock": (pa.time64("us"), "time"),
        "span": (pa.string(), "interval"),
        "uid": (pa.string(), "uuid"),
        "doc": (pa.string(), "json"),
        "docb": (pa.string(), "jsonb"),
        "tags": (pa.list_(pa.string()), "text[]"),
        "nums": (pa.list_(pa.int32()), "int4[]"),
        "docs": (pa.string(), "jsonb[]"),
        "raw": (pa.binary(), "bytea"),
    }
    assert table.schema.names == list(expected)
    for field in table.schema:
        assert (field.type, field_type_name(field)) == expected[field.name], field.name
    assert [f.name for f in table.schema if is_json_field(f)] == ["doc", "docb", "docs"]

    full, empty = table.to_pylist()
    assert full == {
        "id": 1,
        "small": 7,
        "big": 9007199254740993,  # beyond float precision: stays exact
        "price": "12345678901234567890.123456789",  # exact digits, as a string
        "ratio": 1.5,
        "score": 2.25,
        "ok": True,
        "label": "héllo",
        "code": "abc",
        "flag": "x  ",  # char(3) is blank-padded by PostgreSQL
        "at": dt.datetime(2024, 1, 2, 3, 4, 5, 123456),
        "at_tz": dt.datetime(2024, 1, 2, 1, 4, 5, tzinfo=dt.UTC),
        "day": dt.date(2024, 1, 2),
        "clock": dt.time(12, 34, 56, 500000),
        "span": "P1Y2M3DT4H5M6.5S",  # ISO 8601 duration, months kept
        "uid": "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
        "doc": '{"a": [1, 2]}',
        "docb": '{"b": {"c": null}}',
        "tags": ["x", None, "z"],
        "nums": [1, None, 3],
        "docs": '[{"k": 1},null]',
        "raw": b"\xde\xad\xbe\xef",
    }
    assert empty == {name: (2 if name == "id" else None) for name in expected}


def test_timestamptz_is_the_same_instant_whatever_the_session_time_zone(engine: PostgresEngine) -> None:
    table = run(engine, "SELECT '2024-06-01 12:00:00-07'::timestamptz AS t")
    assert table.column("t")[0].as_py() == dt.datetime(2024, 6, 1, 19, 0, tzinfo=dt.UTC)


def test_numeric_keeps_exact_text_including_special_values(engine: PostgresEngine) -> None:
    table = run(engine, "SELECT x FROM (VALUES ('0.10'::numeric), ('NaN'), ('-1e-30'), ('Infinity')) v(x)")
    assert table.column("x").to_pylist() == ["0.10", "NaN", "-0.000000000000000000000000000001", "Infinity"]


def test_other_types_come_back_as_postgres_text_with_their_type_name(
    engine: PostgresEngine, pg_admin: psycopg.Connection
) -> None:
    pg_admin.execute("CREATE TYPE mood AS ENUM ('sad', 'happy')")
    table = run(
        engine,
        "SELECT '10.1.2.3/8'::inet AS ip, int4range(1, 5) AS r, 'happy'::mood AS m,"
        " ARRAY['sad'::mood] AS ms, ROW(1, 'a') AS rec, '12:00+02'::timetz AS tt, 5::money AS cash",
    )
    assert table.to_pylist() == [
        {
            "ip": "10.1.2.3/8",
            "r": "[1,5)",
            "m": "happy",
            "ms": ["sad"],
            "rec": "(1,a)",
            "tt": "12:00:00+02",
            "cash": "$5.00",
        }
    ]
    assert [field_type_name(f) for f in table.schema] == [
        "inet",
        "int4range",
        "mood",
        "mood[]",
        "record",
        "timetz",
        "money",
    ]


def test_multidimensional_arrays_fail_with_a_clear_message(engine: PostgresEngine) -> None:
    with pytest.raises(SqlError, match="multi-dimensional"):
        run(engine, "SELECT ARRAY[[1, 2], [3, 4]] AS grid")


def test_values_python_cannot_hold_fail_with_postgres_message(engine: PostgresEngine) -> None:
    with pytest.raises(SqlError, match="infinity"):
        run(engine, "SELECT 'infinity'::timestamp AS t")


# -- parameters ---------------------------------------------------------------------------------


def test_parameters_are_bound_by_the_server(engine: PostgresEngine, things: str) -> None:
    table = run(
        engine,
        "SELECT id, :label AS echo, '50% :not_a_param' AS lit, 7 % 4 AS m, :n::int + 1 AS n1"
        " FROM things WHERE id = :id OR label = :label ORDER BY id",
        {"id": 2, "label": "héllo'; DROP TABLE things; --", "n": 41},
    )
    assert table.to_pylist() == [
        {"id": 2, "echo": "héllo'; DROP TABLE things; --", "lit": "50% :not_a_param", "m": 3, "n1": 42}
    ]


def test_typed_parameter_values(engine: PostgresEngine) -> None:
    table = run(
        engine,
        "SELECT :d::date + 1 AS d, :x::numeric * 2 AS x, :t::timestamptz AS t, :b::bool AS b",
        {"d": dt.date(2024, 2, 28), "x": Decimal("0.1"), "t": dt.datetime(2024, 1, 1, tzinfo=dt.UTC), "b": True},
    )
    assert table.to_pylist() == [
        {"d": dt.date(2024, 2, 29), "x": "0.2", "t": dt.datetime(2024, 1, 1, tzinfo=dt.UTC), "b": True}
    ]


def test_missing_parameter_is_a_parameter_error_and_holds_no_connection(pg_dsn: str) -> None:
    eng = PostgresEngine(pg_dsn, max_connections=1, acquire_timeout=5)
    try:
        with pytest.raises(ParameterError, match=":missing"):
            eng.start("SELECT :present, :missing", {"present": 1})
        assert run(eng, "SELECT 1 AS one").to_pylist() == [{"one": 1}]
    finally:
        eng.close()


# -- cancel and timeout ---------------------------------------------------------------------------


def consume_in_thread(execution: Execution) -> tuple[threading.Thread, dict[str, BaseException]]:
    outcome: dict[str, BaseException] = {}

    def consume() -> None:
        try:
            for _ in execution.batches():
                pass
        except BaseException as exc:
            outcome["error"] = exc

    thread = threading.Thread(target=consume, daemon=True)
    thread.start()
    return thread, outcome


def test_cancel_stops_the_query_on_the_server(engine: PostgresEngine, pg_admin: psycopg.Connection) -> None:
    execution = engine.start("SELECT pg_sleep(600) AS slept", {})
    pid = execution.backend_pid  # type: ignore[attr-defined]
    thread, outcome = consume_in_thread(execution)
    wait_for(lambda: backend_state(pg_admin, pid) == "active", "pg_sleep to run")

    execution.cancel()
    thread.join(WAIT_SECONDS)
    assert not thread.is_alive()
    assert isinstance(outcome.get("error"), Cancelled)
    # the backend is no longer running the statement (idle in its aborted transaction)
    assert backend_state(pg_admin, pid) != "active"
    execution.close()
    # and the connection goes back to the pool in a usable state
    assert run(engine, "SELECT 1 AS one").to_pylist() == [{"one": 1}]


def test_timeout_enforced_by_cancel_stops_the_server_too(engine: PostgresEngine, pg_admin: psycopg.Connection) -> None:
    """The service enforces statement timeouts by calling cancel() from a timer thread."""
    execution = engine.start("SELECT n, pg_sleep(600) FROM generate_series(1, 3) n", {})
    pid = execution.backend_pid  # type: ignore[attr-defined]
    timer = threading.Timer(0.2, execution.cancel)
    timer.start()
    with pytest.raises(Cancelled):
        list(execution.batches())
    timer.join()
    assert backend_state(pg_admin, pid) != "active"
    execution.close()


def test_cancel_before_the_first_fetch(engine: PostgresEngine) -> None:
    execution = engine.start("SELECT pg_sleep(600)", {})
    execution.cancel()
    with pytest.raises(Cancelled):
        list(execution.batches())
    execution.close()


# -- errors ---------------------------------------------------------------------------------------


def test_sql_error_position_is_in_the_statement_as_written(engine: PostgresEngine, things: str) -> None:
    # parameters (rewritten to $1, $2 before PostgreSQL sees them) and a literal % precede the error
    sql = "SELECT id,\n       :alpha AS a, :beta_long_name AS b, '100%' AS pct\n  FROM things\n WHERE nosuchcolumn > :alpha"
    with pytest.raises(SqlError) as caught:
        run(engine, sql, {"alpha": 1, "beta_long_name": 2})
    assert 'column "nosuchcolumn" does not exist' in caught.value.message
    assert "$1" not in caught.value.message  # no libpq excerpt of the rewritten text
    assert (caught.value.line, caught.value.column) == (4, 8)


def test_syntax_error_position(engine: PostgresEngine) -> None:
    with pytest.raises(SqlError) as caught:
        run(engine, "SELECT :a,\n  1 FROM WHERE", {"a": 1})
    assert "syntax error" in caught.value.message
    assert (caught.value.line, caught.value.column) == (2, 10)


def test_error_in_a_plain_statement_has_a_position_too(engine: PostgresEngine) -> None:
    execution = engine.start("EXPLAIN SELECT :a,\n   missing_col", {"a": 1})
    with pytest.raises(SqlError) as caught:
        list(execution.batches())
    execution.close()
    assert (caught.value.line, caught.value.column) == (2, 4)


def test_runtime_error_while_fetching(engine: PostgresEngine) -> None:
    with pytest.raises(SqlError, match="division by zero"):
        run(engine, "SELECT 1 / (n - 3) FROM generate_series(1, 5) n")


def test_position_map_aligns_rewritten_text() -> None:
    original = "SELECT :a, '%', :bb, :a\nFROM x WHERE"
    pyformat = "SELECT %(a)s, '%%', %(bb)s, %(a)s\nFROM x WHERE"  # params.bind(…, "pyformat")
    sent = "SELECT $1, '%', $2, $1\nFROM x WHERE"  # what PostgreSQL receives
    where = PositionMap(original, pyformat, prefix="DECLARE c CURSOR FOR ")
    for token in ("FROM", "WHERE", "'%'"):
        position = len("DECLARE c CURSOR FOR ") + sent.index(token) + 1
        offset = original.index(token)
        line = original.count("\n", 0, offset) + 1
        column = offset - (original.rfind("\n", 0, offset) + 1) + 1
        assert where.line_column(position) == (line, column), token
    assert where.line_column(len("DECLARE c CURSOR FOR ") + len(sent) + 1) == (2, 13)  # end of input


def test_first_keyword_skips_comments_and_parentheses() -> None:
    assert first_keyword("  -- hi\n /* c */ ((SELECT 1))") == "select"
    assert first_keyword("with x as (select 1) select * from x") == "with"
    assert first_keyword("EXPLAIN SELECT 1") == "explain"


# -- read-only and writes ---------------------------------------------------------------------


def test_read_only_by_default(engine: PostgresEngine, pg_admin: psycopg.Connection, things: str) -> None:
    with pytest.raises(StatementNotAllowed, match=r"INSERT statements are not allowed.*--allow-writes"):
        engine.start("INSERT INTO things (id) VALUES (99)", {})
    with pytest.raises(SqlError, match="read-only transaction"):
        run(engine, "WITH gone AS (DELETE FROM things RETURNING id) SELECT * FROM gone")
    with pytest.raises(SqlError, match="multiple commands"):
        run(engine, "SELECT 1; DELETE FROM things")
    assert pg_admin.execute("SELECT count(*) FROM things").fetchone() == (2,)


def test_writes_with_allow_writes(pg_superuser_dsn: str, pg_admin: psycopg.Connection) -> None:
    pg_admin.execute("CREATE TABLE notes (id int PRIMARY KEY, body text)")
    eng = PostgresEngine(pg_superuser_dsn, allow_writes=True)  # writes need a role that may write
    try:
        assert run(eng, "INSERT INTO notes VALUES (:id, :body)", {"id": 1, "body": "a"}).num_columns == 0
        table = run(eng, "INSERT INTO notes VALUES (2, 'b') RETURNING id, body")
        assert table.to_pylist() == [{"id": 2, "body": "b"}]
        # a data-modifying WITH cannot be a cursor; it still runs
        table = run(
            eng, "WITH moved AS (UPDATE notes SET body = upper(body) RETURNING id) SELECT count(*) AS n FROM moved"
        )
        assert table.to_pylist() == [{"n": 2}]
    finally:
        eng.close()
    assert pg_admin.execute("SELECT id, body FROM notes ORDER BY id").fetchall() == [(1, "A"), (2, "B")]


def test_plain_read_statements(engine: PostgresEngine) -> None:
    assert run(engine, "SHOW default_transaction_read_only").to_pylist() == [{"default_transaction_read_only": "on"}]
    plan = run(engine, "EXPLAIN SELECT * FROM generate_series(1, :n)", {"n": 10})
    assert plan.schema.names == ["QUERY PLAN"] and plan.num_rows >= 1


# -- streaming --------------------------------------------------------------------------------


def test_large_result_streams_in_bounded_batches(engine: PostgresEngine) -> None:
    rows = 200_000
    execution = engine.start("SELECT n AS id, md5(n::text) AS digest FROM generate_series(1, :rows) n", {"rows": rows})
    sizes: list[int] = []
    expected_next = 1
    try:
        for batch in execution.batches():
            sizes.append(batch.num_rows)
            ids = batch.column("id")
            assert ids[0].as_py() == expected_next
            expected_next += batch.num_rows
    finally:
        execution.close()
    assert sum(sizes) == rows
    assert max(sizes) <= engine.batch_rows
    assert len(sizes) >= rows // engine.batch_rows


def test_wide_rows_get_smaller_batches(pg_dsn: str) -> None:
    cap = 1 << 20
    eng = PostgresEngine(pg_dsn, batch_bytes=cap)
    try:
        execution = eng.start("SELECT n, repeat('x', 100000) AS blob FROM generate_series(1, 400) n", {})
        batches = list(execution.batches())
        execution.close()
    finally:
        eng.close()
    assert sum(b.num_rows for b in batches) == 400
    assert all(b.nbytes <= cap for b in batches[1:])  # the first fetch is small but not sized yet


# -- connections ------------------------------------------------------------------------------


def test_dead_pooled_connection_is_replaced(pg_dsn: str, pg_admin: psycopg.Connection) -> None:
    eng = PostgresEngine(pg_dsn, max_connections=1)
    try:
        pid = run(eng, "SELECT pg_backend_pid() AS pid").column("pid")[0].as_py()
        pg_admin.execute("SELECT pg_terminate_backend(%s)", [pid])
        wait_for(lambda: backend_state(pg_admin, pid) is None, "the backend to exit")
        again = run(eng, "SELECT pg_backend_pid() AS pid").column("pid")[0].as_py()
    finally:
        eng.close()
    assert again != pid


def test_pool_is_bounded(pg_dsn: str) -> None:
    eng = PostgresEngine(pg_dsn, max_connections=1, acquire_timeout=0.2)
    try:
        first = eng.start("SELECT 1 AS one", {})
        with pytest.raises(EngineError, match="busy"):
            eng.start("SELECT 2", {})
        first.close()
        assert run(eng, "SELECT 2 AS two").to_pylist() == [{"two": 2}]
    finally:
        eng.close()


def test_unreachable_server_is_a_source_error(tmp_path) -> None:
    with pytest.raises(SourceError, match="cannot connect"):
        PostgresEngine(f"postgresql://nobody@/nowhere?host={tmp_path}&connect_timeout=2")


def test_open_engine_dispatches_postgres_urls(pg_dsn: str) -> None:
    eng = open_engine(pg_dsn)
    try:
        assert isinstance(eng, PostgresEngine)
        assert eng.describe().endswith("(read-only)")
    finally:
        eng.close()
