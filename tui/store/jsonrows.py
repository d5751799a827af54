"""Arrow rows as JSON documents, the way the Rockset API returns them.

Every row becomes a JSON object (the official client requires objects). Conversions, chosen
to be exact and plain (no ``__rockset_type`` wrappers, which the client would try to parse):

* integers (and decimals with scale 0, e.g. HUGEINT) → JSON integers;
* other decimals / PostgreSQL numeric → strings, so no digit is lost;
* timestamps → ISO 8601 (with offset when the column has a time zone), dates and times ISO;
* intervals → ISO 8601 durations (``P1M2DT3H``); binary → base64;
* JSON columns (flagged by the engine) → nested JSON, not a string;
* structs → objects, lists → arrays; NaN/Infinity → null (JSON has no such numbers).
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

_OPTIONS = orjson.OPT_NON_STR_KEYS | orjson.OPT_SERIALIZE_NUMPY
_INT_MIN, _UINT_MAX = -(2**63), 2**64 - 1


def iso_duration(months: int = 0, days: int = 0, nanoseconds: int = 0) -> str:
    sign = "-" if (months < 0 or days < 0 or nanoseconds < 0) and not (months > 0 or days > 0 or nanoseconds > 0) else ""
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
        if value.is_finite() and value.as_tuple().exponent >= 0 and _INT_MIN <= value <= _UINT_MAX:
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


def _iso_strings(column: pa.ChunkedArray, type_: pa.DataType) -> pa.ChunkedArray:
    """Temporal values as ISO 8601 text, computed by Arrow: building Python ``datetime``
    objects costs ten times more and dominated the serving of a page."""
    if pa.types.is_timestamp(type_):
        if type_.tz:
            # the stored values are UTC instants; format them as such, with an explicit offset
            naive = column.cast(pa.timestamp(type_.unit))
            text = pc.utf8_replace_slice(naive.cast(pa.string()), 10, 11, "T")
            return pc.binary_join_element_wise(text, pa.scalar("Z"), "")
        return pc.utf8_replace_slice(column.cast(pa.string()), 10, 11, "T")
    return column.cast(pa.string())


def _column_values(column: pa.ChunkedArray, field: pa.Field) -> list[Any]:
    type_ = field.type
    if pa.types.is_timestamp(type_) or pa.types.is_date(type_) or pa.types.is_time(type_):
        return _iso_strings(column, type_).to_pylist()
    values = column.to_pylist()
    if is_json_field(field):
        parsed = []
        for text in values:
            if text is None:
                parsed.append(None)
                continue
            try:
                parsed.append(orjson.Fragment(text) if _looks_valid(text) else text)
            except orjson.JSONDecodeError:
                parsed.append(text)
        return parsed
    if pa.types.is_map(field.type):
        return [dict(v) if v is not None else None for v in values]
    return values


def _looks_valid(text: str) -> bool:
    try:
        orjson.loads(text)
    except orjson.JSONDecodeError:
        return False
    return True


def to_documents(table: pa.Table) -> list[dict[str, Any]]:
    """The rows of ``table`` as dicts (values still Python objects; see :func:`dumps`)."""
    names = table.schema.names
    columns = [_column_values(table.column(i), table.schema.field(i)) for i in range(table.num_columns)]
    return [dict(zip(names, row, strict=True)) for row in zip(*columns, strict=True)] if columns else [
        {} for _ in range(table.num_rows)
    ]


def dumps(value: Any) -> bytes:
    """JSON bytes for a response body; understands everything :func:`to_documents` yields."""
    try:
        return orjson.dumps(value, default=_default, option=_OPTIONS)
    except TypeError:
        # an integer beyond 64 bits (HUGEINT, PostgreSQL int8 arithmetic…): exact as a string
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


def documents_json(table: pa.Table) -> bytes:
    """The rows of ``table`` as the bytes of a JSON array of objects."""
    return dumps(to_documents(table))
