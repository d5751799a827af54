"""Fair queueing of queries between orgs.

Workers are few (``--max-concurrent``), and a first-come-first-served queue lets one org that
submits many long queries hold every worker and make everyone else wait behind all of them.
Instead a free worker takes the oldest queued query of the org that has the fewest queries
executing: an org that is already using workers yields to one that is not, and orgs with
equal shares take turns in the order their queries arrived.
"""

from __future__ import annotations

import itertools
from collections import Counter, deque
from typing import Generic, TypeVar

T = TypeVar("T")


class FairQueue(Generic[T]):
    """Queued items by org, and how many each org has executing. Not thread-safe: the caller
    holds its own lock."""

    def __init__(self) -> None:
        self._queues: dict[str, deque[tuple[int, T]]] = {}
        self._running: Counter[str] = Counter()
        self._order = itertools.count()

    def __len__(self) -> int:
        return sum(len(queue) for queue in self._queues.values())

    def push(self, org: str, item: T) -> None:
        self._queues.setdefault(org, deque()).append((next(self._order), item))

    def remove(self, org: str, item: T) -> bool:
        """Take ``item`` out of the queue (it will not run); ``False`` if it is not queued."""
        queue = self._queues.get(org)
        if not queue:
            return False
        for entry in queue:
            if entry[1] is item:
                queue.remove(entry)
                if not queue:
                    del self._queues[org]
                return True
        return False

    def pop(self) -> tuple[str, T] | None:
        """The next item to execute (now counted as executing for its org), or ``None``."""
        if not self._queues:
            return None
        org = min(self._queues, key=lambda o: (self._running[o], self._queues[o][0][0]))
        queue = self._queues[org]
        _, item = queue.popleft()
        if not queue:
            del self._queues[org]
        self._running[org] += 1
        return org, item

    def done(self, org: str) -> None:
        """An item popped for ``org`` has finished executing."""
        self._running[org] -= 1
        if self._running[org] <= 0:
            del self._running[org]
