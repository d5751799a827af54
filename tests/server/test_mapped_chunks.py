"""The chunks a service keeps memory-mapped for pages are bounded by its setting: a chunk
read is resident in the service's RSS while it stays mapped (tui.store.resultset.CHUNKS)."""

from __future__ import annotations

from tests.server.test_explore import run
from tests.server.test_queries import q
from tui.store.resultset import CHUNKS

SQL = "SELECT i, 'row ' || i AS text FROM range(100) t(i)"


def read_pages_of_three_chunks(svc) -> None:
    with svc.client() as http:
        query_id = run(http, SQL, max_initial_results=1)["query_id"]
        for offset in (0, 50, 90):  # chunks of 10 rows: three different chunks
            page = http.get(q(query_id) + "/pages", params={"offset": offset, "docs": 5})
            assert [row["i"] for row in page.json()["results"]] == list(range(offset, offset + 5))


def test_a_small_bound_keeps_only_the_last_chunk_mapped(service_factory):
    read_pages_of_three_chunks(service_factory(chunk_rows=10, mapped_chunk_bytes=1, page_fast_path=False))
    assert len(CHUNKS) == 1


def test_the_default_bound_keeps_the_chunks_read(service_factory):
    CHUNKS.resize(0)  # nothing left over from other tests
    read_pages_of_three_chunks(service_factory(chunk_rows=10, page_fast_path=False))
    assert len(CHUNKS) >= 3
