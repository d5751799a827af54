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
