"""When and how long to wait before trying an idempotent request again.

Only calls that can be repeated without effect (pages, info, list) are retried, and only on
failures that are worth a second try: the connection failed or was dropped, the server is rate
limiting (429), or it is briefly unavailable (502/503/504, including ``NOT_READY``). The delay
grows exponentially with full jitter, so clients that failed together do not come back together;
a ``Retry-After`` from the server is honoured (within ``max_delay``).
"""

from __future__ import annotations

import random
from dataclasses import dataclass

__all__ = ["RETRY_STATUSES", "RetryPolicy"]

RETRY_STATUSES = frozenset({429, 502, 503, 504})


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    #: extra attempts after the first one (0 disables retries)
    retries: int = 4
    #: first backoff step in seconds; attempt n waits up to ``base_delay * 2**n``
    base_delay: float = 0.25
    #: no single wait is longer than this, whatever the server's ``Retry-After`` says
    max_delay: float = 8.0
    jitter: bool = True

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        """Seconds to wait before retry number ``attempt`` (0-based)."""
        if retry_after is not None:
            return min(self.max_delay, max(0.0, retry_after))
        ceiling = min(self.max_delay, self.base_delay * (2**attempt))
        if not self.jitter:
            return ceiling
        # "full jitter" with a floor, so a retry never fires instantly
        return ceiling * (0.5 + random.random() / 2)
