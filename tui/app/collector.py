"""Keeping Python's cyclic garbage collector off the keys' path.

Every paint leaves cyclic garbage (each Textual ``Strip`` caches the strips it is divided
into, itself among them), so the collector runs often, and now and then a *full* collection
walks every object the process holds: the modules imported at start (Textual, Rich, the
client, and the embedded service's) are most of them. That walk ran on the event loop in the
middle of a keypress: 50-90 ms for the grid alone (``benchmarks/grid.py``), more in the app.

Once the app's source is ready, everything alive is moved out of the collector's reach
(:func:`gc.freeze`): it is long-lived (imports, the app's widgets), and a full collection then
walks only what came after (15 ms). Nothing is leaked by it: plain data is still freed by
reference counting, and the app hands everything back when it ends (:func:`thaw`), as an app
run inside a longer process (tests) must.
"""

from __future__ import annotations

import gc


def freeze_long_lived(*, full: bool = False) -> None:
    """Keep everything alive now out of later full collections.

    Only the young generations are collected first (a few milliseconds): a full collection
    here would walk every object once more, on the event loop, just when the first query may
    be submitted. What older garbage there is from the start stays until the app ends. With
    ``full``, everything is collected first (a big catalog, just built: its garbage is worth
    freeing before it is frozen).
    """
    gc.collect(2 if full else 1)
    gc.freeze()


def thaw() -> None:
    """Hand the frozen objects back to the collector (the app is ending)."""
    gc.unfreeze()
