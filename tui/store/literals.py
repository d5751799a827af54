"""Arrow strings and integers made from bytes, never from Python objects.

pyarrow turns a Python value into Arrow (``pa.scalar("x")``, ``pa.array([...])``, and a plain
``"x"`` or ``0`` handed to a compute function, which it passes to ``pa.scalar``) by first
asking whether the value is a pandas object, and that question imports pandas: about 1 s and
55 MiB for a service that never needs it (only the Spark Connect client does, and it imports
pandas itself). The service's own Arrow literals are therefore built here, from buffers, and the
page and chunk paths use only these: ``tests/server/test_no_pandas.py`` runs a service and
checks pandas stays out.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from functools import lru_cache

import pyarrow as pa

_NULL_TEXT = pa.nulls(1, pa.string())[0]


def texts(values: Sequence[str | None]) -> pa.StringArray:
    """``values`` as an Arrow string array (``None`` a null)."""
    encoded = [b"" if value is None else value.encode() for value in values]
    ends = [0]
    for item in encoded:
        ends.append(ends[-1] + len(item))
    offsets = pa.py_buffer(struct.pack(f"<{len(ends)}i", *ends))
    validity = None
    if any(value is None for value in values):
        bits = sum(1 << i for i, value in enumerate(values) if value is not None)
        validity = pa.py_buffer(bits.to_bytes((len(values) + 7) // 8, "little"))
    return pa.Array.from_buffers(pa.string(), len(encoded), [validity, offsets, pa.py_buffer(b"".join(encoded))])


def repeated(value: str, count: int) -> pa.StringArray:
    """``count`` copies of ``value``: one buffer of the text, offsets that stride over it."""
    item = value.encode()
    offsets = pa.py_buffer(struct.pack(f"<{count + 1}i", *(i * len(item) for i in range(count + 1))))
    return pa.Array.from_buffers(pa.string(), count, [None, offsets, pa.py_buffer(item * count)])


@lru_cache(maxsize=256)
def text(value: str) -> pa.StringScalar:
    """``value`` as an Arrow string scalar (cached: the renderer asks for the same few keys
    and brackets for every page)."""
    return texts([value])[0]


def null_text() -> pa.StringScalar:
    """A null string scalar."""
    return _NULL_TEXT


def int32s(values: Sequence[int]) -> pa.Int32Array:
    data = pa.py_buffer(struct.pack(f"<{len(values)}i", *values))
    return pa.Array.from_buffers(pa.int32(), len(values), [None, data])


def int64s(values: Sequence[int]) -> pa.Int64Array:
    data = pa.py_buffer(struct.pack(f"<{len(values)}q", *values))
    return pa.Array.from_buffers(pa.int64(), len(values), [None, data])


@lru_cache(maxsize=64)
def int64(value: int) -> pa.Int64Scalar:
    return int64s([value])[0]


@lru_cache(maxsize=2)
def boolean(value: bool) -> pa.BooleanScalar:
    return pa.Array.from_buffers(pa.bool_(), 1, [None, pa.py_buffer(b"\x01" if value else b"\x00")])[0]
