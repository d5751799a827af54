"""tui.server.derived on its own: finding calls, and a parent that vanishes under a query."""

from __future__ import annotations

import shutil

import pyarrow as pa
import pytest

from tui.engines.base import SqlError
from tui.server.derived import DerivedEngine, DerivedError, StoredResult, find_calls
from tui.store.resultset import ResultWriter


def test_find_calls_skips_strings_comments_and_other_names():
    sql = "SELECT 'result(''a'')', x FROM RESULT('a''b') r /* result('c') */ JOIN result_rows ( 'd' ) USING (x)"
    calls = find_calls(sql)
    assert [(c.function, c.query_id) for c in calls] == [("result", "a'b"), ("result_rows", "d")]
    assert [sql[c.start : c.end] for c in calls] == ["RESULT('a''b')", "result_rows ( 'd' )"]
    assert find_calls("WITH result(a) AS (SELECT 1) SELECT * FROM result, s.result('x')") == []
    with pytest.raises(DerivedError):
        find_calls("SELECT * FROM result('a', 'b')")


def test_find_calls_counts_characters_not_bytes():
    # DuckDB's tokenizer gives byte offsets: text before the call that is not ASCII moved them
    sql = "SELECT \"réal\", '日本' AS \"ünï\" FROM result('a') WHERE x = 'ß'"
    calls = find_calls(sql)
    assert [(c.function, c.query_id) for c in calls] == [("result", "a")]
    assert sql[calls[0].start : calls[0].end] == "result('a')"
    with pytest.raises(DerivedError) as raised:
        find_calls("SELECT 'é'\nFROM  result('a', 'b')")
    assert (raised.value.line, raised.value.column) == (2, 7)


@pytest.mark.parametrize("function", ["result", "result_rows"])
def test_a_parent_dropped_while_read_is_said_so(tmp_path, function):
    writer = ResultWriter(tmp_path / "parent", pa.schema([("i", pa.int64())]), chunk_rows=10)
    writer.append(pa.record_batch([pa.array(range(100))], names=["i"]))
    index = writer.finish()
    engine = DerivedEngine(tmp_path / "spill")
    try:
        sql = f"SELECT sum(i) AS s FROM {function}('p')"
        query = engine.bind(sql, find_calls(sql), {"p": StoredResult("p", tmp_path / "parent", index)})
        execution = query.start(sql, {})
        shutil.rmtree(tmp_path / "parent")  # dropped before DuckDB read a chunk
        with pytest.raises(SqlError, match="result of query p was dropped or expired while this query read it"):
            list(execution.batches())
        execution.close()
    finally:
        engine.close()


def test_an_internal_error_is_said_without_its_stack_and_the_engine_opens_again(tmp_path):
    # A DECIMAL(38,0) holding 39 digits, without the HUGEINT type folio stores with it (so it
    # is read as the decimal it claims to be): DuckDB fails internally and, until the engine
    # is opened again, refuses every later statement, for every org
    import duckdb

    exported = duckdb.connect().sql(f"SELECT ({-(2**127) + 1})::HUGEINT - 1 AS h").arrow()
    table = exported.read_all() if isinstance(exported, pa.RecordBatchReader) else exported
    assert table.schema.field("h").type == pa.decimal128(38, 0)  # what DuckDB exports a HUGEINT as
    writer = ResultWriter(tmp_path / "parent", table.schema, chunk_rows=10)
    writer.append(table.to_batches()[0])
    sources = {"p": StoredResult("p", tmp_path / "parent", writer.finish())}
    engine = DerivedEngine(tmp_path / "spill")
    try:

        def run(sql: str) -> list:
            execution = engine.bind(sql, find_calls(sql), sources).start(sql, {})
            try:
                return [row for batch in execution.batches() for row in batch.to_pylist()]
            finally:
                execution.close()

        with pytest.raises(SqlError) as raised:
            run("SELECT h::VARCHAR AS t FROM result('p')")
        message = raised.value.message
        assert "INTERNAL" in message and "Stack Trace" not in message and str(tmp_path.anchor) + "work" not in message
        assert ".so" not in message and "Traceback" not in message
        assert run("SELECT count(*) AS n FROM result('p')") == [{"n": 1}]
    finally:
        engine.close()


def test_a_failing_stream_is_said_without_the_python_traceback():
    from tui.engines.duckdb import error_message

    raw = (
        "Invalid Input Error: reading the stream registered as 'x' failed: Type error: an integer is required. "
        'Detail: Python exception: Traceback (most recent call last):\n  File "/srv/tui/server/derived.py", '
        "line 208, in _numbered_batches\nTypeError: an integer is required"
    )
    assert error_message(Exception(raw)) == (
        "Invalid Input Error: reading the stream registered as 'x' failed: Type error: an integer is required."
    )
