"""DuckDB types whose Arrow export loses information, and how folio keeps it.

DuckDB exports ``UHUGEINT`` as a signed 128-bit decimal, so every value from 2^127 up comes out
negative, and ``TIME WITH TIME ZONE`` as a plain time, dropping the offset. Such columns are
read as text (DuckDB's own rendering: exact digits, ``12:34:56+05:30``) and ``UHUGEINT`` is
turned back into a number, a 39-digit decimal, which holds every value up to 2^128 - 1.
Only top-level columns are handled; inside a list or struct these types keep DuckDB's export.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa

_AS_TEXT = {"UHUGEINT", "TIME WITH TIME ZONE"}
_UHUGEINT = pa.decimal256(39, 0)


def lossless(relation: Any, type_names: list[str]) -> Any:
    """``relation``, or a projection of it that reads the lossy columns as text (by position,
    so duplicate column names do not matter)."""
    if not any(name in _AS_TEXT for name in type_names):
        return relation
    columns = [f"CAST(#{i} AS VARCHAR)" if name in _AS_TEXT else f"#{i}" for i, name in enumerate(type_names, 1)]
    return relation.project(", ".join(columns))


def arrow_type(type_name: str, exported: pa.DataType) -> pa.DataType:
    """The Arrow type folio stores for a column DuckDB exported as ``exported``."""
    return _UHUGEINT if type_name == "UHUGEINT" else exported


def restore(column: pa.Array, type_name: str) -> pa.Array:
    """A column as :func:`arrow_type` says it is stored."""
    return column.cast(_UHUGEINT) if type_name == "UHUGEINT" else column
