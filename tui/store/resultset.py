"""A stored result set: Arrow IPC chunks on disk plus a row-offset index.

Writing: the engine's batches are re-chunked into files of a few thousand rows
(``chunk-000000.arrow``, …) as they arrive, so the service never holds a whole result in
memory. A result is complete only when :meth:`ResultWriter.finish` has fsynced every chunk and
atomically written ``index.json``; a directory without an index is an unfinished (or crashed)
write and is never served as complete. Chunks are fsynced in the background as they are written
(:data:`_SYNCER`), so finishing waits for the last few, not for a pass over every chunk (about
1,200 at 10M rows, which made COMPLETED lag the last row by 1–3 s).

Reading: page ``(offset, count)`` is a binary search over the chunk start rows and a slice of
one or two memory-mapped chunks, so page 1,000,000 costs what page 1 costs.
"""

from __future__ import annotations

import base64
import bisect
import ctypes
import errno
import functools
import json
import os
import shutil
import threading
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa

from tui.store.widths import batch_widths, widest

INDEX_FILE = "index.json"
CHUNK_ROWS = 8192
CHUNK_BYTES = 8 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Chunk:
    start: int
    rows: int
    nbytes: int
    name: str


@dataclass
class ResultIndex:
    """Where every row of a result lives. Shared between the writer and live readers: the
    writer only appends, under ``lock``, and readers take consistent snapshots."""

    schema: pa.Schema
    chunks: list[Chunk] = field(default_factory=list)
    complete: bool = False
    #: the longest value of each column as text, over the chunks written so far
    #: (:mod:`tui.store.widths`); empty for an index written before folio measured them
    widths: list[int] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def rows(self) -> int:
        with self.lock:
            return self.chunks[-1].start + self.chunks[-1].rows if self.chunks else 0

    @property
    def nbytes(self) -> int:
        with self.lock:
            return sum(chunk.nbytes for chunk in self.chunks)

    def snapshot(self) -> tuple[list[int], list[Chunk]]:
        with self.lock:
            chunks = list(self.chunks)
        return [chunk.start for chunk in chunks], chunks

    def to_json(self) -> dict:
        return {
            "version": 1,
            "rows": self.rows,
            "bytes": self.nbytes,
            "schema": base64.b64encode(self.schema.serialize().to_pybytes()).decode(),
            "chunks": [[c.start, c.rows, c.nbytes, c.name] for c in self.chunks],
            "widths": list(self.widths),
        }

    @classmethod
    def from_json(cls, data: dict) -> ResultIndex:
        schema = pa.ipc.read_schema(pa.py_buffer(base64.b64decode(data["schema"])))
        chunks = [Chunk(int(s), int(r), int(b), str(n)) for s, r, b, n in data["chunks"]]
        widths = data.get("widths")
        if not (isinstance(widths, list) and len(widths) == len(schema) and all(isinstance(w, int) for w in widths)):
            widths = []
        return cls(schema=schema, chunks=chunks, complete=True, widths=widths)


class QuotaExceeded(Exception):
    """Writing the next chunk would take the store over its disk quota."""


def _fsync_path(path: Path, *, directory: bool = False) -> None:
    fd = os.open(path, os.O_RDONLY | (os.O_DIRECTORY if directory else 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


#: one thread for the whole process that fsyncs chunks as writers hand them over: the writer's
#: thread keeps reading the engine while the disk catches up, and results written side by side
#: queue their syncs rather than competing for the disk
_SYNCER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="folio-fsync")


def _syncfs(directory: Path) -> bool:
    """Flush every dirty page of ``directory``'s filesystem (Linux ``syncfs``, which reports
    write-back errors since 5.8); ``False`` where there is no such call."""
    libc = _libc()
    syncfs = getattr(libc, "syncfs", None) if libc is not None else None
    if syncfs is None:
        return False
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        if syncfs(fd) != 0:
            error = ctypes.get_errno()
            if error == errno.ENOSYS:
                return False
            raise OSError(error, os.strerror(error), str(directory))
    finally:
        os.close(fd)
    return True


def _succeeded(sync: Future[None]) -> bool:
    return sync.done() and not sync.cancelled() and sync.exception() is None


@functools.cache
def _libc() -> ctypes.CDLL | None:
    try:
        return ctypes.CDLL(None, use_errno=True)
    except OSError:
        return None


def unique_names(schema: pa.Schema) -> pa.Schema:
    """``schema`` with repeated column names made unique as DuckDB's own client does (``a``,
    ``a_1``, ``a_2``): a result is served as JSON objects, where a repeated key would keep only
    its last value, and every engine's results go through here."""
    seen: set[str] = set()
    counts: dict[str, int] = {}
    fields, renamed = [], False
    for column in schema:
        name = column.name
        if name in seen:
            number = counts.get(name, 1)
            while f"{name}_{number}" in seen:
                number += 1
            counts[name] = number + 1
            column, renamed = column.with_name(f"{name}_{number}"), True
        seen.add(column.name)
        fields.append(column)
    return pa.schema(fields, schema.metadata) if renamed else schema


class ResultWriter:
    """Streams record batches of one result into ``directory``.

    ``reserve(nbytes)`` is called before each chunk is written and may raise
    :class:`QuotaExceeded`; ``account(nbytes)`` after it is written, with its size on disk;
    ``on_chunk()`` after each chunk is on disk (the runner uses it to
    wake readers waiting for rows of a running query).
    """

    def __init__(
        self,
        directory: Path,
        schema: pa.Schema,
        *,
        chunk_rows: int = CHUNK_ROWS,
        chunk_bytes: int = CHUNK_BYTES,
        reserve: Callable[[int], None] | None = None,
        account: Callable[[int], None] | None = None,
        on_chunk: Callable[[], None] | None = None,
    ):
        self.directory = directory
        self.index = ResultIndex(schema=unique_names(schema))
        self._chunk_rows = chunk_rows
        self._chunk_bytes = chunk_bytes
        self._reserve = reserve
        self._account = account
        self._on_chunk = on_chunk
        self._pending: list[pa.RecordBatch] = []
        #: background fsyncs of the chunks written so far, waited for by :meth:`finish`
        self._syncs: list[Future[None]] = []
        self._pending_rows = 0
        self._pending_bytes = 0
        self._written_rows = 0
        #: rows and Arrow bytes handed to :meth:`append` so far, flushed or not
        self.appended_rows = 0
        self.appended_bytes = 0
        directory.mkdir(parents=True, exist_ok=False)

    def append(self, batch: pa.RecordBatch) -> None:
        if batch.schema != self.index.schema:
            batch = pa.RecordBatch.from_arrays(batch.columns, schema=self.index.schema)
        self.appended_rows += batch.num_rows
        self.appended_bytes += batch.nbytes
        offset = 0
        while offset < batch.num_rows:
            room = self._chunk_rows - self._pending_rows
            piece = batch.slice(offset, room)
            offset += piece.num_rows
            self._pending.append(piece)
            self._pending_rows += piece.num_rows
            self._pending_bytes += piece.nbytes
            if self._pending_rows >= self._chunk_rows or self._pending_bytes >= self._chunk_bytes:
                self._flush()

    def _flush(self) -> None:
        if not self._pending_rows:
            return
        table = pa.Table.from_batches(self._pending, schema=self.index.schema).combine_chunks()
        batch = table.to_batches()[0] if table.num_rows else None
        self._pending, self._pending_rows, self._pending_bytes = [], 0, 0
        if batch is None:
            return
        if self._reserve:
            self._reserve(batch.nbytes)
        name = f"chunk-{len(self.index.chunks):06d}.arrow"
        path = self.directory / name
        with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_file(sink, self.index.schema) as writer:
            writer.write_batch(batch)
        nbytes = path.stat().st_size
        if self._account:
            self._account(nbytes)
        # the syncs that succeeded are forgotten as the result grows (one per chunk: 1,200 at
        # 10M rows); a failed one is kept for finish() to raise
        self._syncs = [sync for sync in self._syncs if not _succeeded(sync)]
        self._syncs.append(_SYNCER.submit(_fsync_path, path))
        chunk = Chunk(self._written_rows, batch.num_rows, nbytes, name)
        widths = batch_widths(batch)
        with self.index.lock:
            self.index.chunks.append(chunk)
            self.index.widths = widest(self.index.widths, widths)
        self._written_rows += batch.num_rows
        if self._on_chunk:
            self._on_chunk()

    def finish(self) -> ResultIndex:
        """Flush, make every chunk and the index durable, and mark the index complete."""
        self._flush()
        # Every chunk durable before the index names it complete. Most were synced while the
        # query ran; when the disk fell behind (a fast engine, a busy machine), one syncfs of the
        # store's filesystem settles the rest at once (10M rows: 0.4 s where fsyncing the
        # backlog one by one took 2 s). An error (disk full, I/O error) fails the result here.
        pending = [sync for sync in self._syncs if not sync.done()]
        if pending and _syncfs(self.directory):
            for sync in pending:
                sync.cancel()  # the one already running finishes on its own; syncfs covered it
        for sync in self._syncs:
            if not sync.cancelled():
                if sync.running():
                    continue
                sync.result()
        self._syncs.clear()
        tmp = self.directory / (INDEX_FILE + ".tmp")
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump(self.index.to_json(), fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.directory / INDEX_FILE)
        _fsync_path(self.directory, directory=True)
        if self._account:
            self._account((self.directory / INDEX_FILE).stat().st_size)
        self.index.complete = True
        return self.index

    def abort(self) -> None:
        """Remove everything written so far (a cancelled, failed or over-quota result)."""
        for sync in self._syncs:
            sync.cancel()
        self._syncs.clear()
        shutil.rmtree(self.directory, ignore_errors=True)


class _ChunkCache:
    """Memory-mapped chunks, shared by every reader.

    Mapped pages are the page cache's, not the heap's, but a process's RSS counts the ones it
    has touched while they stay mapped, and one page read from a chunk touches most of it (the
    kernel maps 64 kB around each fault, and a page reads every column). The bound is therefore
    on mapped bytes: a reader that walks a whole 10M-row result holds a few dozen chunks
    mapped, not all of them (``ServiceSettings.mapped_chunk_bytes``). It is on
    mappings too: a service that answers many small queries would otherwise keep thousands of
    tiny chunks mapped, each a mapping the kernel counts (``vm.max_map_count``, 65,530 by
    default) and a few kB of RSS.
    """

    def __init__(self, capacity_bytes: int = 64 * 1024 * 1024, capacity_chunks: int = 1024):
        self._capacity = capacity_bytes
        self._capacity_chunks = capacity_chunks
        self._items: OrderedDict[str, pa.RecordBatch] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, path: Path) -> pa.RecordBatch:
        key = str(path)
        with self._lock:
            batch = self._items.get(key)
            if batch is not None:
                self._items.move_to_end(key)
                return batch
        source = pa.memory_map(key, "r")
        batch = pa.ipc.open_file(source).get_batch(0)
        with self._lock:
            if key not in self._items:
                self._items[key] = batch
                self._bytes += batch.nbytes
            self._evict()
        return batch

    @property
    def nbytes(self) -> int:
        """Arrow bytes of the chunks mapped now."""
        with self._lock:
            return self._bytes

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)

    def resize(self, capacity_bytes: int) -> None:
        """Bound the mapped bytes to ``capacity_bytes`` from now on (the service's setting)."""
        with self._lock:
            self._capacity = capacity_bytes
            self._evict()

    def _evict(self) -> None:
        while len(self._items) > 1 and (self._bytes > self._capacity or len(self._items) > self._capacity_chunks):
            _, evicted = self._items.popitem(last=False)
            self._bytes -= evicted.nbytes

    def forget(self, directory: Path) -> None:
        prefix = str(directory) + os.sep
        with self._lock:
            for key in [k for k in self._items if k.startswith(prefix)]:
                self._bytes -= self._items.pop(key).nbytes


CHUNKS = _ChunkCache()


def read_chunk(path: Path) -> pa.RecordBatch:
    """A chunk mapped for one use, outside :data:`CHUNKS`: for a pass over whole chunks
    (rendering one, a find's scan). Such a pass touches every page of the chunk, and those
    pages would count in the process's RSS for as long as the shared cache kept it mapped
    (64 MiB of them after jumping around a 10M-row result); this mapping ends with the batch."""
    return pa.ipc.open_file(pa.memory_map(str(path), "r")).get_batch(0)


def load_index(directory: Path) -> ResultIndex | None:
    """The index of a completed result, or ``None`` if the directory holds none."""
    try:
        with open(directory / INDEX_FILE, encoding="utf-8") as fh:
            return ResultIndex.from_json(json.load(fh))
    except FileNotFoundError:
        return None


def read_rows(directory: Path, index: ResultIndex, offset: int, count: int) -> pa.Table:
    """Rows ``[offset, offset + count)`` of the result (fewer at the end of what is stored)."""
    starts, chunks = index.snapshot()
    if count <= 0 or not chunks:
        return index.schema.empty_table()
    end = min(offset + count, chunks[-1].start + chunks[-1].rows)
    pieces: list[pa.RecordBatch] = []
    i = bisect.bisect_right(starts, offset) - 1
    position = offset
    while 0 <= i < len(chunks) and position < end:
        chunk = chunks[i]
        batch = CHUNKS.get(directory / chunk.name)
        local = position - chunk.start
        take = min(chunk.rows - local, end - position)
        pieces.append(batch.slice(local, take))
        position += take
        i += 1
    if not pieces:
        return index.schema.empty_table()
    return pa.Table.from_batches(pieces, schema=index.schema)
