"""The ADBC path of the PostgreSQL engine (tui/engines/postgres_adbc.py) against the real
server: the same values and types as the psycopg path, streaming in bounded batches, cancel
that stops the backend, read-only transactions and connections reset after each query."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator

import psycopg
import pyarrow as pa
import pytest

from tui.engines.base import Cancelled, SqlError, field_type_name, is_json_field
from tui.engines.postgres import PostgresEngine

WAIT_SECONDS = 30.0  # polling deadline for server-side state; never a performance assertion


@pytest.fixture(scope="module")
def engine(pg_dsn: str) -> Iterator[PostgresEngine]:
    eng = PostgresEngine(pg_dsn)
    yield eng
    eng.close()


@pytest.fixture(scope="module")
def psycopg_engine(pg_dsn: str) -> Iterator[PostgresEngine]:
    eng = PostgresEngine(pg_dsn, adbc=False)
    yield eng
    eng.close()


@pytest.fixture(scope="module")
def plain(pg_admin: psycopg.Connection) -> str:
    """Every type the ADBC path takes, with special values, plus an all-NULL row."""
    pg_admin.execute(
        """
        CREATE TABLE plain (
            id int4, small int2, big int8, price numeric, tiny numeric(4, 2), ratio float4, score float8,
            ok bool, label text, code varchar(8), flag char(3), nm name, at timestamp, at_tz timestamptz,
            day date, clock time, uid uuid, doc json, docb jsonb, raw bytea
        )
        """
    )
    pg_admin.execute(
        """
        INSERT INTO plain VALUES
        (1, 7, 9007199254740993, 12345678901234567890.123456789, 0.10, 1.5, 2.25, true, 'héllo', 'abc', 'x',
         'nm', '2024-01-02 03:04:05.123456', '2024-01-02 03:04:05+02', '2024-01-02', '12:34:56.5',
         'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{"a": [1, 2]}', '{"b": {"c": null}}', '\\xdeadbeef'),
        (2, -1, -2, 'NaN', -0.5, -0.0, 1e300, false, '', '', '', '', '1970-01-01', '0001-01-01 00:00:00+00',
         '9999-12-31', '00:00', '00000000-0000-0000-0000-000000000000', '[]', '"s"', '\\x'),
        (3, NULL, NULL, 'Infinity', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
         NULL, NULL, NULL, NULL),
        (4, NULL, NULL, '-Infinity', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
         NULL, NULL, NULL, NULL)
        """
    )
    return "plain"


def run(engine: PostgresEngine, sql: str, params: dict | None = None) -> tuple[pa.Table, bool]:
    """The result, and whether its rows came through ADBC."""
    execution = engine.start(sql, params or {})
    try:
        table = pa.Table.from_batches(list(execution.batches()), schema=execution.schema)
    finally:
        execution.close()
    return table, execution.through_adbc


def wait_for(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting for {what}")
        time.sleep(0.02)


def activity(admin: psycopg.Connection, pid: int) -> tuple[str, str] | None:
    row = admin.execute("SELECT state, query FROM pg_stat_activity WHERE pid = %s", [pid]).fetchone()
    return (row[0], row[1]) if row else None


def test_adbc_gives_exactly_what_psycopg_gives(engine, psycopg_engine, plain) -> None:
    sql = "SELECT * FROM plain ORDER BY id"
    fast, fast_adbc = run(engine, sql)
    slow, slow_adbc = run(psycopg_engine, sql)
    assert (fast_adbc, slow_adbc) == (True, False)
    assert fast.schema == slow.schema  # Arrow types and folio's metadata (type names, JSON flags)
    assert [field_type_name(f) for f in fast.schema][:4] == ["int4", "int2", "int8", "numeric"]
    assert [f.name for f in fast.schema if is_json_field(f)] == ["doc", "docb"]
    assert fast.to_pylist() == slow.to_pylist()
    assert fast.column("price").to_pylist() == [
        "12345678901234567890.123456789",
        "NaN",
        "Infinity",
        "-Infinity",
    ]
    assert fast.column("tiny").to_pylist()[:2] == ["0.10", "-0.50"]  # the scale is kept


def test_parameters_arrays_and_intervals_stay_with_psycopg(engine) -> None:
    # ADBC would collect a parameterised result whole and flatten multi-dimensional arrays
    assert not run(engine, "SELECT :n::int AS n", {"n": 1})[1]
    assert not run(engine, "SELECT ARRAY[1, 2] AS a")[1]
    assert not run(engine, "SELECT interval '1 day' AS i")[1]
    table, through_adbc = run(engine, "SELECT 1 AS one; -- a trailing comment")
    assert through_adbc and table.to_pylist() == [{"one": 1}]


def test_large_result_streams_in_bounded_batches(engine) -> None:
    rows = 300_000
    execution = engine.start(f"SELECT n AS id, md5(n::text) AS digest FROM generate_series(1, {rows}) n", {})
    sizes, expected_next = [], 1
    try:
        for batch in execution.batches():
            assert execution.through_adbc
            sizes.append(batch.num_rows)
            assert batch.column("id")[0].as_py() == expected_next
            expected_next += batch.num_rows
            assert batch.nbytes <= engine.batch_bytes
    finally:
        execution.close()
    assert sum(sizes) == rows and max(sizes) <= engine.batch_rows


def test_cancel_stops_the_copy_on_the_server(engine, pg_admin) -> None:
    execution = engine.start("SELECT n FROM generate_series(1, 3) n, LATERAL (SELECT pg_sleep(600)) s", {})
    outcome: dict[str, BaseException] = {}

    def consume() -> None:
        try:
            list(execution.batches())
        except BaseException as exc:
            outcome["error"] = exc

    thread = threading.Thread(target=consume, daemon=True)
    thread.start()
    wait_for(lambda: execution.through_adbc, "the rows to be handed to ADBC")
    pid = execution.backend_pid  # now ADBC's connection
    wait_for(lambda: (activity(pg_admin, pid) or ("", ""))[0] == "active", "the COPY to run")
    assert activity(pg_admin, pid)[1].startswith("COPY (")  # the rows come through ADBC's COPY
    execution.cancel()
    thread.join(WAIT_SECONDS)
    assert not thread.is_alive() and isinstance(outcome.get("error"), Cancelled)
    assert activity(pg_admin, pid)[0] != "active"
    execution.close()
    assert run(engine, "SELECT 1 AS one")[0].to_pylist() == [{"one": 1}]


def test_cancel_mid_stream_and_a_reader_that_stops_early(pg_dsn, pg_admin) -> None:
    eng = PostgresEngine(pg_dsn, max_connections=1, batch_bytes=1 << 16)
    try:
        execution = eng.start("SELECT n FROM generate_series(1, 100000000) n", {})
        batches = execution.batches()
        next(batches)
        execution.cancel()
        with pytest.raises(Cancelled):
            for _ in batches:
                pass
        execution.close()
        # a reader that stops early leaves a COPY open: that connection is replaced, not reused
        execution = eng.start("SELECT n FROM generate_series(1, 100000000) n", {})
        next(execution.batches())
        pid = execution.backend_pid  # ADBC's connection, in the middle of its COPY
        execution.close()
        table, _ = run(eng, "SELECT pg_backend_pid() AS pid")
        assert table.column("pid")[0].as_py() != pid
        wait_for(lambda: activity(pg_admin, pid) is None, "the abandoned backend to exit")
    finally:
        eng.close()


def test_runtime_error_is_postgres_message(engine) -> None:
    with pytest.raises(SqlError) as caught:
        run(engine, "SELECT 1 / (n - 3) AS x FROM generate_series(1, 5) n")
    assert caught.value.message == "division by zero"
    with pytest.raises(SqlError, match="infinity"):
        run(engine, "SELECT 'infinity'::timestamptz AS t")


def test_adbc_connections_are_read_only_and_reset_after_each_query(pg_dsn, pg_admin) -> None:
    pg_admin.execute("CREATE SEQUENCE IF NOT EXISTS adbc_seq")
    pg_admin.execute("GRANT USAGE ON SEQUENCE adbc_seq TO PUBLIC")
    eng = PostgresEngine(pg_dsn, max_connections=1)  # one connection: every query reuses it
    try:
        with pytest.raises(SqlError, match="read-only transaction"):
            run(eng, "SELECT nextval('adbc_seq') AS n")
        table, through_adbc = run(eng, "SELECT set_config('search_path', 'nowhere', false) AS s")
        assert through_adbc
        table, _ = run(eng, "SELECT current_setting('search_path') AS s")
        assert table.to_pylist() == [{"s": '"$user", public'}]
        with pytest.raises(SqlError, match="read-only transaction"):  # DISCARD ALL kept read-only mode
            run(eng, "SELECT set_config('default_transaction_read_only', 'off', false) AS s, nextval('adbc_seq') AS n")
        run(eng, "SELECT set_config('default_transaction_read_only', 'off', false) AS s")
        with pytest.raises(SqlError, match="read-only transaction"):
            run(eng, "SELECT nextval('adbc_seq') AS n")
    finally:
        eng.close()
