"""Streaming writers and the atomic output file, without a server."""

from __future__ import annotations

import csv
import io
import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tui.client.writers import (
    CsvWriter,
    ExportFormat,
    JsonlWriter,
    OutputError,
    ParquetWriter,
    atomic_output,
    check_writable,
    format_for_path,
)

ROWS = [
    {"a": 1, "b": None, "c": True, "d": {"x": [1, 2]}, "e": 'comma, "quote"\nnewline'},
    {"a": 2, "b": 2.5, "c": False, "d": None, "e": "ü"},
]


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("x.csv", "csv"),
        ("x.JSONL", "jsonl"),
        ("x.ndjson", "jsonl"),
        ("x.json", "jsonl"),
        ("x.parquet", "parquet"),
        ("x.pq", "parquet"),
        ("x.txt", None),
        ("x", None),
    ],
)
def test_format_from_extension(name, fmt):
    assert format_for_path(name) == (ExportFormat(fmt) if fmt else None)


def test_csv_from_json_rows():
    out = io.BytesIO()
    writer = CsvWriter(out)
    writer.write_rows(ROWS[:1], ["a", "b", "c", "d", "e"])
    writer.write_rows(ROWS[1:], ["a", "b", "c", "d", "e"])
    writer.close()
    rows = list(csv.reader(io.StringIO(out.getvalue().decode())))
    assert rows == [
        ["a", "b", "c", "d", "e"],
        ["1", "", "true", '{"x":[1,2]}', 'comma, "quote"\nnewline'],
        ["2", "2.5", "false", "", "ü"],
    ]
    assert writer.rows_written == 2


def test_csv_from_arrow_flattens_nested_columns():
    table = pa.table({"a": [1, 2], "s": [{"k": 1}, None], "l": [[1], []], "t": ["x", None]})
    out = io.BytesIO()
    writer = CsvWriter(out)
    writer.write_arrow(table)
    writer.write_arrow(table.slice(0, 1))
    writer.close()
    rows = list(csv.reader(io.StringIO(out.getvalue().decode())))
    assert rows[0] == ["a", "s", "l", "t"]
    assert rows[1] == ["1", '{"k":1}', "[1]", "x"]
    assert rows[2] == ["2", "", "[]", ""]
    assert len(rows) == 4 and writer.rows_written == 3


def test_jsonl_from_rows_and_arrow():
    out = io.BytesIO()
    writer = JsonlWriter(out)
    writer.write_rows(ROWS)
    writer.write_arrow(pa.table({"a": [3]}))
    writer.close()
    assert [json.loads(line) for line in out.getvalue().decode().splitlines()] == ROWS + [{"a": 3}]


def test_parquet_from_json_rows_types_from_the_first_page(tmp_path):
    path = tmp_path / "x.parquet"
    with open(path, "wb") as f:
        writer = ParquetWriter(f)
        writer.write_rows([{"a": 1, "b": None}], ["a", "b"])  # b has no type yet: string
        writer.write_rows([{"a": 2, "b": "later"}], ["a", "b"])
        writer.close()
    table = pq.read_table(path)
    assert table.to_pylist() == [{"a": 1, "b": None}, {"a": 2, "b": "later"}]
    assert table.schema.field("b").type == pa.string()


def test_parquet_from_json_rows_that_change_type_is_a_clear_error(tmp_path):
    with open(tmp_path / "x.parquet", "wb") as f:
        writer = ParquetWriter(f)
        writer.write_rows([{"a": 1}])
        with pytest.raises(ValueError, match="do not fit the column types"):
            writer.write_rows([{"a": {"nested": True}}])
        writer.close()


def test_atomic_output_renames_only_on_success(tmp_path):
    target = tmp_path / "out.csv"
    target.write_text("old")
    with pytest.raises(RuntimeError):
        with atomic_output(target) as stream:
            stream.write(b"half")
            raise RuntimeError("failed midway")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]
    with atomic_output(target) as stream:
        stream.write(b"new")
    assert target.read_text() == "new"
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]


def test_check_writable(tmp_path):
    check_writable(tmp_path / "fine.csv")
    with pytest.raises(OutputError, match="is a directory"):
        check_writable(tmp_path)
    with pytest.raises(OutputError, match="does not exist"):
        check_writable(tmp_path / "no" / "x.csv")
