"""Column widths measured as chunks are written: the longest value over the whole result."""

from __future__ import annotations

import datetime

import pyarrow as pa

from tui.store.resultset import ResultWriter, load_index
from tui.store.widths import UNKNOWN, WIDEST, batch_widths, text_width


def test_text_width_of_each_kind_of_column():
    assert text_width(pa.array(["a", "héllo", None])) == 5
    assert text_width(pa.array([1, -12345, None])) == 6
    assert text_width(pa.array([1.5, 10.25])) == 5
    assert text_width(pa.array([True, None])) == 5
    assert text_width(pa.array([None, None], pa.bool_())) == UNKNOWN
    assert text_width(pa.array([datetime.date(2026, 1, 2)])) == 10
    assert text_width(pa.array(["x" * 1000])) == WIDEST
    # nested values are written as JSON by the app, which measures them itself
    assert text_width(pa.array([{"a": 1}])) == UNKNOWN
    assert text_width(pa.array([[1, 2]])) == UNKNOWN
    assert text_width(pa.array([None], pa.string())) == UNKNOWN


def test_the_index_keeps_the_widest_over_every_chunk_and_survives_a_reload(tmp_path):
    writer = ResultWriter(tmp_path / "r", pa.schema([("id", pa.int64()), ("s", pa.string())]), chunk_rows=100)
    for start in range(0, 1_000, 100):
        ids = list(range(start, start + 100))
        writer.append(pa.record_batch([pa.array(ids), pa.array(["x" * (i // 100) for i in ids])], names=["id", "s"]))
        # while it runs, the widths so far: they only grow
        assert writer.index.widths == [len(str(start + 99)), start // 100]
    index = writer.finish()
    assert index.widths == [3, 9]
    assert load_index(tmp_path / "r").widths == [3, 9]


def test_batch_widths_one_per_column():
    batch = pa.record_batch([pa.array([1]), pa.array(["ab"])], names=["a", "b"])
    assert batch_widths(batch) == [1, 2]


def test_a_width_measured_from_the_extremes_is_that_of_the_longest_value():
    """Integers, decimals and temporal values are measured by their smallest and largest only:
    the result is still the longest text of any value."""
    columns = [
        pa.array([5, -12345, 999, None]),
        pa.array([datetime.datetime(2026, 1, 2, 3, 4, 5, 6), None], pa.timestamp("us")),
        pa.array([datetime.datetime(1999, 12, 31, 23, 59, 59)], pa.timestamp("ns", tz="Europe/Paris")),
        pa.array([datetime.time(1, 2, 3), datetime.time(23, 0)]),
        pa.array([1, -20], pa.decimal128(12, 3)),
    ]
    for column in columns:
        assert text_width(column) == max(len(v) for v in column.cast(pa.string()).to_pylist() if v is not None)
