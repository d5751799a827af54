"""How wide each column's values are, measured as a result's chunks are written.

The app sizes a column from the values it has seen; only the service has seen every value. So
the writer measures each chunk with Arrow compute (a cast and a length per column, no Python per
row) and the result's index keeps the widest: ``column_widths`` in a page's answer lets the app
size a column for its longest value at once, and it never widens while scrolling.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

#: a width is never reported above this (the app shows at most 40 cells; a value's text is cut)
WIDEST = 160
#: the width of a column whose values are not measured here (nested values: their JSON text is
#: made by the app), or that has no value yet: the app measures such columns itself
UNKNOWN = 0


def text_width(column: pa.Array | pa.ChunkedArray) -> int:
    """The length of the longest value of ``column`` as text, up to :data:`WIDEST`;
    :data:`UNKNOWN` for nested types."""
    kind = column.type
    if pa.types.is_nested(kind) or pa.types.is_dictionary(kind) or pa.types.is_binary(kind):
        return UNKNOWN
    try:
        if pa.types.is_string(kind) or pa.types.is_large_string(kind):
            text = column
        elif pa.types.is_boolean(kind):
            # true / false, as the app writes them
            return 5 if column.null_count < len(column) else UNKNOWN
        elif pa.types.is_integer(kind) or pa.types.is_temporal(kind) or pa.types.is_decimal(kind):
            # the longest text of these is that of the smallest or the largest value (same
            # digits after the point): two values cast, not every one (as Arrow scalars: a
            # Python value made into Arrow would make pyarrow import pandas, tui.store.literals)
            extremes = pc.min_max(column)
            lengths = [pc.utf8_length(extremes[end].cast(pa.string())).as_py() for end in ("min", "max")]
            return min(max((n for n in lengths if n is not None), default=UNKNOWN), WIDEST)
        else:
            text = pc.cast(column, pa.string())
        longest = pc.max(pc.utf8_length(text)).as_py()
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return UNKNOWN
    return min(int(longest or UNKNOWN), WIDEST)


def batch_widths(batch: pa.RecordBatch) -> list[int]:
    return [text_width(column) for column in batch.columns]


def widest(old: list[int], new: list[int]) -> list[int]:
    return [max(a, b) for a, b in zip(old, new, strict=True)] if old else list(new)
