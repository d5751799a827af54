"""Find: the next (or previous) row of a stored result whose rendered text matches.

The scan walks the stored chunks in order from the starting row and stops at the first
matching row, so finding a nearby match costs one chunk. Each chunk is matched column by
column with Arrow's string kernels on the text the grid shows for a value (JSON for nested
values, ``true``/``false``, ISO timestamps; NULL never matches), not value by value in Python.
Work per request is bounded by a row budget: a long scan answers how far it got and the client
asks again from there.

Columns whose every possible text is made of a few characters (numbers, booleans, dates) are
skipped when the text searched for has a character they can never show: a search for a word
does not turn ten million integers into strings.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import orjson
import pyarrow as pa
import pyarrow.compute as pc

from tui.engines.base import is_json_field
from tui.store.jsonrows import _column_fragments, _temporal_text, map_entries
from tui.store.literals import boolean, null_text, text, texts
from tui.store.resultset import Chunk, ResultIndex, read_chunk


class FindError(ValueError):
    """The request cannot be answered as asked (bad regex, unknown column)."""


@dataclass(frozen=True)
class FindRequest:
    text: str
    column: str | None = None
    start: int | None = None
    backwards: bool = False
    regex: bool = False
    case: bool = False


@dataclass(frozen=True)
class FindAnswer:
    match: int | None
    column: str | None
    scanned_to: int
    done: bool


_JSON_PUNCTUATION = frozenset('{}[]":,\\')
_DIGITS = frozenset("0123456789-")
_FLOAT = frozenset("0123456789-+.eEinfINFaA")
_TEMPORAL = frozenset("0123456789-:.TZ ")
_BOOL = frozenset("truefalsTRUEFALS")


def _alphabet(type_: pa.DataType) -> frozenset[str] | None:
    """Every character a rendered value of ``type_`` can contain, or ``None`` for any."""
    if pa.types.is_integer(type_):
        return _DIGITS
    if pa.types.is_floating(type_) or pa.types.is_decimal(type_):
        return _FLOAT
    if pa.types.is_boolean(type_):
        return _BOOL
    if pa.types.is_timestamp(type_) or pa.types.is_date(type_) or pa.types.is_time(type_):
        return _TEMPORAL
    return None


def cell_texts(array: pa.Array, field: pa.Field) -> pa.Array:
    """The text the grid shows for each value of ``array`` (null for NULL)."""
    type_ = array.type
    if pa.types.is_dictionary(type_):
        array = array.dictionary_decode()
        type_ = array.type
    if is_json_field(field):
        return texts([_compact_json(v) for v in array.to_pylist()])
    if pa.types.is_string(type_) or pa.types.is_large_string(type_):
        return array.cast(pa.string())
    if pa.types.is_boolean(type_):
        return pc.if_else(array, text("true"), text("false"))
    if pa.types.is_integer(type_) or pa.types.is_decimal(type_):
        return array.cast(pa.string())
    if pa.types.is_floating(type_):
        digits = array.cast(pa.string())
        return pc.if_else(
            pc.match_substring_regex(digits, "^-?[0-9]+$"),
            pc.binary_join_element_wise(digits, text(".0"), text("")),
            digits,
        )
    if pa.types.is_timestamp(type_) or pa.types.is_date(type_) or pa.types.is_time(type_):
        return _temporal_text(array, type_)
    if pa.types.is_null(type_):
        return pa.nulls(len(array), pa.string())
    # nested values as compact JSON; binary, intervals: their JSON string without the quotes
    fragments = _column_fragments(array, field)
    quoted = pc.starts_with(fragments, '"')
    unquoted = pc.utf8_slice_codeunits(fragments, 1, -1)
    shown = pc.if_else(pc.fill_null(quoted, boolean(False)), unquoted, fragments)
    return pc.if_else(array.is_valid(), shown, null_text())


def _compact_json(text: str | None) -> str | None:
    """A JSON document as the grid shows it (compact, as the client re-serializes it)."""
    if text is None:
        return None
    try:
        return orjson.dumps(orjson.loads(text)).decode()
    except orjson.JSONDecodeError:
        return text


class Finder:
    """One find request over one stored result."""

    def __init__(self, directory: Path, index: ResultIndex, request: FindRequest, *, budget_rows: int):
        if not request.text:
            raise FindError("text must not be empty")
        self.directory = directory
        self.index = index
        self.request = request
        self.budget_rows = max(1, budget_rows)
        names = index.schema.names
        if request.column is not None:
            if request.column not in names:
                raise FindError(f"no column named {request.column!r} in this result")
            self.columns = [names.index(request.column)]
        else:
            self.columns = list(range(len(names)))
        if request.regex:
            try:  # RE2, as the kernels use it: compiled once here to report a bad pattern
                pc.match_substring_regex(texts([""]), request.text, ignore_case=not request.case)
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
                raise FindError(f"invalid regular expression: {exc}") from None
            self.searchable = self.columns
        else:
            self.searchable = [
                i for i in self.columns if _could_match(index.schema.field(i).type, request.text, request.case)
            ]
        #: search nested values by their keys and scalars first (see _leaves_may_match): only
        #: for plain text that cannot span JSON punctuation or be part of a literal null/true/false
        lowered = request.text.lower()
        self._by_leaves = not (
            request.regex
            or set(request.text) & _JSON_PUNCTUATION
            or any(lowered in literal for literal in ("null", "true", "false"))
        )

    def _match(self, text: pa.Array) -> pa.Array:
        """Which of ``text`` contain the searched text (null for null)."""
        request = self.request
        if request.regex:
            return pc.match_substring_regex(text, request.text, ignore_case=not request.case)
        if request.case or request.text.lower() == request.text.upper():
            return pc.match_substring(text, request.text)
        # Arrow's case-insensitive search is a regular expression, ten times slower than
        # lowering the text and searching the lowered needle (and ASCII lowering is cheaper still)
        lowered = pc.ascii_lower(text) if request.text.isascii() else pc.utf8_lower(text)
        return pc.match_substring(lowered, request.text.lower())

    def _matches(self, batch: pa.RecordBatch) -> tuple[pa.Array | None, list[tuple[int, pa.Array]]]:
        """Per row: does any searched column match; and each column's own mask."""
        masks: list[tuple[int, pa.Array]] = []
        any_mask = None
        for i in self.searchable:
            field, column = self.index.schema.field(i), batch.column(i)
            if self._by_leaves and pa.types.is_nested(field.type) and not self._leaves_may_match(column):
                continue
            mask = pc.fill_null(self._match(cell_texts(column, field)), boolean(False))
            masks.append((i, mask))
            any_mask = mask if any_mask is None else pc.or_(any_mask, mask)
        return any_mask, masks

    def _leaves_may_match(self, array: pa.Array) -> bool:
        """Could the JSON text of any value of nested ``array`` contain the text? Without
        JSON punctuation in the text, a match lies inside one key or one scalar, so the keys
        and the scalars are searched, not the JSON of every value (ten times the work)."""
        for leaf, field in _leaves(array, pa.field("", array.type)):
            if field is None:  # a key name
                if self._match(leaf).as_py():
                    return True
            elif (
                _could_match(field.type, self.request.text, self.request.case)
                and pc.any(pc.fill_null(self._match(cell_texts(leaf, field)), boolean(False))).as_py()
            ):
                return True
        return False

    def run(self) -> FindAnswer:
        starts, chunks = self.index.snapshot()
        total = chunks[-1].start + chunks[-1].rows if chunks else 0
        if total == 0:
            return FindAnswer(None, None, 0, True)
        backwards = self.request.backwards
        start = self.request.start
        if start is None:
            start = total - 1 if backwards else 0
        if backwards:
            start = min(start, total - 1)
            if start < 0:
                return FindAnswer(None, None, 0, True)
        elif start >= total:
            return FindAnswer(None, None, total, True)
        if not self.searchable:  # no column can show this text: nothing to scan
            return FindAnswer(None, None, 0 if backwards else total, True)
        position = start
        scanned = 0
        i = bisect.bisect_right(starts, position) - 1
        while 0 <= i < len(chunks):
            chunk = chunks[i]
            batch = self._read(chunk)
            local = position - chunk.start
            piece = batch.slice(0, local + 1) if backwards else batch.slice(local)
            any_mask, masks = self._matches(piece)
            scanned += piece.num_rows
            hit = _first(any_mask, last=backwards)
            if hit is not None:
                row = chunk.start + hit + (0 if backwards else local)
                column = next(self.index.schema.names[c] for c, m in masks if m[hit].as_py())
                return FindAnswer(row, column, row, False)
            if backwards:
                position = chunk.start - 1
                i -= 1
                if position < 0:
                    return FindAnswer(None, None, 0, True)
            else:
                position = chunk.start + chunk.rows
                i += 1
                if position >= total:
                    return FindAnswer(None, None, total, True)
            if scanned >= self.budget_rows:
                return FindAnswer(None, None, position, False)
        return FindAnswer(None, None, 0 if backwards else total, True)

    def _read(self, chunk: Chunk) -> pa.RecordBatch:
        # not the shared chunk cache: a scan of a whole result would evict every page's chunks
        return read_chunk(self.directory / chunk.name)


def _could_match(type_: pa.DataType, text: str, case: bool) -> bool:
    alphabet = _alphabet(type_)
    if alphabet is None:
        return True
    if case:
        return set(text) <= alphabet
    return all(c in alphabet or c.lower() in alphabet or c.upper() in alphabet for c in set(text))


def _leaves(array: pa.Array, field: pa.Field) -> Iterator[tuple[pa.Array | pa.Scalar, pa.Field | None]]:
    """The scalar arrays inside nested ``array`` (with their fields), and its key names (as
    string scalars, field ``None``)."""
    type_ = array.type
    if pa.types.is_struct(type_):
        for child_field, child in zip(type_, array.flatten(), strict=True):
            yield text(child_field.name), None
            yield from _leaves(child, child_field)
    elif pa.types.is_map(type_):
        keys, items = map_entries(array)
        yield from _leaves(keys, type_.key_field)
        yield from _leaves(items, type_.item_field)
    elif pa.types.is_list(type_) or pa.types.is_large_list(type_) or pa.types.is_fixed_size_list(type_):
        yield from _leaves(array.flatten(), type_.value_field)
    else:
        yield array, field


def _first(mask: pa.Array | None, *, last: bool) -> int | None:
    if mask is None or not pc.any(mask).as_py():
        return None
    positions = pc.indices_nonzero(mask)
    return positions[-1 if last else 0].as_py()
