"""Streaming file writers for CSV, JSON Lines and Parquet, fed one page at a time.

Each writer takes pages either as Arrow tables (folio's bulk path) or as lists of JSON rows
(any Rockset-compatible server), writes them at once and keeps nothing, so memory is bounded by
one page whatever the size of the result.

Value conventions, the same from either input where the formats allow it:

* CSV: a header row; nulls are empty fields; nested values (structs, lists, JSON objects) are
  JSON text; booleans are ``true``/``false``.
* JSON Lines: one JSON object per row, as the API returns it.
* Parquet: from Arrow, the engine's own types, with each field's ``folio.type`` metadata kept;
  from JSON, the types of the first page (a column that is null throughout it becomes a string).
"""

from __future__ import annotations

import csv
import io
import json
import os
import stat
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime, time
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import IO, Any, Protocol

import orjson
import pyarrow as pa

__all__ = [
    "STDOUT",
    "CsvWriter",
    "ExportFormat",
    "JsonlWriter",
    "OutputError",
    "ParquetWriter",
    "RowWriter",
    "atomic_output",
    "check_writable",
    "format_for_path",
    "is_stream_target",
    "open_writer",
    "output_stream",
]


class OutputError(OSError):
    """The output file cannot be written; ``str()`` is one line naming the file and the reason."""


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc) or type(exc).__name__


#: the output name that means standard output (``-o -``)
STDOUT = "-"
#: where names stand for streams, not files: ``/dev/stdout``, ``/dev/fd/3``, ``/proc/self/fd/1``
_STREAM_DIRS = ("/dev/", "/proc/")


def is_stream_target(path: Path) -> bool:
    """Whether ``path`` is written through as a stream (standard output, a FIFO, a device) rather
    than replaced atomically: such a target cannot be renamed over, and whoever reads it
    expects the bytes to arrive there."""
    if str(path) == STDOUT:
        return True
    if os.path.abspath(path).startswith(_STREAM_DIRS):
        return True
    try:
        mode = os.stat(path).st_mode  # follows symlinks: the file a link points to decides
    except OSError:
        return False
    return not stat.S_ISREG(mode) and not stat.S_ISDIR(mode)


def check_writable(path: Path) -> None:
    """Fail early, before a query runs for minutes, if ``path`` obviously cannot be written."""
    if is_stream_target(path):
        if str(path) != STDOUT and not os.access(path, os.W_OK):
            raise OutputError(f"cannot write {path}: permission denied")
        return
    path = Path(os.path.realpath(path))
    if path.is_dir():
        raise OutputError(f"cannot write {path}: it is a directory")
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise OutputError(f"cannot write {path}: directory {parent} does not exist")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise OutputError(f"cannot write {path}: directory {parent} is not writable")
    if path.exists() and not os.access(path, os.W_OK):
        raise OutputError(f"cannot write {path}: permission denied")


def temp_path_for(path: Path) -> Path:
    """A hidden temporary name in the target's own directory, so the final rename is atomic."""
    return path.with_name(f".{path.name}.{os.getpid()}.part")


@contextmanager
def output_stream(path: Path) -> Iterator[IO[bytes]]:
    """Where an export or a listing is written: :func:`atomic_output` for a file, or the stream
    itself for standard output (``-``), a FIFO or a device, written through and never replaced."""
    if not is_stream_target(path):
        with atomic_output(path) as stream:
            yield stream
        return
    if str(path) == STDOUT:
        stream = os.fdopen(os.dup(1), "wb")
    else:
        try:
            stream = open(path, "wb")  # noqa: SIM115 - closed below on every path
        except OSError as exc:
            raise OutputError(f"cannot write {path}: {_reason(exc)}") from None
    try:
        yield stream
        stream.flush()
    except BrokenPipeError:
        raise OutputError(f"cannot write {path}: the reader went away (broken pipe)") from None
    finally:
        try:
            stream.close()
        except OSError:
            pass


@contextmanager
def atomic_output(path: Path) -> Iterator[IO[bytes]]:
    """A binary stream that becomes ``path`` only if the ``with`` block completes.

    Written under a temporary name beside ``path``, flushed and fsynced, then renamed over it;
    on any exception (including Ctrl-C and SIGTERM, which the commands turn into one) the
    temporary file is removed and ``path`` is untouched, so a failed export never leaves a
    truncated file that looks complete. A symlink is written through: the file it points to is
    replaced, the link stays. Exceptions from the block pass through unchanged; failures to
    create or finish the file are :class:`OutputError`.
    """
    path = Path(os.path.realpath(path))
    tmp = temp_path_for(path)
    try:
        stream = open(tmp, "wb")  # noqa: SIM115 - closed below on every path
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {_reason(exc)}") from None
    try:
        yield stream
    except BaseException:
        stream.close()
        tmp.unlink(missing_ok=True)
        raise
    try:
        stream.flush()
        os.fsync(stream.fileno())
        stream.close()
        os.replace(tmp, path)
    except OSError as exc:
        stream.close()
        tmp.unlink(missing_ok=True)
        raise OutputError(f"cannot write {path}: {_reason(exc)}") from None


class ExportFormat(str, Enum):
    CSV = "csv"
    JSONL = "jsonl"
    PARQUET = "parquet"


_SUFFIXES = {
    ".csv": ExportFormat.CSV,
    ".jsonl": ExportFormat.JSONL,
    ".ndjson": ExportFormat.JSONL,
    ".json": ExportFormat.JSONL,
    ".parquet": ExportFormat.PARQUET,
    ".pq": ExportFormat.PARQUET,
}


def format_for_path(path: str | Path) -> ExportFormat | None:
    """The format a file name asks for (``.csv``, ``.jsonl``/``.ndjson``/``.json``, ``.parquet``)."""
    return _SUFFIXES.get(Path(path).suffix.lower())


class RowWriter(Protocol):
    rows_written: int

    def write_arrow(self, table: pa.Table) -> None: ...
    def write_rows(self, rows: list[dict[str, Any]], columns: Sequence[str] = ()) -> None: ...
    def close(self) -> None: ...


def _json_default(value: Any) -> Any:
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).hex()
    raise TypeError(f"cannot write a {type(value).__name__} as JSON")


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=_json_default)


_ORJSON_OPTS = orjson.OPT_NAIVE_UTC | orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS


class _Nested:
    """Turns nested Arrow columns into JSON text with DuckDB's vectorised ``to_json``, because
    Arrow's CSV writer cannot write structs or lists and doing it per value in Python would
    cost more than the whole rest of the export."""

    def __init__(self) -> None:
        self._con: Any = None

    def flatten(self, table: pa.Table) -> pa.Table:
        nested = [f.name for f in table.schema if pa.types.is_nested(f.type) or pa.types.is_dictionary(f.type)]
        if not nested:
            return table
        if self._con is None:
            import duckdb

            self._con = duckdb.connect()
        columns = []
        for f in table.schema:
            quoted = '"' + f.name.replace('"', '""') + '"'
            if f.name in nested:
                columns.append(f"CAST(to_json({quoted}) AS VARCHAR) AS {quoted}")
            else:
                columns.append(quoted)
        return self._con.from_arrow(table).project(", ".join(columns)).to_arrow_table()

    def close(self) -> None:
        if self._con is not None:
            self._con.close()


class CsvWriter:
    def __init__(self, stream: IO[bytes]):
        self._stream = stream
        self._text: io.TextIOWrapper | None = None
        self._arrow_writer: Any = None
        self._csv: Any = None
        self._columns: list[str] | None = None
        self._nested = _Nested()
        self.rows_written = 0

    def write_arrow(self, table: pa.Table) -> None:
        import pyarrow.csv as pacsv

        table = self._nested.flatten(table)
        if self._arrow_writer is None:
            options = pacsv.WriteOptions(include_header=True, quoting_style="needed")
            self._arrow_writer = pacsv.CSVWriter(self._stream, table.schema, write_options=options)
        self._arrow_writer.write_table(table)
        self.rows_written += table.num_rows

    def write_rows(self, rows: list[dict[str, Any]], columns: Sequence[str] = ()) -> None:
        if self._csv is None:
            self._text = io.TextIOWrapper(self._stream, encoding="utf-8", newline="", write_through=True)
            self._columns = list(columns) or (list(rows[0]) if rows else [])
            self._csv = csv.writer(self._text, lineterminator="\n")
            self._csv.writerow(self._columns)
        assert self._columns is not None
        cols = self._columns
        self._csv.writerows([[_csv_cell(row.get(c)) for c in cols] for row in rows])
        self.rows_written += len(rows)

    def close(self) -> None:
        if self._arrow_writer is not None:
            self._arrow_writer.close()
        if self._text is not None:
            self._text.flush()
            self._text.detach()  # the stream belongs to the caller
        self._nested.close()


def _csv_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return _dumps(value)
    return value


class JsonlWriter:
    def __init__(self, stream: IO[bytes]):
        self._stream = stream
        self.rows_written = 0

    def write_rows(self, rows: list[dict[str, Any]], columns: Sequence[str] = ()) -> None:
        if rows:
            dumps = orjson.dumps
            self._stream.write(
                b"\n".join([dumps(row, default=_json_default, option=_ORJSON_OPTS) for row in rows]) + b"\n"
            )
        self.rows_written += len(rows)

    def write_arrow(self, table: pa.Table) -> None:
        self.write_rows(table.to_pylist())

    def close(self) -> None:
        pass


class ParquetWriter:
    def __init__(self, stream: IO[bytes]):
        self._stream = stream
        self._writer: Any = None
        self._schema: pa.Schema | None = None
        self.rows_written = 0

    def _write(self, table: pa.Table) -> None:
        import pyarrow.parquet as pq

        if self._writer is None:
            self._schema = table.schema
            self._writer = pq.ParquetWriter(self._stream, table.schema, compression="snappy")
        elif not table.schema.equals(self._schema, check_metadata=False):
            table = table.cast(self._schema)
        self._writer.write_table(table)
        self.rows_written += table.num_rows

    def write_arrow(self, table: pa.Table) -> None:
        self._write(table)

    def write_rows(self, rows: list[dict[str, Any]], columns: Sequence[str] = ()) -> None:
        if not rows:
            return
        if self._schema is None:
            table = pa.Table.from_pylist(rows)
            order = [c for c in columns if c in table.column_names] or table.column_names
            table = table.select(order)
            # A column null throughout the first page has no type yet; string is the one type
            # every later value can be written as.
            fields = [pa.field(f.name, pa.string()) if pa.types.is_null(f.type) else f for f in table.schema]
            table = table.cast(pa.schema(fields))
        else:
            try:
                table = pa.Table.from_pylist(rows, schema=self._schema)
            except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
                raise ValueError(
                    f"rows {self.rows_written}+ do not fit the column types of the first page ({exc}); "
                    "export to CSV or JSON Lines instead"
                ) from None
        self._write(table)

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
        elif self._schema is None:
            # An empty result is still a valid (empty) Parquet file.
            import pyarrow.parquet as pq

            pq.write_table(pa.table({}), self._stream)


def open_writer(fmt: ExportFormat, stream: IO[bytes]) -> RowWriter:
    if fmt is ExportFormat.CSV:
        return CsvWriter(stream)
    if fmt is ExportFormat.JSONL:
        return JsonlWriter(stream)
    return ParquetWriter(stream)
