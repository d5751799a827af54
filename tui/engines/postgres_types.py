"""PostgreSQL's types as Arrow: which Arrow type each column becomes, and how its values get there.

Types (PostgreSQL → Arrow), chosen to be exact
----------------------------------------------
* ``int2/int4/int8`` → ``int16/int32/int64``; ``oid`` → ``int64``; ``float4/float8`` → ``float64``;
  ``bool`` → ``bool``; ``text/varchar/bpchar/name`` → ``string``; ``bytea`` → ``binary`` (the
  server writes it as base64).
* ``numeric`` → **string**, the digits exactly as PostgreSQL prints them (``NaN`` and
  ``Infinity`` included). An unconstrained ``numeric`` has no fixed precision/scale, which an
  Arrow decimal needs, and a float would lose digits. ``money`` → string as well.
* ``timestamp`` → ``timestamp[us]``; ``timestamptz`` → ``timestamp[us, tz=UTC]`` (the same
  instant, served as ISO 8601 in UTC); ``date`` → ``date32``; ``time`` → ``time64[us]``;
  ``timetz`` → string (``12:00:00+02``). Values Python cannot hold (``infinity``, years
  beyond 9999 or BC) fail the query with PostgreSQL's message; cast them to text to read them.
* ``interval`` → string, an ISO 8601 duration written by PostgreSQL itself (the session runs
  with ``IntervalStyle = iso_8601``): ``P1Y2M3DT4H5M6.5S``. Exact, months included, which a
  Python ``timedelta`` could not hold. Side effect: ``interval::text`` in the user's SQL also
  gives ISO 8601 on folio's connections.
* ``uuid``, ``inet``, ``cidr``, ranges and every other type → string, PostgreSQL's own text.
* ``json/jsonb`` → string flagged as JSON (served as nested JSON); ``json[]/jsonb[]`` → one JSON
  array document, flagged the same way.
* Arrays → Arrow lists of the element type (one-dimensional; a multi-dimensional array fails
  the query with a clear message).
* Field metadata carries PostgreSQL's type name (``int4``, ``numeric``, ``timestamptz``,
  ``int4[]``, or ``format_type()`` for user types), which is what ``column_fields`` shows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import psycopg
import pyarrow as pa
from psycopg.types import TypeInfo
from psycopg.types.multirange import MultirangeInfo
from psycopg.types.range import RangeInfo
from psycopg.types.string import TextLoader

from tui.engines.base import SqlError, typed_field

#: PostgreSQL types with a native Arrow counterpart; every other type is a string
_ARROW_TYPES: dict[str, pa.DataType] = {
    "bool": pa.bool_(),
    "int2": pa.int16(),
    "int4": pa.int32(),
    "int8": pa.int64(),
    "oid": pa.int64(),
    "float4": pa.float64(),
    "float8": pa.float64(),
    "date": pa.date32(),
    "time": pa.time64("us"),
    "timestamp": pa.timestamp("us"),
    "timestamptz": pa.timestamp("us", tz="UTC"),
    "bytea": pa.binary(),
}
_JSON_TYPES = frozenset({"json", "jsonb"})
#: types psycopg would turn into Python objects (Decimal, timedelta, UUID, ip_address, Range,
#: tuple) that are read as PostgreSQL's text instead, which is exact and cheaper
_TEXT_TYPES = (
    "numeric",
    "money",
    "interval",
    "timetz",
    "uuid",
    "json",
    "jsonb",
    "inet",
    "cidr",
    "record",
)


def register_text_loaders(conn: psycopg.Connection[Any]) -> None:
    """Load :data:`_TEXT_TYPES` and all range types as ``str`` (arrays of them too: psycopg's
    array loader looks up the element loader in the same map)."""
    names = list(_TEXT_TYPES)
    names += [t.name for t in psycopg.adapters.types if isinstance(t, RangeInfo | MultirangeInfo)]
    for name in names:
        conn.adapters.register_loader(name, TextLoader)


@dataclass(frozen=True, slots=True)
class ResultColumn:
    """One result column: its PostgreSQL type and how its values become an Arrow array."""

    name: str
    type_name: str
    arrow: pa.DataType
    is_json: bool = False
    #: ``json[]``/``jsonb[]``: each value (a list of JSON texts) is joined into one JSON array
    json_array: bool = False

    def field(self) -> pa.Field:
        return typed_field(pa.field(self.name, self.arrow), self.type_name, is_json=self.is_json)

    def to_array(self, values: Sequence[Any]) -> pa.Array:
        if self.json_array:
            values = [None if v is None else _json_array_text(v) for v in values]
        try:
            return pa.array(values, type=self.arrow)
        except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, OverflowError) as exc:
            if pa.types.is_list(self.arrow) and any(_is_nested(v) for v in values):
                raise SqlError(
                    f"column {self.name!r} holds a multi-dimensional {self.type_name} array, which "
                    "folio cannot store; unnest it, or cast it to text or json"
                ) from None
            if pa.types.is_string(self.arrow):  # an unforeseen Python type: keep its text
                return pa.array([None if v is None else str(v) for v in values], type=pa.string())
            raise SqlError(f"column {self.name!r} ({self.type_name}): {exc}") from None


def _is_nested(value: Any) -> bool:
    return isinstance(value, list) and any(isinstance(item, list) for item in value)


def _json_array_text(value: Any) -> str:
    """A (possibly nested) list of JSON texts as the text of one JSON array."""
    if value is None:
        return "null"
    if isinstance(value, list):
        return "[" + ",".join(_json_array_text(item) for item in value) + "]"
    return str(value)


def _column_for(name: str, type_name: str, element: str | None) -> ResultColumn:
    """The column of PostgreSQL type ``type_name`` (``element`` for an array type)."""
    if element is None:
        arrow = _ARROW_TYPES.get(type_name, pa.string())
        return ResultColumn(name, type_name, arrow, is_json=type_name in _JSON_TYPES)
    if element in _JSON_TYPES:
        return ResultColumn(name, type_name, pa.string(), is_json=True, json_array=True)
    return ResultColumn(name, type_name, pa.list_(_ARROW_TYPES.get(element, pa.string())))


def describe_columns(
    conn: psycopg.Connection[Any], fields: Sequence[tuple[str, int]], *, rows_loaded: bool = False
) -> list[ResultColumn]:
    """Columns for ``(name, type oid)`` pairs; user-defined types are looked up in ``pg_type``.

    psycopg reads an array of a type it does not know (an enum's, say) as one string. Before
    any row is loaded the array type is registered on the connection so its values become
    lists; when the rows are already loaded (``rows_loaded``) the column stays a string.
    """
    registry = conn.adapters.types
    known: dict[int, tuple[str, str | None]] = {}  # oid -> (type name, element type name)
    unknown: list[int] = []
    for _, oid in fields:
        info = registry.get(oid)
        if info is None:
            unknown.append(oid)
        elif info.oid == oid:
            known[oid] = (info.name, None)
        else:  # psycopg files an array type under its element's TypeInfo
            known[oid] = (f"{info.name}[]", info.name)
    if unknown:
        rows = conn.execute(
            "SELECT t.oid::int8, format_type(t.oid, NULL), e.oid::int8, e.typname"
            " FROM pg_type t LEFT JOIN pg_type e ON e.oid = t.typelem AND t.typcategory = 'A'"
            " WHERE t.oid = ANY(%s::oid[])",
            [sorted(set(unknown))],
        ).fetchall()
        for oid, name, element_oid, element in rows:
            if element is not None and not rows_loaded:
                TypeInfo(element, int(element_oid), int(oid)).register(conn)
                known[int(oid)] = (str(name), element)
            else:
                known[int(oid)] = (str(name), None)
    return [_column_for(name, *known.get(oid, (str(oid), None))) for name, oid in fields]
