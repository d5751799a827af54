"""A bounded set of files on the local disk, given back least recently used first.

The store keeps two caches of files beside the results it serves: a cluster replica's local
copies of result chunks fetched from S3 (:class:`tui.store.cluster.LocalChunkFiles`) and the
rendered JSON of chunks (:class:`tui.store.rendered.RenderedChunks`). Both need the same
bookkeeping: which files there are and how many bytes they hold, which was read last, which go
first when room is short, and deleting those. It lives here once, so the two cannot drift
apart; what the bytes mean for the store's quota stays with each cache's owner (the evicting
calls return the bytes they freed for the caller to release).
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections import OrderedDict
from pathlib import Path


class FileLRU:
    """Files on the local disk and their sizes, least recently used first, within a budget of
    ``capacity_bytes`` (kept by :meth:`make_room` before a file is written, or by
    ``add(..., within_capacity=True)`` after).

    Thread-safe. A file is deleted while the lock is held, so a file added again under the
    same path (fetched or rendered again) is never deleted by an eviction that counted the old
    one. Deleting a file that a reader has memory-mapped is safe: the reader keeps its pages
    (the kernel frees them when the mapping goes) and the next reader finds it gone.
    """

    def __init__(self, capacity_bytes: int):
        self.capacity_bytes = capacity_bytes
        self._files: OrderedDict[str, int] = OrderedDict()  # path → size, least recently used first
        self._bytes = 0
        self._lock = threading.Lock()

    @property
    def nbytes(self) -> int:
        """The bytes of the files counted now."""
        with self._lock:
            return self._bytes

    def __contains__(self, path: str | os.PathLike[str]) -> bool:
        """Is ``path`` counted? (Without making it the most recently used.)"""
        with self._lock:
            return os.fspath(path) in self._files

    def touch(self, path: str | os.PathLike[str]) -> bool:
        """Make ``path`` the most recently used; False when it is not counted (not there, or
        evicted: the caller makes it again)."""
        key = os.fspath(path)
        with self._lock:
            if key in self._files:
                self._files.move_to_end(key)
                return True
        return False

    def add(self, path: str | os.PathLike[str], size: int, *, within_capacity: bool = False) -> bool:
        """Count the file at ``path`` (``size`` bytes, just written) as the most recently used;
        True when it was not counted before. With ``within_capacity``, older files are then
        evicted until the set is within its capacity again (never this one: a file larger
        than the capacity stays until the next one comes)."""
        key = os.fspath(path)
        with self._lock:
            fresh = key not in self._files
            self._bytes += size - self._files.get(key, 0)
            self._files[key] = size
            self._files.move_to_end(key)
            if within_capacity:
                self._evict(self._bytes - self.capacity_bytes, keep=1)
        return fresh

    def make_room(self, nbytes: int) -> int:
        """Evict least recently used files until ``nbytes`` more fit within the capacity (or
        none are left); returns the bytes freed."""
        with self._lock:
            return self._evict(self._bytes + nbytes - self.capacity_bytes)

    def evict(self, nbytes: int) -> int:
        """Delete least recently used files until ``nbytes`` are freed (or none are left);
        returns the bytes freed."""
        with self._lock:
            return self._evict(nbytes)

    def _evict(self, nbytes: int, keep: int = 0) -> int:
        freed = 0
        while freed < nbytes and len(self._files) > keep:
            key, size = self._files.popitem(last=False)
            self._bytes -= size
            # a file already gone went with a result removed meanwhile; it was counted all the same
            with contextlib.suppress(FileNotFoundError):
                os.unlink(key)
            freed += size
        return freed

    def forget(self, directory: Path) -> None:
        """Stop counting the files under ``directory``, without deleting them: a result is
        being removed, and its files go with its directory."""
        prefix = str(directory) + os.sep
        with self._lock:
            for key in [k for k in self._files if k.startswith(prefix)]:
                self._bytes -= self._files.pop(key)
