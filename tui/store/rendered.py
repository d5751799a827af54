"""Completed results as JSON, rendered once per chunk and kept beside the chunk.

Rendering rows as JSON is most of what a page request costs the service (about 2 ms of the
3 ms for 1,000 rows of the demo table). A completed result never changes, so a chunk that readers
jump into or come back to is rendered whole, once, into a file next to it, and every later page
that touches the chunk is a few ``pread`` calls: no Arrow, no parsing, no memory mapping (the
bytes live in the kernel's page cache, not in the service's RSS).

A rendered file holds ``rows + 1`` little-endian uint64 byte offsets, then every row's JSON
object followed by a comma, so rows ``[i, j)`` are one contiguous byte range.

Admission: a chunk is rendered, in the background, once its reads look like random access:
a read that starts inside it (not at its first row), or a second read that does not continue
where the previous one ended. A scan (an export, a client paging through, the app scrolling
on) enters each chunk at its first row and then continues, so it never gets a chunk rendered,
while readers who jump around or come back are served from the file after their first read.
No request waits for a render: until the file is there, pages are rendered from Arrow.

Space: rendered files count against the store's quota like results do, with a bound of their
own, and they are the first thing given back: the least recently read go when the bound is
reached or a result being stored needs the room. They are a cache, not data: the store
deletes them all at start-up, so a file cut short by a crash is never read.
"""

from __future__ import annotations

import bisect
import os
import struct
import threading
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

import pyarrow as pa
import pyarrow.compute as pc

from tui.store.filecache import FileLRU
from tui.store.jsonrows import row_texts
from tui.store.resultset import Chunk, QuotaExceeded, ResultIndex, read_chunk

SUFFIX = ".rows.json"
_OFFSET = struct.Struct("<Q")


class RenderedPage(NamedTuple):
    """Rows of a page read from rendered files: their JSON array (``None`` when it was over
    the caller's read limit, so not read) and how many rows it holds."""

    json: bytes | None
    count: int


def _offset(fd: int, row: int) -> int:
    """Where row ``row`` starts in the body of a rendered file (the one after the last: its end)."""
    return _OFFSET.unpack(os.pread(fd, 8, 8 * row))[0]


def _offsets(fd: int, first: int, last: int) -> list[int]:
    """Where rows ``first`` … ``last`` start (inclusive) in the body of a rendered file."""
    count = last - first + 1
    return list(struct.unpack(f"<{count}Q", os.pread(fd, 8 * count, 8 * first)))


def is_rendered_file(name: str) -> bool:
    return name.endswith(SUFFIX) or (SUFFIX + ".") in name  # the file, or one being written


def _touched(index: ResultIndex, offset: int, count: int) -> tuple[list[Chunk], int]:
    """The chunks holding rows ``[offset, offset + count)``, and where those rows end."""
    starts, chunks = index.snapshot()
    if count <= 0 or not chunks:
        return [], 0
    end = min(offset + count, chunks[-1].start + chunks[-1].rows)
    first = bisect.bisect_right(starts, offset) - 1
    if offset >= end or first < 0:
        return [], end  # nothing there: not worth a file
    return [c for c in chunks[first:] if c.start < end], end


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
        self._reserve = reserve
        self._account = account
        self._release = release
        self._files = FileLRU(capacity_bytes)  # the rendered files, least recently read first
        # chunks read from their first row or by one scan, not rendered: where that read ended
        self._seen: OrderedDict[str, int] = OrderedDict()
        self._seen_capacity = seen_capacity
        self._pending: set[str] = set()  # chunks handed out by admit, not rendered yet
        self._lock = threading.Lock()

    @property
    def capacity_bytes(self) -> int:
        return self._files.capacity_bytes

    @property
    def nbytes(self) -> int:
        return self._files.nbytes

    def page(self, directory: Path, index: ResultIndex, offset: int, count: int) -> bytes | None:
        """Rows ``[offset, offset + count)`` as a JSON array, or ``None`` when some chunk they
        touch is not rendered (yet): the caller renders those rows itself. Reading changes
        nothing but the order of eviction; :meth:`admit` is what counts reads."""
        found = self.page_within(directory, index, offset, count)
        return None if found is None else found.json

    def page_within(
        self,
        directory: Path,
        index: ResultIndex,
        offset: int,
        count: int,
        max_bytes: int | None = None,
        read_limit: int | None = None,
    ) -> RenderedPage | None:
        """Like :meth:`page`, but the rows stop where their JSON array would exceed
        ``max_bytes`` (at least one row: :mod:`tui.store.pagebytes`). Over ``read_limit``
        bytes, the rows are measured but not read (``json`` is ``None``): the event loop
        asks with a limit and leaves larger reads to a thread."""
        touched, end = _touched(index, offset, count)
        if not touched:
            return None
        base = os.path.join(directory, "")
        if not all(self._files.touch(base + chunk.name + SUFFIX) for chunk in touched):
            return None
        budget = None if max_bytes is None else max_bytes - 1  # rows with commas, + "[" + "]" - ","
        files: list[int] = []
        try:
            spans: list[tuple[int, int, int, int]] = []  # (file, rows in chunk, first byte, end byte)
            used = taken = 0
            for chunk in touched:
                files.append(os.open(base + chunk.name + SUFFIX, os.O_RDONLY))
                local = max(offset - chunk.start, 0)
                last = min(chunk.rows, end - chunk.start)
                if budget is None:
                    ends = [_offset(files[-1], local), _offset(files[-1], last)]
                else:
                    ends = _offsets(files[-1], local, last)
                    fits = max(0, bisect.bisect_right(ends, ends[0] + budget - used) - 1)
                    if fits == 0 and taken == 0:
                        fits = 1  # a page is never empty
                    cut = local + min(fits, last - local)
                    ends, last = ends[: cut - local + 1], cut
                    used += ends[-1] - ends[0]
                if last > local:
                    spans.append((files[-1], chunk.rows, ends[0], ends[-1]))
                    taken += last - local
                if last < min(chunk.rows, end - chunk.start):
                    break
            if read_limit is not None and sum(stop - start for _, _, start, stop in spans) > read_limit:
                return RenderedPage(None, taken)
            pieces: list[bytes] = []
            for fd, rows, start, stop in spans:
                size = stop - start - 1  # without the last row's comma
                piece = os.pread(fd, size, 8 * (rows + 1) + start)
                if len(piece) != size:
                    return None
                pieces.append(piece)
        except (OSError, struct.error):  # a file evicted, or its result dropped, since _ready
            return None
        finally:
            for fd in files:
                os.close(fd)
        return RenderedPage(b"[" + b",".join(pieces) + b"]", taken)

    def admit(self, directory: Path, index: ResultIndex, offset: int, count: int) -> list[Chunk]:
        """Count a read of rows ``[offset, offset + count)`` that :meth:`page` could not serve;
        returns the chunks now due for :meth:`render` (not rendered, not already handed out).

        A chunk is due when this read starts inside it, or when it was read before and this
        read does not start where that one ended. A read from a chunk's first row, or one that
        continues the previous read, may be part of a scan and is only remembered."""
        touched, end = _touched(index, offset, count)
        due: list[Chunk] = []
        base = os.path.join(directory, "")
        # under this lock, the files' own lock is taken too (never the other way round): render
        # counts its file before it leaves _pending, so a rendered chunk is always in one of them
        with self._lock:
            for chunk in touched:
                key = base + chunk.name + SUFFIX
                if key in self._files or key in self._pending:
                    continue
                first, last = max(offset, chunk.start), min(end, chunk.start + chunk.rows)
                previous = self._seen.get(key)
                if first != (chunk.start if previous is None else previous):
                    self._seen.pop(key, None)
                    self._pending.add(key)
                    due.append(chunk)
                    continue
                self._seen[key] = last
                self._seen.move_to_end(key)
                while len(self._seen) > self._seen_capacity:
                    self._seen.popitem(last=False)
        return due

    def render(self, directory: Path, chunk: Chunk) -> bool:
        """Render ``chunk`` of the result in ``directory`` to its file (a chunk :meth:`admit`
        handed out). False when it could not be: no room, or the result is gone."""
        path = directory / (chunk.name + SUFFIX)
        key = str(path)
        try:
            return self._render(directory, chunk, path)
        finally:
            with self._lock:
                self._pending.discard(key)

    def _render(self, directory: Path, chunk: Chunk, path: Path) -> bool:
        try:
            batch = read_chunk(directory / chunk.name)  # every row of it: not kept mapped
        except (FileNotFoundError, pa.ArrowException):
            return False
        texts = row_texts(pa.Table.from_batches([batch]), terminator=",")
        ends = pa.Array.from_buffers(pa.int32(), len(texts) + 1, [None, texts.buffers()[1]], offset=texts.offset)
        base = ends[0].as_py()
        # the Arrow scalar, not ``base``: a Python int would make pyarrow import pandas (tui.store.literals)
        header = pc.subtract(ends, ends[0]).cast(pa.uint64()).buffers()[1][: 8 * len(ends)]
        body = texts.buffers()[2][base : ends[-1].as_py()]
        size = header.size + body.size
        if size > self.capacity_bytes:
            return False
        try:
            freed = self._files.make_room(size)
            if freed:
                self._release(freed)
            self._reserve(size)
        except QuotaExceeded:
            return False
        # written aside and renamed: a reader finds the whole file or none (and should two
        # renders of one chunk ever race, each has its own temporary file and the size is
        # counted once)
        tmp = path.with_name(f"{path.name}.{threading.get_ident()}.tmp")
        try:
            with open(tmp, "wb") as fh:
                fh.write(header)
                fh.write(body)
            os.replace(tmp, path)
        except OSError:  # the result was dropped meanwhile, or the disk is full: no cache
            tmp.unlink(missing_ok=True)
            return False
        if self._files.add(path, size):
            self._account(size)
        return True

    def evict(self, nbytes: int) -> int:
        """Delete least recently read files until ``nbytes`` are freed (or none are left);
        returns the bytes freed. The caller releases them from the store's usage."""
        return self._files.evict(nbytes)

    def forget(self, directory: Path) -> None:
        """A result is being removed (its files go with its directory)."""
        self._files.forget(directory)
        prefix = str(directory) + os.sep
        with self._lock:
            for key in [k for k in self._seen if k.startswith(prefix)]:
                del self._seen[key]
