"""How one value looks in a grid cell, and how wide a column should be.

Pure functions on plain Python values (what the client decodes from JSON), so they are tested
without Textual and reused by the row detail view.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Sequence
from json.encoder import encode_basestring
from typing import Any

from rich.cells import cell_len, set_cell_size

NULL = "∅"
ELLIPSIS = "…"
#: A cell never grows wider than this; the full value is one Enter away.
MAX_WIDTH = 40
MIN_WIDTH = 4
#: A value's text is cut to this many characters before it is measured or drawn, and a nested
#: value is serialized only this far: a cell shows at most MAX_WIDTH cells of it, and turning a
#: 10 MB string or struct into text on every paint would stall the UI (~50 ms a cell). Four
#: characters a cell leaves room for combining marks and joined emoji; text denser than that
#: is cut earlier, and still ends with the ellipsis that says so.
MAX_CELL_CHARS = 4 * MAX_WIDTH
#: The detail view shows at most this many characters of one string value (and of the whole
#: text): laying out megabytes of text would freeze the UI. It says when it cut.
DETAIL_CHARS = 20_000
DETAIL_TOTAL_CHARS = 200_000
#: The most characters copied to the terminal's clipboard (OSC 52 sends them base64-encoded
#: through the terminal, which may drop a larger sequence altogether).
COPY_LIMIT = 1_000_000

#: Characters a cell never sends to the terminal: C0 and C1 controls (a C1 such as U+009B is a
#: CSI to some terminals: a value could clear the screen or set a title), and the bidi
#: embeddings, overrides and isolates, which would reorder the rest of the line, not the value.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_BIDI = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
#: Right-aligned types: a name that *starts* numeric (``STRUCT(a INT)`` is not a number).
_NUMERIC = re.compile(r"^(U?(TINY|SMALL|BIG|HUGE)?INT(EGER)?\d*|DOUBLE|FLOAT\d*|REAL|DECIMAL|NUMERIC)\b", re.I)
#: Widths a value of a type usually needs, so a column is wide enough before any value is seen.
_TYPE_WIDTHS = (
    ("TIMESTAMP", 19),
    ("DATETIME", 19),
    ("DATE", 10),
    ("TIME", 8),
    ("UUID", 36),
    ("BOOL", 5),
)


def compact_json(value: Any) -> str:
    """Nested values (structs, lists, JSON) on one line, as short as JSON allows."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)


def bounded_json(value: Any, limit: int) -> str:
    """:func:`compact_json` of ``value`` cut to its first ``limit`` characters (then ``…``),
    without serializing the rest: a 10 MB struct or list costs what ``limit`` characters do."""
    parts: list[str] = []
    size = 0
    for chunk in _json_chunks(value, limit + 1):
        parts.append(chunk)
        size += len(chunk)
        if size > limit:
            return "".join(parts)[:limit] + ELLIPSIS
    return "".join(parts)


def _json_chunks(value: Any, most: int) -> Iterator[str]:
    """The pieces of ``compact_json(value)`` in order, made only as they are asked for; every
    string (key or value) is cut to ``most`` characters before it is escaped, so no one piece
    costs more than that."""
    if isinstance(value, str):
        yield _json_string(value, most)
    elif value is None or isinstance(value, (bool, int, float)):
        yield json.dumps(value)
    elif isinstance(value, dict):
        yield "{"
        for n, (key, item) in enumerate(value.items()):
            yield ("," if n else "") + _json_string(_json_key(key), most) + ":"
            yield from _json_chunks(item, most)
        yield "}"
    elif isinstance(value, (list, tuple)):
        yield "["
        for n, item in enumerate(value):
            if n:
                yield ","
            yield from _json_chunks(item, most)
        yield "]"
    else:  # what compact_json's default=str does: the value's str() as a JSON string
        yield _json_string(str(value), most)


def _json_string(text: str, most: int) -> str:
    # a string cut here is at least ``most`` characters long once escaped: the caller cuts it
    return encode_basestring(text if len(text) <= most else text[:most])


def _json_key(key: Any) -> str:
    if isinstance(key, str):
        return key
    if key is None or isinstance(key, (bool, int, float)):
        return json.dumps(key)  # as json.dumps names such keys: null, true, 1, 1.5
    return str(key)


def cell_text(value: Any) -> str:
    """The one-line text of a value, at most :data:`MAX_CELL_CHARS` characters and ``…``.

    ``None`` is :data:`NULL`, never the string ``"None"``. Only as much of a long value is
    turned into text as a cell can show: this runs on every paint of a row.
    """
    if value is None:
        return NULL
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, (dict, list)):
        text = bounded_json(value, MAX_CELL_CHARS)
    else:
        text = value if isinstance(value, str) else str(value)
        if len(text) > MAX_CELL_CHARS:
            text = text[:MAX_CELL_CHARS] + ELLIPSIS
    # One value is one line: newlines and control characters must not break the row.
    if _CONTROL.search(text):
        text = _CONTROL.sub(_replace_control, text)
    return text


def _replace_control(match: re.Match[str]) -> str:
    char = match.group()
    return "↵" if char == "\n" else "" if char in _BIDI else " "


def safe_text(text: str) -> str:
    """``text`` with the characters that drive a terminal (other than newline and tab) made
    harmless, for views that show a value over several lines."""
    return _CONTROL.sub(lambda m: m.group() if m.group() in "\n\t" else _replace_control(m), text)


def fit(text: str, width: int) -> str:
    """``text`` padded or cut to exactly ``width`` cells; a cut value ends with ``…``."""
    if width <= 0:
        return ""
    length = cell_len(text)
    if length <= width:
        return text + " " * (width - length)
    cut = set_cell_size(text, width - 1).rstrip(" ") + ELLIPSIS  # a split wide character pads
    return cut + " " * (width - cell_len(cut))


def fit_right(text: str, width: int) -> str:
    if cell_len(text) >= width:
        return fit(text, width)
    return " " * (width - cell_len(text)) + text


def is_numeric_type(type_name: str) -> bool:
    return bool(_NUMERIC.match(type_name.strip())) and not type_name.rstrip().endswith("]")


def type_width(type_name: str) -> int:
    upper = type_name.upper()
    for name, width in _TYPE_WIDTHS:
        if name in upper:
            return width
    return MIN_WIDTH


def column_widths(
    columns: Sequence[tuple[str, str]],
    sample: Iterable[dict[str, Any]],
    *,
    max_width: int = MAX_WIDTH,
    whole: Sequence[int] | None = None,
) -> list[int]:
    """One width per column from its name, its type, the values of ``sample`` rows and, when
    the service measured them, ``whole``: each column's longest value over the whole result
    (0 where it did not), so no value that would fit is cut and columns do not jump while
    scrolling.

    A column the service measured is measured here only where its text may differ from the
    service's (which counts characters of Arrow's text): non-ASCII strings (a wide character
    takes two cells), ASCII strings longer than the width so far, and values that are neither
    strings nor integers (a float's JSON text, ``1.0``, is Arrow's ``1``). Measuring every
    value of every page as it arrived was most of the cost of taking a page in (8 ms for 250
    rows of 10 columns, 48 ms of 160).
    """
    widths = [
        max(MIN_WIDTH, cell_len(cell_text(name)), cell_len(cell_text(type_)), type_width(type_))
        for name, type_ in columns
    ]
    known = whole is not None and len(whole) == len(widths)
    if known:
        widths = [max(width, measured) for width, measured in zip(widths, whole, strict=True)]  # type: ignore[arg-type]
    measured = [(i, name) for i, (name, _) in enumerate(columns) if known and whole[i]]  # type: ignore[index]
    unmeasured = [(i, name) for i, (name, _) in enumerate(columns) if not (known and whole[i])]  # type: ignore[index]
    for row in sample:
        for i, name in unmeasured:
            if name in row:
                widths[i] = max(widths[i], cell_len(cell_text(row[name])))
        for i, name in measured:
            value = row.get(name)
            kind = type(value)
            if kind is str:
                if len(value) <= widths[i] and value.isascii():  # type: ignore[arg-type]
                    continue
            elif value is None or kind is int or kind is bool:
                continue
            widths[i] = max(widths[i], cell_len(cell_text(value)))
    return [min(width, max(max_width, MIN_WIDTH)) for width in widths]


def infer_columns(rows: Sequence[dict[str, Any]]) -> list[tuple[str, str]]:
    """Columns for rows that came without a schema (a REST endpoint): keys in first-seen order."""
    seen: dict[str, str] = {}
    for row in rows:
        for key, value in row.items():
            if key not in seen or seen[key] == "null":
                seen[key] = json_type(value)
    return list(seen.items())


def json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def shorten_strings(value: Any, limit: int = DETAIL_CHARS) -> tuple[Any, int]:
    """``value`` with every string longer than ``limit`` characters cut to ``limit`` (and ``…``),
    and the length of the longest string cut (0 when nothing was)."""
    if isinstance(value, str):
        return (value[:limit] + ELLIPSIS, len(value)) if len(value) > limit else (value, 0)
    if isinstance(value, dict):
        longest = 0
        items = {}
        for key, item in value.items():
            items[key], cut = shorten_strings(item, limit)
            longest = max(longest, cut)
        return (items, longest) if longest else (value, 0)
    if isinstance(value, list):
        pairs = [shorten_strings(item, limit) for item in value]
        longest = max((cut for _, cut in pairs), default=0)
        return ([item for item, _ in pairs], longest) if longest else (value, 0)
    return value, 0


def pretty_json(value: Any) -> str:
    """A row or value in full, for the detail view."""
    return json.dumps(value, ensure_ascii=False, indent=2, default=str)
