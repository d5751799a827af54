"""Pages bounded by bytes: the longest prefix of rows that fits, at least one row, and the same
cut whether the rows come from Arrow or from rendered chunk files."""

from __future__ import annotations

import json

import pyarrow as pa
import pytest

from tests.store.test_rendered import ROWS, Usage, table, write
from tui.store.jsonrows import documents_json, row_texts
from tui.store.pagebytes import documents_within, rows_within
from tui.store.resultset import read_rows


def row_sizes(rows: pa.Table) -> list[int]:
    return [len(text.as_py().encode()) for text in row_texts(rows)]


@pytest.mark.parametrize("max_bytes", [1, 50, 300, 1_000, 10_000, 100_000, None])
def test_the_longest_prefix_that_fits_and_never_an_empty_page(max_bytes):
    rows = table(0, ROWS)
    body, count = documents_within(rows, max_bytes)
    assert json.loads(body) == json.loads(documents_json(rows.slice(0, count)))
    sizes = row_sizes(rows)
    if max_bytes is None:
        assert count == ROWS
        return
    assert count >= 1
    assert count == 1 or len(body) <= max_bytes
    if count < ROWS:  # one more row would not have fitted
        assert sum(sizes[: count + 1]) + count + 2 > max_bytes


def test_a_page_within_the_bound_is_rendered_as_before():
    rows = table(0, 100)
    assert documents_within(rows, 16 * 1024 * 1024) == (documents_json(rows), 100)
    assert documents_within(rows.slice(0, 0), 10) == (b"[]", 0)


@pytest.mark.parametrize(("offset", "count"), [(0, ROWS), (95, 300), (150, 1), (640, 50)])
@pytest.mark.parametrize("max_bytes", [1, 400, 5_000, 40_000, None])
def test_rendered_files_cut_a_page_where_arrow_does(tmp_path, offset, count, max_bytes):
    index = write(tmp_path / "r")
    cache = Usage().cache()
    for chunk in cache.admit(tmp_path / "r", index, 1, ROWS - 1):
        cache.render(tmp_path / "r", chunk)
    for chunk in cache.admit(tmp_path / "r", index, 1, ROWS - 1):  # the first chunk, now read twice
        cache.render(tmp_path / "r", chunk)
    rendered = cache.page_within(tmp_path / "r", index, offset, count, max_bytes)
    assert rendered is not None
    body, taken = documents_within(read_rows(tmp_path / "r", index, offset, count), max_bytes)
    assert rendered.count == taken
    assert json.loads(rendered.json) == json.loads(body)

    measured = cache.page_within(tmp_path / "r", index, offset, count, max_bytes, read_limit=0)
    assert measured is not None and measured.count == taken and measured.json is None


def test_arrow_pages_keep_the_rows_whose_columns_fit():
    rows = table(0, ROWS)
    assert rows_within(rows, None).num_rows == ROWS
    assert rows_within(rows, 1).num_rows == 1
    cut = rows_within(rows, rows.nbytes // 3)
    assert 1 < cut.num_rows < ROWS
    assert cut.nbytes <= rows.nbytes // 3 < rows.slice(0, cut.num_rows + 1).nbytes
