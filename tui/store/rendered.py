"""Completed results as JSON, rendered once per chunk and kept beside the chunk.

Rendering rows as JSON is most of what a page request costs the service (about 2 ms of the
3 ms for 1,000 rows of the demo table). A completed result never changes, so a chunk that is
read more than once is rendered whole, once, into a file next to it, and every later page
that touches the chunk is a few ``pread`` calls: no Arrow, no parsing, no memory mapping (the
bytes live in the kernel's page cache, not in the service's RSS).

A rendered file holds ``rows + 1`` little-endian uint64 byte offsets, then every row's JSON
object followed by a comma, so rows ``[i, j)`` are one contiguous byte range.

Admission: a chunk is rendered on its *second* read. A one-off read (an app's first screen,
a jump to the end) pays only for its own rows, while a chunk that readers keep coming back
to (several people paging one result, random access) is paid for once.

Space: rendered files count against the store's quota like results do, with a bound of their
own, and they are the first thing given back: the least recently read go when the bound is
reached or a result being stored needs the room. They are a cache, not data: the store
deletes them all at start-up, so a file cut short by a crash is never read.
"""

from __future__ import annotations

import bisect
import contextlib
import os
import struct
import threading
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from tui.store.jsonrows import row_texts
from tui.store.resultset import CHUNKS, Chunk, QuotaExceeded, ResultIndex

SUFFIX = ".rows.json"
_OFFSET = struct.Struct("<Q")


def is_rendered_file(name: str) -> bool:
    return name.endswith(SUFFIX) or (SUFFIX + ".") in name  # the file, or one being written


class RenderedChunks:
    """The rendered files of every completed result in a store.

    ``reserve(n)`` may raise :class:`QuotaExceeded` (the chunk is then simply not rendered);
    ``account(n)`` and ``release(n)`` keep the store's usage figure true.
    """

    def __init__(
        self,
        *,
        capacity_bytes: int,
        reserve: Callable[[int], None],
        account: Callable[[int], None],
        release: Callable[[int], None],
        seen_capacity: int = 16_384,
    ):
        self.capacity_bytes = capacity_bytes
        self._reserve = reserve
        self._account = account
        self._release = release
        self._files: OrderedDict[str, int] = OrderedDict()  # path → size, least recently read first
        self._bytes = 0
        self._seen: OrderedDict[str, None] = OrderedDict()  # chunks read once, not rendered
        self._seen_capacity = seen_capacity
        self._lock = threading.Lock()

    @property
    def nbytes(self) -> int:
        with self._lock:
            return self._bytes

    def page(
        self, directory: Path, index: ResultIndex, offset: int, count: int, *, admit: bool = True
    ) -> bytes | None:
        """Rows ``[offset, offset + count)`` as a JSON array, or ``None`` when some chunk they
        touch is not rendered (yet): the caller renders those rows itself. With ``admit``
        false, this read neither counts towards rendering a chunk nor renders one."""
        starts, chunks = index.snapshot()
        if count <= 0 or not chunks:
            return None
        end = min(offset + count, chunks[-1].start + chunks[-1].rows)
        if offset >= end:
            return None  # nothing there: not worth a file
        first = bisect.bisect_right(starts, offset) - 1
        touched = [c for c in chunks[max(first, 0) :] if c.start < end] if first >= 0 else []
        base = os.path.join(directory, "")
        # every chunk is checked (and counted as read), even after one that is not rendered
        ready = [self._ready(base + c.name + SUFFIX) or (admit and self._render(directory, c)) for c in touched]
        if not touched or not all(ready):
            return None
        pieces: list[bytes] = []
        for chunk in touched:
            local = max(offset - chunk.start, 0)
            take = min(chunk.rows, end - chunk.start) - local
            piece = self._read(base + chunk.name + SUFFIX, chunk.rows, local, local + take)
            if piece is None:
                return None
            pieces.append(piece)
        return b"[" + b",".join(pieces) + b"]"

    def _ready(self, key: str) -> bool:
        with self._lock:
            if key in self._files:
                self._files.move_to_end(key)
                return True
            return False

    def _read(self, path: str, rows: int, first: int, last: int) -> bytes | None:
        try:
            fd = os.open(path, os.O_RDONLY)
        except FileNotFoundError:  # evicted, or the result dropped, since _ready
            return None
        try:
            (start,) = _OFFSET.unpack(os.pread(fd, 8, 8 * first))
            (stop,) = _OFFSET.unpack(os.pread(fd, 8, 8 * last))
            size = stop - start - 1  # without the last row's comma
            data = os.pread(fd, size, 8 * (rows + 1) + start)
        except (OSError, struct.error):
            return None
        finally:
            os.close(fd)
        return data if len(data) == size else None

    def _render(self, directory: Path, chunk: Chunk) -> bool:
        path = directory / (chunk.name + SUFFIX)
        key = str(path)
        with self._lock:
            if key not in self._seen:
                self._seen[key] = None
                while len(self._seen) > self._seen_capacity:
                    self._seen.popitem(last=False)
                return False
        try:
            batch = CHUNKS.get(directory / chunk.name)
        except (FileNotFoundError, pa.ArrowException):
            return False
        texts = row_texts(pa.Table.from_batches([batch]), terminator=",")
        ends = pa.Array.from_buffers(pa.int32(), len(texts) + 1, [None, texts.buffers()[1]], offset=texts.offset)
        base = ends[0].as_py()
        header = pc.subtract(ends, base).cast(pa.uint64()).buffers()[1][: 8 * len(ends)]
        body = texts.buffers()[2][base : ends[-1].as_py()]
        size = header.size + body.size
        if size > self.capacity_bytes:
            return False
        try:
            self._make_room(size)
            self._reserve(size)
        except QuotaExceeded:
            return False
        # two threads may render one chunk at once: each writes its own file, the last rename
        # wins (the bytes are the same) and the size is counted once
        tmp = path.with_name(f"{path.name}.{threading.get_ident()}.tmp")
        try:
            with open(tmp, "wb") as fh:
                fh.write(header)
                fh.write(body)
            os.replace(tmp, path)
        except OSError:  # the result was dropped meanwhile, or the disk is full: no cache
            tmp.unlink(missing_ok=True)
            return False
        with self._lock:
            self._seen.pop(key, None)
            fresh = key not in self._files
            if fresh:
                self._files[key] = size
                self._bytes += size
        if fresh:
            self._account(size)
        return True

    def _make_room(self, size: int) -> None:
        over = self.nbytes + size - self.capacity_bytes
        if over > 0:
            self._release(self.evict(over))

    def evict(self, nbytes: int) -> int:
        """Delete least recently read files until ``nbytes`` are freed (or none are left);
        returns the bytes freed. The caller releases them from the store's usage."""
        freed = 0
        with self._lock:
            while freed < nbytes and self._files:
                key, size = self._files.popitem(last=False)
                self._bytes -= size
                # a file already gone went with a result removed while it was being rendered;
                # it was accounted all the same
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(key)
                freed += size
        return freed

    def forget(self, directory: Path) -> None:
        """A result is being removed (its files go with its directory)."""
        prefix = str(directory) + os.sep
        with self._lock:
            for key in [k for k in self._files if k.startswith(prefix)]:
                self._bytes -= self._files.pop(key)
            for key in [k for k in self._seen if k.startswith(prefix)]:
                del self._seen[key]
