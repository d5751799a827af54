from __future__ import annotations

import threading

import pytest

from tui.engines import SourceError, open_engine
from tui.engines.base import Cancelled, SqlError, field_type_name, is_json_field
from tui.engines.demo import ensure_demo
from tui.engines.duckdb import DuckDBEngine, error_position
from tui.engines.statements import StatementNotAllowed


def test_streams_bounded_batches_with_type_names():
    execution = DuckDBEngine().start("SELECT i, '{}'::JSON AS j FROM range(50000) t(i)", {})
    sizes = [b.num_rows for b in execution.batches()]
    assert sum(sizes) == 50000 and max(sizes) <= 8192
    assert [field_type_name(f) for f in execution.schema] == ["BIGINT", "JSON"]
    assert is_json_field(execution.schema.field("j"))


def test_parameters_are_bound():
    execution = DuckDBEngine().start("SELECT :x || '!' AS y", {"x": "'; DROP"})
    assert next(execution.batches()).to_pylist() == [{"y": "'; DROP!"}]


def test_cancel_interrupts_a_blocking_query():
    execution = DuckDBEngine().start("SELECT count(*) FROM range(100000000000)", {})
    threading.Timer(0.3, execution.cancel).start()
    with pytest.raises(Cancelled):  # a count over 1e11 rows would run for minutes
        list(execution.batches())


def test_error_positions():
    with pytest.raises(SqlError) as err:
        DuckDBEngine().start("SELECT 1,\n  2 FRO x", {})
    assert (err.value.line, err.value.column) == (2, 9)
    long_line = "SELECT " + "x, " * 40 + " FROM  WHERE"
    shown = "LINE 1: ..., x,  FROM  WHERE"
    message = f"Parser Error\n\n{shown}\n" + " " * shown.index("WHERE") + "^^^^^"
    assert error_position(message, long_line) == (1, long_line.index("WHERE") + 1)
    assert error_position("no position here", "SELECT") == (None, None)


def test_read_only_database_refuses_writes(tmp_path):
    path = tmp_path / "db.duckdb"
    writer = DuckDBEngine(path, allow_writes=True)
    execution = writer.start("CREATE TABLE t AS SELECT 1 AS a", {})
    list(execution.batches())
    execution.close()
    writer.close()
    with pytest.raises(StatementNotAllowed, match=r"INSERT statements are not allowed.*--allow-writes"):
        DuckDBEngine(path).start("INSERT INTO t VALUES (2)", {})


def test_open_engine_by_source(tmp_path):
    csv = tmp_path / "people.csv"
    csv.write_text("name,age\nada,36\n")
    execution = open_engine(str(csv)).start("SELECT * FROM data", {})
    assert next(execution.batches()).to_pylist() == [{"name": "ada", "age": 36}]
    with pytest.raises(SourceError, match="no such file"):
        open_engine(str(tmp_path / "missing.parquet"))
    with pytest.raises(SourceError, match="cannot tell"):
        open_engine(str(tmp_path / "notes.txt"))


def test_demo_has_mixed_types_and_is_cached(tmp_path):
    path = ensure_demo(1000, tmp_path)
    assert ensure_demo(1000, tmp_path) == path
    execution = DuckDBEngine(path).start("SELECT * FROM _events", {})
    rows = [r for b in execution.batches() for r in b.to_pylist()]
    assert len(rows) == 1000
    assert len(execution.schema) >= 8
    assert any(r["amount"] is None for r in rows) and any(r["amount"] is not None for r in rows)
    assert isinstance(rows[0]["session"], dict) and isinstance(rows[0]["tags"], list)
    same = DuckDBEngine(path).start("SELECT count(*) AS n FROM commons._events", {})
    assert next(same.batches()).to_pylist() == [{"n": 1000}]


def test_arrow_data_registered_for_one_statement_is_readable_in_the_sandbox():
    import pyarrow as pa
    import pyarrow.dataset as ds

    engine = DuckDBEngine()
    execution = engine.start("SELECT sum(x) AS s FROM stored", {})
    execution.register("stored", ds.dataset(pa.table({"x": [1, 2, 3]})))
    assert next(execution.batches()).to_pylist() == [{"s": 6}]
    execution.close()
    with pytest.raises(SqlError, match="stored"):  # another statement does not see it
        list(engine.start("SELECT * FROM stored", {}).batches())


def _setting(engine: DuckDBEngine, name: str) -> str:
    execution = engine.start(f"SELECT current_setting('{name}') AS v", {})
    try:
        return next(iter(execution.batches())).column(0)[0].as_py()
    finally:
        execution.close()


def test_memory_limit_and_threads_reach_duckdb(tmp_path):
    """The app's embedded engine is bounded (DuckDB's buffer pool otherwise keeps what it read
    of a database, up to 80 % of RAM)."""
    engine = open_engine(None, duckdb_config={"memory_limit": "64MB", "threads": 1})
    assert str(_setting(engine, "threads")) == "1"
    assert _setting(engine, "memory_limit") == "61.0 MiB"  # 64 MB, as DuckDB spells it
    default = DuckDBEngine()
    assert _setting(default, "memory_limit") != "61.0 MiB"  # folio serve keeps the default


@pytest.mark.parametrize("database", ["memory", "file"])
def test_an_internal_error_is_said_without_its_stack_and_the_database_opens_again(tmp_path, database):
    """DuckDB invalidates its whole database after some internal errors: every later query, of
    every org, failed until the service was restarted. (A database file must be closed before it
    is opened again: DuckDB hands its path the instance already open.)"""
    import duckdb
    import pyarrow as pa
    import pyarrow.parquet as pq

    # a DECIMAL(38,0) holding 39 digits (DuckDB's own export of the smallest HUGEINT): casting
    # it to text is an internal error in DuckDB
    exported = duckdb.connect().sql(f"SELECT ({-(2**127) + 1})::HUGEINT - 1 AS h").arrow()
    table = exported.read_all() if isinstance(exported, pa.RecordBatchReader) else exported
    pq.write_table(table, tmp_path / "wide.parquet")
    if database == "file":  # a database file is read-only: the Parquet file is read by path
        path = tmp_path / "source.duckdb"
        with duckdb.connect(str(path)) as setup:
            setup.execute("CREATE TABLE kept AS SELECT 7 AS n")
        engine = DuckDBEngine(path, allow_dirs=[tmp_path])
        wide, kept = f"'{tmp_path / 'wide.parquet'}'", "SELECT n FROM kept"
    else:  # in memory: the Parquet file is a view, which must be made again
        engine = DuckDBEngine(file_views={"wide": tmp_path / "wide.parquet"})
        wide, kept = "wide", "SELECT 7 AS n"

    def run(sql: str) -> list[dict]:
        execution = engine.start(sql, {})
        try:
            return [row for batch in execution.batches() for row in batch.to_pylist()]
        finally:
            execution.close()

    try:
        with pytest.raises(SqlError) as raised:
            run(f"SELECT h::VARCHAR AS t FROM {wide}")
        message = raised.value.message
        assert "INTERNAL" in message and "Stack Trace" not in message and "Traceback" not in message
        assert ".so" not in message  # no native frames, which named the server's paths
        assert run("SELECT 1 AS one") == [{"one": 1}]
        assert run(kept) == [{"n": 7}]  # the database file's tables are there again
        assert run(f"SELECT count(*) AS n FROM {wide}") == [{"n": 1}]  # and the view over the file
    finally:
        engine.close()
