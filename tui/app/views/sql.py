"""SQL the app writes over a stored result: quoted identifiers, typed literals, and the derived
queries (filter, sort) built from them.

Pure functions, tested against real DuckDB: a filter on a value the grid shows must match
exactly the rows holding that value, whatever its type (strings with quotes, timestamps,
decimals, structs…). ``result()`` always runs in DuckDB, whatever engine produced the parent,
so the literals are DuckDB's.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any, Literal

#: the column ``result_rows()`` adds: the row's 0-based offset in the result it was read from
ROW_COLUMN = "folio_row"

_STRING_TYPE = re.compile(r"^(VARCHAR|TEXT|STRING|CHAR|BPCHAR|NAME)\b", re.I)
_INTEGER_TYPE = re.compile(r"^U?(TINY|SMALL|BIG|HUGE)?INT(EGER)?\d*$", re.I)
_INTEGER_TEXT = re.compile(r"^-?\d+$")
_ISO_DURATION = re.compile(
    r"^(?P<sign>-)?P(?:(?P<years>[\d.]+)Y)?(?:(?P<months>[\d.]+)M)?(?:(?P<weeks>[\d.]+)W)?(?:(?P<days>[\d.]+)D)?"
    r"(?:T(?:(?P<hours>[\d.]+)H)?(?:(?P<minutes>[\d.]+)M)?(?:(?P<seconds>[\d.]+)S)?)?$"
)


class LiteralError(ValueError):
    """A value the app cannot write as an exact SQL literal of its column's type."""


def quote_ident(name: str) -> str:
    """``name`` as a DuckDB identifier, whatever it holds (quotes, spaces, unicode, keywords)."""
    return '"' + name.replace('"', '""') + '"'


def quote_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def is_string_type(type_name: str) -> bool:
    return bool(_STRING_TYPE.match(type_name.strip()))


def literal(value: Any, type_name: str) -> str:
    """``value`` (as the client decoded it from a page) as a DuckDB expression of the column's
    type ``type_name``, equal to the stored value.

    Values arrive as JSON: strings for timestamps, dates, decimals, huge integers and UUIDs;
    base64 for blobs; ISO 8601 durations for intervals. Each is cast back to the column's own
    type, so the comparison is exact (a ``1.25`` decimal is not compared as a double)."""
    if value is None:
        return "NULL"
    type_name = type_name.strip()
    upper = type_name.upper()
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if _INTEGER_TYPE.match(type_name) and (
        isinstance(value, int) or (isinstance(value, str) and _INTEGER_TEXT.match(value))
    ):
        # an integer as a plain literal (a huge one arrives as text): DuckDB types it to fit,
        # and it compares exactly with any integer column, a stored HUGEINT included
        return str(value)
    if isinstance(value, str) and is_string_type(type_name):
        return quote_string(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise LiteralError(f"{value} has no exact literal")
        # repr is the shortest text that reads back as this very double
        return f"CAST({quote_string(repr(value))} AS {type_name})"
    if upper == "BLOB" and isinstance(value, str):
        return f"from_base64({quote_string(value)})"
    if upper == "INTERVAL" and isinstance(value, str):
        return f"CAST({quote_string(_interval_text(value))} AS INTERVAL)"
    if isinstance(value, (dict, list)):
        return f"CAST({_nested(value)} AS {type_name})"
    return f"CAST({quote_string(str(value))} AS {type_name})"


def _nested(value: Any) -> str:
    """A struct or list value as a DuckDB literal (its leaves cast by the enclosing CAST)."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, dict):
        return "{" + ", ".join(f"{quote_string(str(k))}: {_nested(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_nested(v) for v in value) + "]"
    return quote_string(str(value))


def _interval_text(text: str) -> str:
    """An ISO 8601 duration (``P1DT2H``, how intervals reach the client) as DuckDB interval text."""
    match = _ISO_DURATION.match(text)
    if match is None:
        return text
    parts = [f"{amount} {unit}" for unit, amount in match.groupdict().items() if unit != "sign" and amount]
    if not parts:
        return "0 seconds"
    sign = "-" if match.group("sign") else ""
    return " ".join(f"{sign}{part}" for part in parts)


def equals(column: str, type_name: str, value: Any) -> str:
    """The predicate "``column`` holds ``value``" (``IS NULL`` for a missing value)."""
    if value is None:
        return f"{quote_ident(column)} IS NULL"
    return f"{quote_ident(column)} = {literal(value, type_name)}"


def is_nested_type(type_name: str) -> bool:
    """A list, array, struct, map or union (shown, and counted by a frequency table, as JSON)."""
    name = type_name.strip().upper()
    return name.endswith("]") or name.startswith(("STRUCT", "MAP", "UNION", "LIST"))


def text_equals(column: str, type_name: str, text: str | None) -> str:
    """The predicate "``column`` reads as ``text``" (a frequency table's value label: DuckDB's
    text of the value, JSON for a nested one, as the service writes it)."""
    name = quote_ident(column)
    if text is None:
        return f"{name} IS NULL"
    if is_string_type(type_name):
        return f"{name} = {quote_string(text)}"
    if is_nested_type(type_name):
        return f"CAST(to_json({name}) AS VARCHAR) = {quote_string(text)}"
    return f"CAST({name} AS VARCHAR) = {quote_string(text)}"


def in_range(column: str, low: str, high: str) -> str:
    """``low <= column < high``; ``low`` and ``high`` are SQL literals the service wrote."""
    name = quote_ident(column)
    return f"{name} >= {low} AND {name} < {high}"


def source(query_id: str, *, numbered: bool) -> str:
    """Where a derived query reads its parent: ``result_rows()`` adds the row offset the first
    time; a parent that already carries one (itself derived) is read with ``result()``, so
    ``folio_row`` keeps pointing into the same original."""
    function = "result" if numbered else "result_rows"
    return f"{function}({quote_string(query_id)})"


def filter_sql(query_id: str, predicate: str, *, numbered: bool) -> str:
    # No ORDER BY: the parent's order is kept by the scan, and the first rows are stored (and
    # shown) while the rest are still being filtered.
    return f"SELECT * FROM {source(query_id, numbered=numbered)} WHERE ({predicate})"


def sort_sql(query_id: str, column: str, *, descending: bool, numbered: bool) -> str:
    direction = "DESC" if descending else "ASC"
    # ties keep the parent's order: the sort is stable
    return (
        f"SELECT * FROM {source(query_id, numbered=numbered)} "
        f"ORDER BY {quote_ident(column)} {direction} NULLS LAST, {quote_ident(ROW_COLUMN)}"
    )


def label_value(value: Any, type_name: str, limit: int = 30) -> str:
    """How a filter's value reads in the title path: strings quoted, other values as shown."""
    from tui.app.grid.cells import cell_text

    if value is None:
        return "NULL"
    text = quote_string(value) if isinstance(value, str) and is_string_type(type_name) else cell_text(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


# What filter_sql and sort_sql write, read back (a re-opened view finds its parent and label)
_VIEW_SQL = re.compile(
    r"^SELECT \* FROM (?P<function>result_rows|result)\('(?P<parent>(?:[^']|'')*)'\) "
    r"(?:WHERE \((?P<predicate>.*)\)"
    r'|ORDER BY (?P<column>"(?:[^"]|"")*") (?P<direction>ASC|DESC) NULLS LAST, "folio_row")$',
    re.S,
)
_PLAIN_NAME = re.compile(r'"([A-Za-z_][A-Za-z0-9_]*)"')
_STRING_LITERAL = re.compile(r"('(?:[^']|'')*')")


@dataclass(frozen=True)
class ViewSql:
    """A filter or sort the app wrote, as :func:`parse_view_sql` reads it back."""

    kind: Literal["filter", "sort"]
    #: the result it reads
    parent: str
    #: how it reads in the title path
    label: str


def parse_view_sql(sql: str) -> ViewSql | None:
    """The filter or sort ``sql`` is, when the app wrote it (None for any other SQL, such as a
    user's own ``result_rows()`` query, whose ``folio_row`` they asked for)."""
    match = _VIEW_SQL.match(sql or "")
    if match is None:
        return None
    parent = match["parent"].replace("''", "'")
    if match["predicate"] is not None:
        return ViewSql("filter", parent, _readable(match["predicate"]))
    column = match["column"][1:-1].replace('""', '"')
    arrow = "↓" if match["direction"] == "DESC" else "↑"
    return ViewSql("sort", parent, f"sorted by {column} {arrow}")


def _readable(predicate: str) -> str:
    """A predicate as a label: names that need no quotes lose them (never inside a string)."""
    parts = _STRING_LITERAL.split(predicate)
    return "".join(part if i % 2 else _PLAIN_NAME.sub(r"\1", part) for i, part in enumerate(parts))
