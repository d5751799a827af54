"""The registry's memory of finished queries: never stale, never another org's."""

from __future__ import annotations

from tests.conftest import FakeClock
from tui.store.registry import QueryRecord, Registry
from tui.wire import QueryStatus


def record(query_id: str, status: QueryStatus, org: str = "a") -> QueryRecord:
    return QueryRecord(
        query_id=query_id,
        org=org,
        executed_by="u",
        sql="SELECT 1",
        status=status,
        directory=query_id,
        submitted_at=FakeClock()(),
    )


def test_a_finished_query_read_twice_is_the_same_and_a_copy(tmp_path):
    registry = Registry(tmp_path / "r.sqlite3")
    registry.insert(record("q", QueryStatus.COMPLETED))
    first = registry.get("q", "a")
    first.status = QueryStatus.ERROR  # a caller's change of its copy
    assert registry.get("q", "a").status is QueryStatus.COMPLETED
    assert registry.get("q", "b") is None  # another org: as if it did not exist
    assert registry.get("q") is not None


def test_writes_are_seen_at_once(tmp_path):
    registry = Registry(tmp_path / "r.sqlite3")
    registry.insert(record("q", QueryStatus.RUNNING))
    running = registry.get("q", "a")
    assert running.status is QueryStatus.RUNNING
    running.status = QueryStatus.COMPLETED
    running.row_count = 7
    registry.save(running)
    assert registry.get("q", "a").row_count == 7
    done = registry.get("q", "a")
    done.row_count = 8
    registry.save(done)  # a finished query saved again (recovery does this)
    assert registry.get("q", "a").row_count == 8
    registry.delete("q")
    assert registry.get("q", "a") is None and registry.get("q") is None


def test_a_registry_from_before_derived_from_is_migrated(tmp_path):
    import sqlite3

    path = tmp_path / "registry.sqlite3"
    old = sqlite3.connect(path)
    old.executescript(
        """
        CREATE TABLE queries (
            query_id TEXT PRIMARY KEY, org TEXT NOT NULL, executed_by TEXT NOT NULL, sql TEXT NOT NULL,
            status TEXT NOT NULL, directory TEXT NOT NULL, submitted_at REAL NOT NULL, started_at REAL,
            finished_at REAL, expires_at REAL, row_count INTEGER, byte_size INTEGER, file_count INTEGER,
            elapsed_ms INTEGER, error TEXT, columns TEXT
        );
        INSERT INTO queries (query_id, org, executed_by, sql, status, directory, submitted_at)
        VALUES ('old:q:0', 'org', 'u', 'SELECT 1', 'COMPLETED', 'd', 0);
        """
    )
    old.close()
    registry = Registry(path)
    try:
        assert registry.get("old:q:0").derived_from is None
        child = QueryRecord(
            query_id="new:q:0",
            org="org",
            executed_by="u",
            sql="SELECT * FROM result('old:q:0')",
            status=QueryStatus.QUEUED,
            directory="e",
            submitted_at=FakeClock()(),
            derived_from="old:q:0",
        )
        registry.insert(child)
        assert registry.get("new:q:0").derived_from == "old:q:0"
    finally:
        registry.close()
    Registry(path).close()  # opening a migrated registry again changes nothing
