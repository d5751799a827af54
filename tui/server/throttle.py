"""Backing off failed authentication, per client address.

An address that sends ``after`` bad or missing keys in a row (failures older than ``forget_s``
are forgotten) must then wait before its next attempt: 1 s, doubling with each further failure,
up to ``max_s``. While it waits, a request with a key that has not worked from that address
before is answered ``429 RATELIMITEXCEEDED`` with ``Retry-After``, *whether or not the key is
valid*: answering a valid key differently would tell a guesser which guess was right. A key
that has already worked from that address keeps working, so one mistyped script behind a
shared address does not lock out the colleagues who were already connected. A success does not
reset the count (a holder of one key could otherwise guess others between its own requests).

Memory is bounded: at most ``max_addresses`` addresses are tracked (least recently seen go
first), each with at most :data:`KNOWN_KEYS` keys.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

#: keys remembered per address as having worked from there
KNOWN_KEYS = 16


@dataclass
class _Address:
    failures: int = 0
    last_failure: float = 0.0
    known: OrderedDict[str, None] = field(default_factory=OrderedDict)


class AuthThrottle:
    def __init__(
        self,
        *,
        after: int = 10,
        max_s: float = 300.0,
        forget_s: float = 600.0,
        max_addresses: int = 65_536,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.after = after
        self.max_s = max_s
        self.forget_s = forget_s
        self.max_addresses = max_addresses
        self._clock = clock
        self._addresses: OrderedDict[str, _Address] = OrderedDict()
        self._lock = threading.Lock()

    def _get(self, address: str, now: float) -> _Address | None:
        entry = self._addresses.get(address)
        if entry is None:
            return None
        self._addresses.move_to_end(address)
        if entry.failures and now - entry.last_failure > self.forget_s:
            entry.failures = 0
        return entry

    def _delay(self, failures: int) -> float:
        if failures < self.after:
            return 0.0
        return min(self.max_s, 2.0 ** (failures - self.after))

    def wait_s(self, address: str, key_digest: str | None) -> float:
        """Seconds ``address`` must still wait before a key can be tried (0: go ahead)."""
        now = self._clock()
        with self._lock:
            entry = self._get(address, now)
            if entry is None or not entry.failures:
                return 0.0
            if key_digest is not None and key_digest in entry.known:
                return 0.0
            return max(0.0, entry.last_failure + self._delay(entry.failures) - now)

    def failed(self, address: str) -> None:
        now = self._clock()
        with self._lock:
            entry = self._get(address, now) or self._new(address)
            entry.failures += 1
            entry.last_failure = now

    def succeeded(self, address: str, key_digest: str) -> None:
        now = self._clock()
        with self._lock:
            entry = self._get(address, now) or self._new(address)
            entry.known[key_digest] = None
            entry.known.move_to_end(key_digest)
            while len(entry.known) > KNOWN_KEYS:
                entry.known.popitem(last=False)

    def _new(self, address: str) -> _Address:
        entry = self._addresses[address] = _Address()
        while len(self._addresses) > self.max_addresses:
            self._addresses.popitem(last=False)
        return entry


def retry_after(seconds: float) -> str:
    """A ``Retry-After`` value: whole seconds, at least 1."""
    return str(max(1, math.ceil(seconds)))
