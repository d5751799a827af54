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
