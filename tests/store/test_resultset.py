from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest

from tui.store.resultset import INDEX_FILE, QuotaExceeded, ResultWriter, load_index, read_rows

SCHEMA = pa.schema([pa.field("i", pa.int64()), pa.field("s", pa.string())])


def batch(start: int, n: int) -> pa.RecordBatch:
    return pa.RecordBatch.from_pydict(
        {"i": list(range(start, start + n)), "s": [f"r{k}" for k in range(start, start + n)]}, schema=SCHEMA
    )


def write(directory, sizes, chunk_rows=100):
    writer = ResultWriter(directory, SCHEMA, chunk_rows=chunk_rows)
    start = 0
    for n in sizes:
        writer.append(batch(start, n))
        start += n
    return writer


def test_rechunks_and_reads_any_slice(tmp_path):
    index = write(tmp_path / "r", [7, 250, 1, 93, 300]).finish()
    assert index.rows == 651
    assert [c.rows for c in index.chunks] == [100] * 6 + [51]
    loaded = load_index(tmp_path / "r")
    assert loaded.rows == 651 and loaded.schema == SCHEMA
    for offset, count in [(0, 1), (95, 10), (99, 2), (100, 100), (640, 50), (0, 651), (651, 5), (700, 1)]:
        table = read_rows(tmp_path / "r", loaded, offset, count)
        expected = list(range(offset, min(offset + count, 651)))
        assert table.column("i").to_pylist() == expected


def test_unfinished_result_has_no_index(tmp_path):
    writer = write(tmp_path / "r", [250])
    assert load_index(tmp_path / "r") is None
    assert writer.index.rows == 200  # flushed chunks are readable while running
    assert read_rows(tmp_path / "r", writer.index, 150, 100).num_rows == 50
    writer.finish()
    assert (tmp_path / "r" / INDEX_FILE).exists()


def test_empty_result(tmp_path):
    index = ResultWriter(tmp_path / "r", SCHEMA).finish()
    assert index.rows == 0 and load_index(tmp_path / "r").schema == SCHEMA
    assert read_rows(tmp_path / "r", index, 0, 10).num_rows == 0


def test_quota_is_checked_before_each_chunk(tmp_path):
    written = []

    def reserve(n):
        if sum(written) + n > 3000:
            raise QuotaExceeded("full")

    writer = ResultWriter(tmp_path / "r", SCHEMA, chunk_rows=100, reserve=reserve, account=written.append)
    with pytest.raises(QuotaExceeded):
        for k in range(50):
            writer.append(batch(k * 100, 100))
    assert 0 < len(written) < 50
    writer.abort()
    assert not (tmp_path / "r").exists()


def test_the_chunk_cache_bounds_mappings_as_well_as_bytes(tmp_path):
    from tui.store.resultset import _ChunkCache

    cache = _ChunkCache(capacity_bytes=1 << 30, capacity_chunks=5)
    paths = []
    for k in range(12):
        write(tmp_path / f"r{k}", [3]).finish()
        paths.append(tmp_path / f"r{k}" / "chunk-000000.arrow")
        assert cache.get(paths[-1]).num_rows == 3
    assert len(cache._items) == 5
    assert list(cache._items) == [str(p) for p in paths[-5:]]  # the most recently read stay


def test_chunks_are_fsynced_as_they_are_written_not_all_at_finish(tmp_path, monkeypatch):
    """COMPLETED waits for durability; doing it chunk by chunk while the query runs is what
    makes completion quick (a pass over ~1,200 chunks at the end lagged 1–3 s)."""
    from tui.store import resultset

    synced: list[str] = []
    real = resultset._fsync_path

    def recording(path, *, directory=False):
        synced.append(Path(path).name)
        real(path, directory=directory)

    monkeypatch.setattr(resultset, "_fsync_path", recording)
    batch = pa.record_batch({"x": pa.array(range(30), pa.int64())})
    writer = resultset.ResultWriter(tmp_path / "r", batch.schema, chunk_rows=10)
    writer.append(batch)
    resultset._SYNCER.submit(lambda: None).result()  # the background syncs queued so far are done
    assert synced == ["chunk-000000.arrow", "chunk-000001.arrow", "chunk-000002.arrow"]
    writer.finish()
    assert synced[3:] == [tmp_path.joinpath("r").name]  # only the directory, once the index is in


def test_a_backlog_of_chunk_fsyncs_is_settled_by_one_syncfs(tmp_path, monkeypatch):
    """When the disk fell behind the writer, finish syncs the filesystem once instead of
    waiting for the queued fsyncs one by one (10M rows: 2 s → 0.2 s to COMPLETED)."""
    import threading

    from tui.store import resultset

    if not resultset._syncfs(tmp_path):
        pytest.skip("no syncfs on this platform: finish waits for the queued fsyncs")
    release = threading.Event()
    monkeypatch.setattr(resultset, "_fsync_path", lambda path, *, directory=False: release.wait(30))
    batch = pa.record_batch({"x": pa.array(range(30), pa.int64())})
    writer = resultset.ResultWriter(tmp_path / "r", batch.schema, chunk_rows=10)
    try:
        writer.append(batch)
        monkeypatch.setattr(resultset, "_fsync_path", _real_fsync)  # the directory's own fsync in finish
        index = writer.finish()  # the syncer is still stuck on the first chunk
        assert index.complete and not release.is_set()
        assert load_index(tmp_path / "r") is not None
    finally:
        release.set()
        resultset._SYNCER.submit(lambda: None).result()


def _real_fsync(path, *, directory=False):
    import os

    fd = os.open(path, os.O_RDONLY | (os.O_DIRECTORY if directory else 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def test_a_failed_chunk_fsync_fails_the_result_however_many_chunks_follow(tmp_path, monkeypatch):
    """The writer forgets chunk syncs that succeeded as it goes (one per chunk), never one
    that failed: the result must not be COMPLETED over a chunk that may not be on disk."""
    from tui.store import resultset

    def failing_first(path, *, directory=False):
        if Path(path).name == "chunk-000000.arrow":
            raise OSError(5, "Input/output error", str(path))
        _real_fsync(path, directory=directory)

    monkeypatch.setattr(resultset, "_fsync_path", failing_first)
    writer = write(tmp_path / "r", [100], chunk_rows=10)
    resultset._SYNCER.submit(lambda: None).result()  # the first chunk's sync has failed
    for start in range(100, 300, 50):
        writer.append(batch(start, 50))  # more chunks, written after the failure was known
    with pytest.raises(OSError, match="Input/output error"):
        writer.finish()
    assert load_index(tmp_path / "r") is None
