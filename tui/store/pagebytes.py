"""Pages bounded by bytes as well as by rows.

``docs`` bounds a page by rows, but rows can be any size: 100,000 docs of a result with 10 kB
rows is a 1 GB body, built in memory and sent in one piece. A page therefore also stops at a
byte bound (``--page-max-bytes``): it carries the rows that fit, at least one, and its cursor
(or next offset) continues from the first row left out, so a client paging on sees every row.

The bound is on the JSON array of a page's documents (``[`` + rows joined by ``,`` + ``]``),
measured with the canonical per-row rendering (:func:`tui.store.jsonrows.row_texts`) that the
rendered chunk files hold too, so a page answered from Arrow and one answered from rendered
files (:mod:`tui.store.rendered`) carry the same rows. Arrow pages are bounded by the Arrow
size of their columns.
"""

from __future__ import annotations

import bisect

import pyarrow as pa

from tui.store import jsonrows

#: rows are rendered a slice of about this many Arrow bytes at a time, so a page that stops
#: at the bound never has more than one slice's JSON beyond it in memory
_SLICE_BYTES = 4 * 1024 * 1024


def documents_within(table: pa.Table, max_bytes: int | None) -> tuple[bytes, int]:
    """The JSON array of the first rows of ``table`` that fit in ``max_bytes`` (all of them
    when ``max_bytes`` is ``None``; always at least one), and how many rows that is."""
    rows = table.num_rows
    if rows == 0:
        return b"[]", 0
    if max_bytes is None:
        return jsonrows.documents_json(table), rows
    if rows < jsonrows.FAST_PATH_MIN_ROWS and table.nbytes <= max_bytes // 8:
        whole = jsonrows.documents_json(table)
        # far within the bound whichever way a row is rendered: the usual case, as before
        if len(whole) <= max_bytes // 2:
            return whole, rows
    step = max(1, int(rows * _SLICE_BYTES / max(table.nbytes, 1)))
    pieces: list[bytes] = []
    used = 0  # bytes of the rows taken, each with its comma
    budget = max_bytes - 1  # "[" + rows with their commas - the last comma + "]"
    taken = 0
    while taken < rows:
        texts = jsonrows.row_texts(table.slice(taken, step), terminator=",")
        ends = pa.Array.from_buffers(
            pa.int32(), len(texts) + 1, [None, texts.buffers()[1]], offset=texts.offset
        ).to_pylist()
        first = ends[0]
        fit = min(len(texts), max(0, bisect.bisect_right(ends, first + budget - used) - 1))
        if fit == 0 and taken == 0:
            fit = 1  # a single row over the bound is still sent: a page is never empty
        if fit:
            data = texts.buffers()[2]
            pieces.append(data[first : ends[fit]].to_pybytes())
            used += ends[fit] - first
            taken += fit
        if fit < len(texts):
            break
    body = b"".join(pieces)
    return b"[" + body[:-1] + b"]", taken


def rows_within(table: pa.Table, max_bytes: int | None) -> pa.Table:
    """The first rows of ``table`` whose Arrow columns take at most ``max_bytes`` (at least one
    row)."""
    if max_bytes is None or table.num_rows <= 1 or table.nbytes <= max_bytes:
        return table
    low, high = 1, table.num_rows  # the answer is in [low, high)
    while high - low > 1:
        middle = (low + high) // 2
        if table.slice(0, middle).nbytes <= max_bytes:
            low = middle
        else:
            high = middle
    return table.slice(0, low)
