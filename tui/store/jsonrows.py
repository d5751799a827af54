"""Arrow rows as JSON documents, the way the Rockset API returns them.

Every row becomes a JSON object (the official client requires objects). Conversions, chosen
to be exact and plain (no ``__rockset_type`` wrappers, which the client would try to parse):

* integers → JSON integers; decimals with scale 0 and at most 18 digits (e.g. HUGEINT values
  that fit) → JSON integers; every other decimal (PostgreSQL numeric…) → a string, so no digit
  is lost;
* timestamps → ISO 8601 (``Z`` when the column has a time zone), dates and times ISO;
* intervals → ISO 8601 durations (``P1M2DT3H``); binary → base64;
* JSON columns (flagged by the engine) → nested JSON, not a string;
* structs and maps → objects, lists → arrays; a map key that is not a string becomes its JSON
  text (``1`` → ``"1"``, ``[1, 2]`` → ``"[1,2]"``), so a map with list or struct keys is still an
  object;
* NaN and ±Infinity → the strings ``"NaN"``, ``"Infinity"`` and ``"-Infinity"``: JSON has no such
  numbers, and ``null`` would make them indistinguishable from SQL NULL. (The spellings are
  JavaScript's and Python's ``float()`` reads them back.)

Rendering a page is the hot path of the service, so it is done column by column with Arrow
compute kernels: each column becomes an array of JSON fragments, rows are joined element-wise,
and no Python object is made per value. Types without a kernel path (binary, intervals, JSON
columns) fall back to rendering their values one by one with orjson; :func:`to_documents` is
that reference path for a whole table, and the tests check the two agree.
"""

from __future__ import annotations

import base64
import datetime as dt
from decimal import Decimal
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.compute as pc

from tui.engines.base import is_json_field
from tui.store.literals import int32s, int64, null_text, repeated, texts
from tui.store.literals import text as _text  # many locals here are called ``text``

_OPTIONS = orjson.OPT_NON_STR_KEYS
_INT_MIN, _UINT_MAX = -(2**63), 2**64 - 1
_INTEGRAL_DIGITS = 18


# ---------------------------------------------------------------------------------------------
# Scalars (the reference path, and the fallback for types Arrow cannot render)


def iso_duration(months: int = 0, days: int = 0, nanoseconds: int = 0) -> str:
    negative = months < 0 or days < 0 or nanoseconds < 0
    positive = months > 0 or days > 0 or nanoseconds > 0
    sign = "-" if negative and not positive else ""
    months, days, nanoseconds = abs(months), abs(days), abs(nanoseconds)
    years, months = divmod(months, 12)
    date_part = "".join(f"{v}{u}" for v, u in ((years, "Y"), (months, "M"), (days, "D")) if v)
    seconds, nanos = divmod(nanoseconds, 1_000_000_000)
    hours, seconds = divmod(seconds, 3600)
    minutes, seconds = divmod(seconds, 60)
    secs = f"{seconds}.{nanos:09d}".rstrip("0").rstrip(".") if nanos else (str(seconds) if seconds else "")
    time_part = "".join(f"{v}{u}" for v, u in ((hours, "H"), (minutes, "M")) if v) + (f"{secs}S" if secs else "")
    text = "P" + date_part + (("T" + time_part) if time_part else "")
    return sign + (text if text != "P" else "PT0S")


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        exponent = value.as_tuple().exponent
        if value.is_finite() and isinstance(exponent, int) and exponent >= 0:
            digits = len(value.as_tuple().digits) + exponent
            if digits <= _INTEGRAL_DIGITS:
                return int(value)
        return str(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return base64.b64encode(bytes(value)).decode()
    if isinstance(value, dt.timedelta):
        return iso_duration(days=value.days, nanoseconds=(value.seconds * 1_000_000 + value.microseconds) * 1000)
    if hasattr(value, "months") and hasattr(value, "days") and hasattr(value, "nanoseconds"):
        return iso_duration(value.months, value.days, value.nanoseconds)
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    return str(value)


def dumps(value: Any) -> bytes:
    """JSON bytes for a response body; understands everything :func:`to_documents` yields."""
    try:
        return orjson.dumps(value, default=_default, option=_OPTIONS)
    except TypeError:
        # an integer beyond 64 bits: exact, as a string
        return orjson.dumps(_big_ints_as_text(value), default=_default, option=_OPTIONS)


def _big_ints_as_text(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value if _INT_MIN <= value <= _UINT_MAX else str(value)
    if isinstance(value, dict):
        return {k: _big_ints_as_text(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_big_ints_as_text(v) for v in value]
    return value


def _json_text(text: str | None) -> Any:
    """A JSON column's value: nested JSON when it parses, else the text itself."""
    if text is None:
        return None
    try:
        orjson.loads(text)
    except orjson.JSONDecodeError:
        return text
    return orjson.Fragment(text)


def float_value(value: float) -> float | str:
    """A float as it goes into JSON: itself, or the name of a non-finite value."""
    if value - value == 0:
        return value
    return "NaN" if value != value else ("Infinity" if value > 0 else "-Infinity")


def _map_key(key: Any) -> str:
    """A map key as an object key: strings as they are, anything else as its JSON text."""
    if isinstance(key, str):
        return key
    text = dumps(key).decode()
    return orjson.loads(text) if text.startswith('"') else text


def _needs_walk(type_: pa.DataType) -> bool:
    """Whether values of ``type_`` contain floats or maps, which ``to_pylist`` leaves as
    Python would (NaN, lists of pairs) rather than as folio's JSON has them."""
    if pa.types.is_floating(type_) or pa.types.is_map(type_):
        return True
    if pa.types.is_struct(type_):
        return any(_needs_walk(f.type) for f in type_)
    if pa.types.is_list(type_) or pa.types.is_large_list(type_) or pa.types.is_fixed_size_list(type_):
        return _needs_walk(type_.value_type)
    return False


def _walk(value: Any, type_: pa.DataType) -> Any:
    if value is None:
        return None
    if pa.types.is_floating(type_):
        return float_value(value)
    if pa.types.is_map(type_):
        return {_map_key(_walk(k, type_.key_type)): _walk(v, type_.item_type) for k, v in value}
    if pa.types.is_struct(type_):
        return {f.name: _walk(value.get(f.name), f.type) for f in type_}
    if pa.types.is_list(type_) or pa.types.is_large_list(type_) or pa.types.is_fixed_size_list(type_):
        return [_walk(v, type_.value_type) for v in value]
    return value


def _python_values(column: pa.ChunkedArray | pa.Array, field: pa.Field) -> list[Any]:
    if pa.types.is_timestamp(field.type) or pa.types.is_date(field.type) or pa.types.is_time(field.type):
        # text made by Arrow, and never the column's own Python values: a zoned or nanosecond
        # timestamp's makes pyarrow import pandas (tui.store.literals)
        return _temporal_text(column, field.type).to_pylist()
    values = column.to_pylist()
    if is_json_field(field):
        return [_json_text(v) for v in values]
    if _needs_walk(field.type):
        return [_walk(v, field.type) for v in values]
    return values


def to_documents(table: pa.Table) -> list[dict[str, Any]]:
    """The rows of ``table`` as dicts, value by value (the reference path)."""
    names = table.schema.names
    columns = [_python_values(table.column(i), table.schema.field(i)) for i in range(table.num_columns)]
    if not columns:
        return [{} for _ in range(table.num_rows)]
    return [dict(zip(names, row)) for row in zip(*columns)]


# ---------------------------------------------------------------------------------------------
# Columns → arrays of JSON fragments (the fast path)

_CONTROL = [chr(c) for c in range(0x20)]
_CONTROL_ESCAPES = {"\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t"}
#: Arrow literals come from tui.store.literals, never from Python values (which would make
#: pyarrow import pandas); so does every literal handed to a compute function below
_EMPTY = _text("")


class _NoKernel(Exception):
    """This type is rendered value by value."""


def _temporal_text(column: pa.Array | pa.ChunkedArray, type_: pa.DataType) -> pa.Array:
    """ISO 8601 text computed by Arrow (building ``datetime`` objects costs ten times more)."""
    if pa.types.is_timestamp(type_):
        naive = column.cast(pa.timestamp(type_.unit)) if type_.tz else column
        # Arrow writes timestamps in ASCII, so a byte slice is the character slice (and 3× faster)
        text = pc.binary_replace_slice(naive.cast(pa.string()), 10, 11, "T")
        return pc.binary_join_element_wise(text, _text("Z"), _EMPTY) if type_.tz else text
    return column.cast(pa.string())


def _quoted(text: pa.Array) -> pa.Array:
    """JSON string literals for UTF-8 ``text``: escape backslash, quote and control characters."""
    if pc.any(pc.match_substring_regex(text, '["\\\\\\x00-\\x1f]')).as_py():  # rare: most text needs no escape
        text = pc.replace_substring(text, "\\", "\\\\")
        text = pc.replace_substring(text, '"', '\\"')
        for ch in _CONTROL:
            text = pc.replace_substring(text, ch, _CONTROL_ESCAPES.get(ch, f"\\u{ord(ch):04x}"))
    return pc.binary_join_element_wise(_text('"'), text, _text('"'), _EMPTY)


def _with_nulls(fragments: pa.Array, source: pa.Array) -> pa.Array:
    if not source.null_count:
        return fragments
    return pc.fill_null(pc.if_else(source.is_valid(), fragments, null_text()), _text("null"))


def _fragments(array: pa.Array, field: pa.Field) -> pa.Array:
    """One JSON text per element of ``array`` (``null`` for nulls)."""
    type_ = array.type
    if (
        is_json_field(field)
        or pa.types.is_binary(type_)
        or pa.types.is_large_binary(type_)
        or pa.types.is_fixed_size_binary(type_)
        or pa.types.is_interval(type_)
        or pa.types.is_duration(type_)
    ):
        raise _NoKernel
    if pa.types.is_dictionary(type_):
        return _fragments(array.dictionary_decode(), pa.field(field.name, type_.value_type, metadata=field.metadata))
    if pa.types.is_null(type_):
        return repeated("null", len(array))
    if pa.types.is_boolean(type_):
        return _with_nulls(pc.if_else(array, _text("true"), _text("false")), array)
    if pa.types.is_integer(type_):
        return _with_nulls(array.cast(pa.string()), array)
    if pa.types.is_floating(type_):
        text = array.cast(pa.string())
        # Arrow writes 1.0 as "1"; keep floats recognisable as floats, as orjson does
        text = pc.if_else(
            pc.match_substring_regex(text, "^-?[0-9]+$"), pc.binary_join_element_wise(text, _text(".0"), _EMPTY), text
        )
        if pc.any(pc.invert(pc.is_finite(array))).as_py():
            named = pc.if_else(
                pc.is_nan(array),
                _text('"NaN"'),
                pc.if_else(pc.greater(array, int64(0)), _text('"Infinity"'), _text('"-Infinity"')),
            )
            text = pc.if_else(pc.is_finite(array), text, named)
        return _with_nulls(text, array)
    if pa.types.is_decimal(type_):
        text = array.cast(pa.string())
        integral = type_.scale == 0 and type_.precision <= _INTEGRAL_DIGITS
        if type_.scale == 0 and not integral:
            digits = pc.utf8_length(pc.utf8_ltrim(text, "-"))
            return _with_nulls(pc.if_else(pc.less_equal(digits, int64(_INTEGRAL_DIGITS)), text, _quoted(text)), array)
        return _with_nulls(text if integral else _quoted(text), array)
    if pa.types.is_string(type_) or pa.types.is_large_string(type_):
        return _with_nulls(_quoted(array.cast(pa.string())), array)
    if pa.types.is_timestamp(type_) or pa.types.is_date(type_) or pa.types.is_time(type_):
        # digits, '-', ':', '.', 'T', 'Z': nothing to escape, so no scan for it
        text = _temporal_text(array, type_)
        return _with_nulls(pc.binary_join_element_wise(_text('"'), text, _text('"'), _EMPTY), array)
    if pa.types.is_struct(type_):
        parts: list[Any] = []
        children = array.flatten()
        for i, (child_field, child) in enumerate(zip(type_, children)):
            key = orjson.dumps(child_field.name).decode()
            parts += [_text(("{" if i == 0 else ",") + key + ":"), _fragments(child, child_field)]
        if not parts:
            return _with_nulls(repeated("{}", len(array)), array)
        parts.append(_text("}"))
        return _with_nulls(pc.binary_join_element_wise(*parts, _EMPTY), array)
    if pa.types.is_map(type_):
        key_values, item_values = map_entries(array)
        keys = _fragments(key_values, type_.key_field)
        if not (pa.types.is_string(type_.key_type) or pa.types.is_large_string(type_.key_type)):
            # a key already rendered as a JSON string stays that string; any other becomes its text
            keys = pc.if_else(pc.starts_with(keys, '"'), keys, _quoted(keys))
        items = pc.binary_join_element_wise(keys, _text(":"), _fragments(item_values, type_.item_field), _EMPTY)
        return _joined(array, items, "{", "}")
    if pa.types.is_list(type_) or pa.types.is_large_list(type_) or pa.types.is_fixed_size_list(type_):
        if pa.types.is_fixed_size_list(type_):
            array = array.cast(pa.list_(type_.value_field))
        return _joined(array, _fragments(array.flatten(), type_.value_field), "[", "]")
    raise _NoKernel


def map_entries(array: pa.MapArray) -> tuple[pa.Array, pa.Array]:
    """The keys and the items of every entry of ``array``'s maps, in order.

    ``array.keys`` ignores a slice's offset, and ``MapArray.flatten()`` has no kernel (pyarrow
    26): the entries of the map seen as a list of structs respect both."""
    type_ = array.type
    entries = pa.field("entries", pa.struct([type_.key_field, type_.item_field]), nullable=False)
    keys, items = array.cast(pa.list_(entries)).flatten().flatten()
    return keys, items


def _joined(array: pa.Array, element_fragments: pa.Array, opening: str, closing: str) -> pa.Array:
    """Join the fragments of each list's elements with commas, inside ``opening``/``closing``."""
    offsets = pc.subtract(array.offsets, array.offsets[0])
    lists = pa.ListArray.from_arrays(offsets, element_fragments)
    inner = pc.binary_join(lists, _text(","))
    return _with_nulls(pc.binary_join_element_wise(_text(opening), inner, _text(closing), _EMPTY), array)


def _column_fragments(column: pa.Array, field: pa.Field) -> pa.Array:
    try:
        return _fragments(column, field)
    except (_NoKernel, pa.ArrowNotImplementedError):
        return texts([dumps(v).decode() for v in _python_values(column, field)])


#: Below this many rows the kernels' fixed cost per call outweighs their per-row saving
#: (measured: the two paths cross between 500 and 1,000 rows on the demo table).
FAST_PATH_MIN_ROWS = 512


def row_texts(table: pa.Table, terminator: str = "") -> pa.Array:
    """One JSON object text per row of ``table`` (kernel path), each followed by ``terminator``."""
    if table.num_columns == 0:
        return repeated("{}" + terminator, table.num_rows)
    batch = table.combine_chunks().to_batches()[0] if table.num_rows else None
    if batch is None:
        return texts([])
    parts: list[Any] = []
    for i, field in enumerate(table.schema):
        key = orjson.dumps(field.name).decode()
        parts += [_text(("{" if i == 0 else ",") + key + ":"), _column_fragments(batch.column(i), field)]
    parts.append(_text("}" + terminator))
    return pc.binary_join_element_wise(*parts, _EMPTY)


def documents_json(table: pa.Table) -> bytes:
    """The rows of ``table`` as the bytes of a JSON array of objects."""
    if table.num_rows == 0:
        return b"[]"
    if table.num_rows < FAST_PATH_MIN_ROWS:
        return dumps(to_documents(table))
    rows = row_texts(table)
    joined = pc.binary_join(pa.ListArray.from_arrays(int32s([0, len(rows)]), rows), _text(","))
    return b"[" + joined[0].as_buffer().to_pybytes() + b"]"
