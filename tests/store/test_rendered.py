"""Rendered chunks: pages served from pre-rendered JSON equal pages rendered from Arrow, the
cache stays inside its bound and the quota, and it never outlives a restart."""

from __future__ import annotations

import datetime as dt
import json
import os

import pyarrow as pa
import pytest

from tests.conftest import FakeClock
from tui.store.jsonrows import documents_json
from tui.store.registry import QueryRecord
from tui.store.rendered import SUFFIX, RenderedChunks
from tui.store.resultset import QuotaExceeded, ResultWriter, read_rows
from tui.store.store import Store, directory_size, sql_size
from tui.wire import QueryStatus

SCHEMA = pa.schema(
    [
        pa.field("i", pa.int64()),
        pa.field("s", pa.string()),
        pa.field("f", pa.float64()),
        pa.field("ts", pa.timestamp("us", tz="UTC")),
        pa.field("tags", pa.list_(pa.string())),
        pa.field("point", pa.struct([pa.field("x", pa.int32()), pa.field("y", pa.int32())])),
    ]
)
ROWS = 651


def table(start: int, n: int) -> pa.Table:
    rows = range(start, start + n)
    return pa.table(
        {
            "i": list(rows),
            "s": [None if k % 7 == 0 else f'r{k} "quoted" \\ 漢字 🙂\n' for k in rows],
            "f": [k / 3 if k % 5 else float("nan") for k in rows],
            "ts": [dt.datetime(2026, 1, 1, tzinfo=dt.UTC) + dt.timedelta(seconds=k) for k in rows],
            "tags": [[str(k)] * (k % 3) for k in rows],
            "point": [{"x": k, "y": -k} if k % 4 else None for k in rows],
        },
        schema=SCHEMA,
    )


def write(directory, chunk_rows=100):
    writer = ResultWriter(directory, SCHEMA, chunk_rows=chunk_rows)
    for batch in table(0, ROWS).to_batches(max_chunksize=97):
        writer.append(batch)
    return writer.finish()


class Usage:
    """The store's side of the contract: a quota, and the bytes accounted against it."""

    def __init__(self, quota: int | None = None):
        self.quota = quota
        self.bytes = 0

    def reserve(self, n: int) -> None:
        if self.quota is not None and self.bytes + n > self.quota:
            raise QuotaExceeded("full")

    def account(self, n: int) -> None:
        self.bytes += n

    def release(self, n: int) -> None:
        self.bytes -= n

    def cache(self, capacity: int = 1 << 30) -> RenderedChunks:
        return RenderedChunks(capacity_bytes=capacity, reserve=self.reserve, account=self.account, release=self.release)


def read(cache: RenderedChunks, directory, index, offset: int, count: int) -> bytes | None:
    """A read as the service does it: served if rendered, else counted, with the chunks due
    rendered at once (the service hands them to a thread)."""
    page = cache.page(directory, index, offset, count)
    if page is None:
        for chunk in cache.admit(directory, index, offset, count):
            cache.render(directory, chunk)
    return page


def rendered_files(directory) -> dict[str, int]:
    return {p.name: p.stat().st_size for p in directory.iterdir() if p.name.endswith(SUFFIX)}


def test_a_chunk_read_from_inside_is_rendered_after_that_read(tmp_path):
    index = write(tmp_path / "r")
    cache = Usage().cache()
    assert read(cache, tmp_path / "r", index, 10, 20) is None  # answered from Arrow; rendered after
    assert list(rendered_files(tmp_path / "r")) == ["chunk-000000.arrow" + SUFFIX]
    page = read(cache, tmp_path / "r", index, 40, 20)
    assert page is not None
    assert json.loads(page) == json.loads(documents_json(read_rows(tmp_path / "r", index, 40, 20)))


def test_a_read_from_a_chunks_first_row_waits_for_another(tmp_path):
    index = write(tmp_path / "r")
    cache = Usage().cache()
    assert read(cache, tmp_path / "r", index, 0, 20) is None  # may be the start of a scan
    assert rendered_files(tmp_path / "r") == {}
    assert read(cache, tmp_path / "r", index, 0, 20) is None  # read again: not a scan
    assert list(rendered_files(tmp_path / "r")) == ["chunk-000000.arrow" + SUFFIX]


@pytest.mark.parametrize(
    ("offset", "count"),
    [(0, 1), (0, 100), (99, 2), (95, 10), (150, 300), (0, ROWS), (640, 50), (650, 1), (200, 100), (37, 513)],
)
def test_rendered_pages_equal_pages_rendered_from_arrow(tmp_path, offset, count):
    index = write(tmp_path / "r")
    cache = Usage().cache()
    read(cache, tmp_path / "r", index, 0, ROWS)
    read(cache, tmp_path / "r", index, 0, ROWS)
    page = read(cache, tmp_path / "r", index, offset, count)
    assert len(rendered_files(tmp_path / "r")) == 7
    expected = documents_json(read_rows(tmp_path / "r", index, offset, count))
    assert json.loads(page) == json.loads(expected)


def test_rendered_files_stay_within_their_bound_least_recently_read_go_first(tmp_path):
    index = write(tmp_path / "r")
    usage = Usage()
    probe = usage.cache()
    for _ in range(2):
        read(probe, tmp_path / "r", index, 0, 100)
    one_chunk = probe.nbytes
    probe.evict(one_chunk)
    usage.bytes = 0

    cache = usage.cache(capacity=int(one_chunk * 2.5))
    for first in (0, 100, 200, 0, 300):  # chunk 0 is read again before chunk 3 arrives
        for _ in range(2):
            read(cache, tmp_path / "r", index, first, 100)
    files = rendered_files(tmp_path / "r")
    assert sorted(files) == ["chunk-000000.arrow" + SUFFIX, "chunk-000003.arrow" + SUFFIX]
    assert cache.nbytes == usage.bytes == sum(files.values()) <= cache.capacity_bytes


def test_no_room_in_the_quota_means_no_rendering_and_pages_still_come(tmp_path):
    index = write(tmp_path / "r")
    usage = Usage(quota=1_000)
    cache = usage.cache()
    for _ in range(3):
        assert read(cache, tmp_path / "r", index, 0, 50) is None
    assert rendered_files(tmp_path / "r") == {} and usage.bytes == 0


def test_a_rendered_file_that_vanished_is_not_served(tmp_path):
    index = write(tmp_path / "r")
    cache = Usage().cache()
    read(cache, tmp_path / "r", index, 0, 10)
    read(cache, tmp_path / "r", index, 0, 10)
    assert cache.page(tmp_path / "r", index, 0, 10) is not None
    os.unlink(tmp_path / "r" / ("chunk-000000.arrow" + SUFFIX))
    assert cache.page(tmp_path / "r", index, 0, 10) is None


# -- in the store -------------------------------------------------------------------------


def store_result(store: Store, name: str, n: int) -> QueryRecord:
    record = QueryRecord(
        query_id=name,
        org="o",
        executed_by="u",
        sql="-",
        status=QueryStatus.COMPLETED,
        directory=store.new_directory_name(),
        submitted_at=FakeClock()(),
    )
    store.registry.insert(record)
    writer = store.writer(record, SCHEMA, on_chunk=lambda: None)
    writer.append(table(0, n).combine_chunks().to_batches()[0])
    writer.finish()
    return record


def read_twice(store: Store, record: QueryRecord) -> None:
    index = store.index(record)
    for _ in range(2):
        read(store.rendered, store.path(record), index, 0, index.rows)


def test_the_store_gives_rendered_pages_back_when_a_result_needs_room(tmp_path):
    probe = Store(tmp_path / "probe", clock=FakeClock(), chunk_rows=100)
    first = store_result(probe, "first", 500)
    result_bytes = probe.usage_bytes
    read_twice(probe, first)
    rendered_bytes = probe.rendered.nbytes
    probe.close()
    assert rendered_bytes > 0

    # room for two results, or for one result and its rendering, not for all three
    quota = 2 * result_bytes + rendered_bytes // 2
    store = Store(tmp_path / "store", clock=FakeClock(), chunk_rows=100, quota_bytes=quota)
    first = store_result(store, "first", 500)
    read_twice(store, first)
    assert store.rendered.nbytes > 0
    second = store_result(store, "second", 500)  # would not fit if the rendering stayed
    assert store.index(second).rows == 500
    assert store.usage_bytes <= quota
    on_disk = sum(directory_size(store.path(r)) for r in (first, second))
    assert store.usage_bytes == on_disk


def test_rendered_pages_do_not_survive_a_restart_and_go_with_their_result(tmp_path):
    store = Store(tmp_path / "store", clock=FakeClock(), chunk_rows=100)
    record = store_result(store, "q", 500)
    read_twice(store, record)
    assert rendered_files(store.path(record))
    store.close()

    store = Store(tmp_path / "store", clock=FakeClock(), chunk_rows=100)
    assert rendered_files(store.path(record)) == {}
    # the query's SQL counts too, found in the registry at start-up
    assert store.usage_bytes == directory_size(store.path(record)) + sql_size(record.sql)
    read_twice(store, record)
    assert store.usage_bytes == directory_size(store.path(record)) + sql_size(record.sql)
    store.drop(record)
    assert store.usage_bytes == 0 and store.rendered.nbytes == 0


def test_only_admit_counts_reads_and_hands_each_chunk_out_once(tmp_path):
    index = write(tmp_path / "r")
    cache = Usage().cache()
    for _ in range(3):
        assert cache.page(tmp_path / "r", index, 0, 10) is None
    assert cache.admit(tmp_path / "r", index, 0, 10) == []  # from the first row: remembered
    due = cache.admit(tmp_path / "r", index, 95, 10)
    assert [c.name for c in due] == ["chunk-000000.arrow"]  # chunk 1 is entered at its first row
    assert cache.admit(tmp_path / "r", index, 0, 10) == []  # already handed out
    assert cache.render(tmp_path / "r", due[0])
    assert cache.page(tmp_path / "r", index, 0, 10) is not None
    assert cache.admit(tmp_path / "r", index, 0, 10) == []
    assert cache.admit(tmp_path / "r", index, ROWS, 10) == []  # past the end: nothing to render


def test_a_scan_reading_a_chunk_in_pieces_does_not_get_it_rendered(tmp_path):
    index = write(tmp_path / "r")
    cache = Usage().cache()
    for offset in range(0, ROWS, 60):  # pages that straddle chunk boundaries, in order
        assert read(cache, tmp_path / "r", index, offset, 60) is None
    assert rendered_files(tmp_path / "r") == {}
    read(cache, tmp_path / "r", index, 130, 10)  # going back is a second read
    assert list(rendered_files(tmp_path / "r")) == ["chunk-000001.arrow" + SUFFIX]


def test_rendered_pages_of_edge_values_and_repeated_names_equal_the_reference(tmp_path):
    from tui.engines.duckdb import DuckDBEngine
    from tui.store.jsonrows import dumps, to_documents

    sql = """SELECT i AS a, i + 1 AS a, i + 2 AS a, 170141183460469231731687303715884105728::UHUGEINT + i::UHUGEINT AS u,
      '12:34:56+05:30'::TIMETZ AS t, CASE i % 3 WHEN 0 THEN 'nan' WHEN 1 THEN 'inf' ELSE '-inf' END::DOUBLE AS f,
      MAP {[i, i]: {'k': 'nan'::DOUBLE}} AS m FROM range(250) r(i)"""
    execution = DuckDBEngine().start(sql, {})
    batches = list(execution.batches())
    writer = ResultWriter(tmp_path / "r", execution.schema, chunk_rows=100)
    for batch in batches:
        writer.append(batch)
    index = writer.finish()
    assert index.schema.names == ["a", "a_1", "a_2", "u", "t", "f", "m"]
    cache = Usage().cache()
    read(cache, tmp_path / "r", index, 0, 250)
    read(cache, tmp_path / "r", index, 0, 250)
    page = read(cache, tmp_path / "r", index, 10, 200)
    assert page is not None  # served from the rendered files
    reference = json.loads(dumps(to_documents(read_rows(tmp_path / "r", index, 10, 200))))
    assert json.loads(page) == reference
    assert reference[0] == {
        "a": 10,
        "a_1": 11,
        "a_2": 12,
        "u": "170141183460469231731687303715884105738",
        "t": "12:34:56+05:30",
        "f": "Infinity",
        "m": {"[10,10]": {"k": "NaN"}},
    }
