"""The service's Arrow allocator hands freed memory back (tui.server.arrow_memory)."""

from __future__ import annotations

import pyarrow as pa

from tui.server.arrow_memory import settle_memory_pool


def test_a_service_allocates_arrow_memory_from_a_pool_that_returns_it(live_service, monkeypatch):
    monkeypatch.delenv("ARROW_DEFAULT_MEMORY_POOL", raising=False)
    # the service is running: create_app settled the pool
    assert pa.default_memory_pool().backend_name in ("jemalloc", "system")
    assert settle_memory_pool() == pa.default_memory_pool().backend_name


def test_arrows_own_setting_still_decides(monkeypatch):
    before = pa.default_memory_pool()
    try:
        pa.set_memory_pool(pa.mimalloc_memory_pool())
        monkeypatch.setenv("ARROW_DEFAULT_MEMORY_POOL", "mimalloc")
        assert settle_memory_pool() == "mimalloc"
        assert pa.default_memory_pool().backend_name == "mimalloc"
    finally:
        pa.set_memory_pool(before)
