"""A query that outgrows the DuckDB memory limit says so, and what can be done about it."""

from __future__ import annotations

import pytest

from tui.engines.base import SqlError
from tui.engines.duckdb import DuckDBEngine


def test_out_of_memory_names_the_limit_and_the_way_out():
    engine = DuckDBEngine(None, memory_limit="8MB", threads=1)
    try:
        execution = engine.start("SELECT range % 1000 AS k, list(range) FROM range(3000000) GROUP BY k ORDER BY k", {})
        with pytest.raises(SqlError) as failure:
            for _ in execution.batches():
                pass
    finally:
        engine.close()
    message = str(failure.value)
    assert message.startswith("Out of Memory Error")
    assert "this DuckDB may use 7.6 MiB memory, which the operator sets" in message
    assert "FOLIO_DUCKDB_MEMORY_LIMIT" in message and "SET memory_limit" not in message
