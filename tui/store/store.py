"""The store: the registry, the result-set directories, cursors, quota, expiry and recovery.

Layout of the store root::

    registry.sqlite3      one row per query (tui.store.registry)
    secret                the cursor-signing key, created once (0600)
    results/<hex>/        one directory per result set (tui.store.resultset)

Directory names are random hex generated here: nothing a client sends ever becomes part of a
filesystem path.
"""

from __future__ import annotations

import fcntl
import logging
import os
import secrets
import shutil
import threading
from collections import OrderedDict
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import pyarrow as pa

from tui.store.cursors import CursorCodec
from tui.store.registry import QueryRecord, Registry
from tui.store.rendered import RenderedChunks, is_rendered_file
from tui.store.resultset import CHUNKS, QuotaExceeded, ResultIndex, ResultWriter, load_index
from tui.wire import QueryStatus

log = logging.getLogger("folio.store")

Clock = Callable[[], datetime]

#: How long an expired query is still remembered, so it answers "expired" (410) rather than
#: "not found" (404).
TOMBSTONE_TTL = timedelta(days=7)
#: Characters of SQL kept for an expired query: its text (up to 1 MiB) counts against the
#: quota while its result lives; once it only answers "expired", a prefix is enough.
EXPIRED_SQL_CHARS = 1024


def sql_size(sql: str) -> int:
    return len(sql.encode("utf-8", "surrogatepass"))


class StoreBusy(RuntimeError):
    """Another process is using this store; two writers would undo each other's recovery."""


def _lock(root: Path) -> int:
    fd = os.open(root / "lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise StoreBusy(f"the result store {root} is in use by another folio process") from None
    return fd


def _load_secret(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        pass
    secret = secrets.token_bytes(32)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(secret)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    return secret


def directory_size(path: Path) -> int:
    total = 0
    for entry in os.scandir(path):
        if entry.is_file(follow_symlinks=False):
            total += entry.stat(follow_symlinks=False).st_size
    return total


class Store:
    def __init__(
        self,
        root: Path,
        *,
        clock: Clock,
        expiry: timedelta = timedelta(hours=24),
        quota_bytes: int | None = None,
        min_free_bytes: int = 256 * 1024 * 1024,
        chunk_rows: int | None = None,
        rendered_cache_bytes: int = 1024 * 1024 * 1024,
    ):
        self.root = root
        self.clock = clock
        self.expiry = expiry
        self.quota_bytes = quota_bytes
        self.min_free_bytes = min_free_bytes
        self.chunk_rows = chunk_rows
        root.mkdir(parents=True, exist_ok=True)
        # One process per store: recovery at start-up treats every RUNNING query as crashed,
        # which is only true if no other process is running them.
        self._lock_fd = _lock(root)
        self.results = root / "results"
        self.results.mkdir(exist_ok=True)
        self.registry = Registry(root / "registry.sqlite3")
        self.cursors = CursorCodec(_load_secret(root / "secret"))
        self._usage_lock = threading.Lock()
        self._indexes: OrderedDict[str, ResultIndex] = OrderedDict()
        self._indexes_lock = threading.Lock()
        self.rendered = RenderedChunks(
            capacity_bytes=rendered_cache_bytes, reserve=self.reserve, account=self.account, release=self.release
        )
        self.recover()
        self._usage = sum(directory_size(p) for p in self.results.iterdir() if p.is_dir())
        self._usage += self.registry.sql_bytes()

    # -- lifecycle --------------------------------------------------------------------------

    def recover(self) -> None:
        """Make the store consistent after an unclean stop.

        Queries that were queued or running come back as ERROR with their partial result
        removed; a COMPLETED query whose index is missing (never durable) becomes ERROR too; a
        directory that no query owns is deleted.
        """
        now = self.clock()
        for record in self.registry.with_status(QueryStatus.QUEUED, QueryStatus.RUNNING):
            self._fail_interrupted(record, now)
        for record in self.registry.with_status(QueryStatus.COMPLETED):
            if load_index(self.results / record.directory) is None and not (
                record.expires_at and record.expires_at <= now
            ):
                self._fail_interrupted(record, now, "its stored result is incomplete")
        owned = self.registry.directories()
        for path in self.results.iterdir():
            if path.name not in owned:
                log.warning("removing orphaned result directory %s", path.name)
                shutil.rmtree(path, ignore_errors=True)
            else:
                for entry in os.scandir(path):
                    if is_rendered_file(entry.name):
                        os.unlink(entry.path)

    def _fail_interrupted(self, record: QueryRecord, now: datetime, why: str = "") -> None:
        shutil.rmtree(self.results / record.directory, ignore_errors=True)
        record.status = QueryStatus.ERROR
        record.finished_at = record.finished_at or now
        record.expires_at = now + self.expiry
        record.row_count = record.byte_size = record.file_count = None
        record.error = {
            "type": "INTERNALERROR",
            "message": "the service stopped while this query was running; run it again"
            if not why
            else f"{why}; run the query again",
        }
        self.registry.save(record)

    def close(self) -> None:
        self.registry.close()
        os.close(self._lock_fd)

    # -- results ----------------------------------------------------------------------------

    @staticmethod
    def new_directory_name() -> str:
        return secrets.token_hex(16)

    def writer(self, record: QueryRecord, schema: pa.Schema, on_chunk: Callable[[], None]) -> ResultWriter:
        if self.chunk_rows:
            return ResultWriter(
                self.results / record.directory,
                schema,
                reserve=self.reserve,
                account=self.account,
                on_chunk=on_chunk,
                chunk_rows=self.chunk_rows,
            )
        return ResultWriter(
            self.results / record.directory, schema, reserve=self.reserve, account=self.account, on_chunk=on_chunk
        )

    def path(self, record: QueryRecord) -> Path:
        return self.results / record.directory

    def index(self, record: QueryRecord) -> ResultIndex | None:
        """The index of a completed result (cached: the hot path of every page request)."""
        with self._indexes_lock:
            index = self._indexes.get(record.directory)
            if index is not None:
                self._indexes.move_to_end(record.directory)
                return index
        index = load_index(self.results / record.directory)
        if index is not None:
            with self._indexes_lock:
                self._indexes[record.directory] = index
                while len(self._indexes) > 256:
                    self._indexes.popitem(last=False)
        return index

    def remove_result(self, record: QueryRecord) -> None:
        path = self.results / record.directory
        with self._indexes_lock:
            self._indexes.pop(record.directory, None)
        CHUNKS.forget(path)
        self.rendered.forget(path)
        if path.exists():
            size = directory_size(path)
            shutil.rmtree(path, ignore_errors=True)
            self.release(size)

    # -- quota ------------------------------------------------------------------------------

    @property
    def usage_bytes(self) -> int:
        with self._usage_lock:
            return self._usage

    def admit_sql(self, sql: str) -> None:
        """Count a new query's SQL against the quota, or raise :class:`QuotaExceeded`: the
        registry keeps it for as long as the query's result (failed queries included), so
        SQL texts must not grow the store past its quota any more than results may."""
        nbytes = sql_size(sql)
        self.reserve(nbytes)
        self.account(nbytes)

    def reserve(self, nbytes: int) -> None:
        """Check there is room for ``nbytes`` more, or raise :class:`QuotaExceeded`. Rendered
        pages are given back first when room is short."""
        with self._usage_lock:
            over = self._usage + nbytes - self.quota_bytes if self.quota_bytes is not None else 0
        free = shutil.disk_usage(self.results).free
        short = max(over, self.min_free_bytes - (free - nbytes))
        if short > 0 and self.rendered.nbytes:
            self.release(self.rendered.evict(short))
            free = shutil.disk_usage(self.results).free
        with self._usage_lock:
            if self.quota_bytes is not None and self._usage + nbytes > self.quota_bytes:
                raise QuotaExceeded(
                    f"the result store is full ({self._usage:,} of {self.quota_bytes:,} bytes used); "
                    "drop results you no longer need or wait for them to expire"
                )
            if free - nbytes < self.min_free_bytes:
                raise QuotaExceeded("the disk holding the result store is nearly full")

    def account(self, nbytes: int) -> None:
        """Count ``nbytes`` just written."""
        with self._usage_lock:
            self._usage += nbytes

    def release(self, nbytes: int) -> None:
        with self._usage_lock:
            self._usage = max(0, self._usage - nbytes)

    # -- expiry -----------------------------------------------------------------------------

    def sweep(self) -> int:
        """Delete the result sets that have expired; forget long-expired queries. Returns how
        many result sets were removed."""
        now = self.clock()
        removed = 0
        for record in self.registry.expired(now):
            if record.expires_at and record.expires_at + TOMBSTONE_TTL <= now:
                self.remove_result(record)
                self.registry.delete(record.query_id)
                self.release(sql_size(record.sql))
                continue
            if (self.results / record.directory).exists():
                self.remove_result(record)
                removed += 1
            if len(record.sql) > EXPIRED_SQL_CHARS + 1:
                kept = record.sql[:EXPIRED_SQL_CHARS] + "…"
                self.registry.set_sql(record.query_id, kept)
                self.release(sql_size(record.sql) - sql_size(kept))
        return removed

    def drop(self, record: QueryRecord) -> None:
        stored = self.registry.get(record.query_id)
        self.remove_result(record)
        self.registry.delete(record.query_id)
        if stored is not None:
            self.release(sql_size(stored.sql))
