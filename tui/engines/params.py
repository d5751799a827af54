"""Named ``:name`` parameters: find them in SQL and rewrite them for each driver.

folio's SQL uses Rockset's ``:name`` syntax. No driver folio uses takes exactly that
(DuckDB wants ``$name``, psycopg ``%(name)s``; SQLite does take ``:name``), so the statement
is rewritten token-aware: string literals, quoted identifiers, comments, PostgreSQL
dollar-quoted strings and ``::`` casts are left alone. Values are always bound by the driver,
never spliced into the text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any

from tui.engines.base import ParameterError

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_DOLLAR_TAG = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)?\$")

STYLES = ("dollar", "pyformat", "colon")


def _placeholder(name: str, style: str) -> str:
    if style == "dollar":
        return f"${name}"
    if style == "pyformat":
        return f"%({name})s"
    return f":{name}"


def rewrite(sql: str, style: str) -> tuple[str, list[str]]:
    """Return ``sql`` with every ``:name`` in ``style`` and the names in order of appearance."""
    if style not in STYLES:
        raise ValueError(f"unknown parameter style {style!r}")
    out: list[str] = []
    names: list[str] = []
    i, n = 0, len(sql)
    start = 0

    def flush(upto: int) -> None:
        chunk = sql[start:upto]
        out.append(chunk.replace("%", "%%") if style == "pyformat" else chunk)

    while i < n:
        ch = sql[i]
        if ch in ("'", '"', "`"):
            end = i + 1
            while end < n:
                if sql[end] == ch:
                    if end + 1 < n and sql[end + 1] == ch:  # doubled quote escapes itself
                        end += 2
                        continue
                    break
                end += 1
            i = end + 1
        elif ch == "-" and sql.startswith("--", i):
            nl = sql.find("\n", i)
            i = n if nl < 0 else nl + 1
        elif ch == "/" and sql.startswith("/*", i):
            close = sql.find("*/", i + 2)
            i = n if close < 0 else close + 2
        elif ch == "$" and (m := _DOLLAR_TAG.match(sql, i)):
            # PostgreSQL dollar quoting: $$...$$ or $tag$...$tag$
            tag = m.group(0)
            close = sql.find(tag, m.end())
            i = n if close < 0 else close + len(tag)
        elif ch == ":":
            if sql.startswith("::", i):
                i += 2
                continue
            prev = sql[i - 1] if i else ""
            m = _NAME.match(sql, i + 1)
            if m and not (prev.isalnum() or prev == "_"):
                flush(i)
                name = m.group(0)
                out.append(_placeholder(name, style))
                names.append(name)
                i = start = m.end()
            else:
                i += 1
        else:
            i += 1
    flush(n)
    return "".join(out), names


def bind(sql: str, values: Mapping[str, Any], style: str) -> tuple[str, dict[str, Any]]:
    """Rewrite ``sql`` for ``style`` and pick the values it names.

    Raises :class:`ParameterError` for a name that has no value. Values given but not used are
    ignored, as Rockset does.
    """
    text, names = rewrite(sql, style)
    missing = sorted({name for name in names if name not in values})
    if missing:
        listed = ", ".join(f":{name}" for name in missing)
        raise ParameterError(f"query parameter {listed} is used in the SQL but no value was given")
    return text, {name: values[name] for name in dict.fromkeys(names)}


def coerce(type_name: str, value: Any) -> Any:
    """Turn a Rockset ``QueryParameter`` (a type hint and, usually, a string) into a Python value.

    The official client sends ``str(value)``: ``"True"`` for booleans and
    ``"2024-01-02 03:04:05"`` for datetimes, so both spellings are read here.
    """
    kind = (type_name or "string").strip().lower()
    if value is None or kind in ("null",):
        return None
    if not isinstance(value, str):
        return value
    try:
        if kind in ("int", "integer", "int64", "bigint", "long"):
            return int(value)
        if kind in ("float", "double", "real", "float64"):
            return float(value)
        if kind in ("decimal", "numeric"):
            return Decimal(value)
        if kind in ("bool", "boolean"):
            lowered = value.strip().lower()
            if lowered in ("true", "1", "t", "yes"):
                return True
            if lowered in ("false", "0", "f", "no"):
                return False
            raise ValueError(value)
        if kind == "date":
            return date.fromisoformat(value)
        if kind in ("datetime", "timestamp"):
            return datetime.fromisoformat(value.replace("Z", "+00:00"))
        if kind == "time":
            return time.fromisoformat(value)
    except (ValueError, InvalidOperation):
        raise ParameterError(f"parameter value {value!r} is not a valid {kind}") from None
    return value


def coerce_all(parameters: Iterable[tuple[str, str, Any]]) -> dict[str, Any]:
    """``(name, type, value)`` triples to a name → value mapping (the last one of a name wins)."""
    return {name: coerce(type_name, value) for name, type_name, value in parameters}
