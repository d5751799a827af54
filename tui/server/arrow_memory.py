"""Which allocator Arrow uses in the service, so that its memory does not grow with a result.

Storing a result allocates and frees Arrow buffers for every chunk (the engine's batches, the
combined chunk, its width statistics), and rendering a page does the same for its JSON. pyarrow's
default allocator on Linux (mimalloc) keeps freed pages for reuse: the service held 15–20 MiB
more after storing a 10M-row result than a 1M-row one, for nothing. jemalloc with its decay time
at 0 hands freed pages back to the system at once and renders pages as fast (the system
allocator does too, but maps and unmaps every large buffer: a chunk rendered 50 % slower).
``ARROW_DEFAULT_MEMORY_POOL``, Arrow's own setting, still decides when it is set.
"""

from __future__ import annotations

import os

import pyarrow as pa


def settle_memory_pool() -> str:
    """Make Arrow's default pool one that returns freed memory; the backend's name."""
    if os.environ.get("ARROW_DEFAULT_MEMORY_POOL"):
        return pa.default_memory_pool().backend_name
    try:
        pool = pa.jemalloc_memory_pool()
        pa.jemalloc_set_decay_ms(0)
    except NotImplementedError:  # a pyarrow built without jemalloc
        pool = pa.system_memory_pool()
    pa.set_memory_pool(pool)
    return pool.backend_name
