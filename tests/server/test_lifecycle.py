"""Expiry (injected clock), restart persistence, crash recovery, quota."""

from __future__ import annotations

import httpx

from tests.conftest import FakeClock, make_keyring, make_settings, serve_in_thread
from tests.server.test_queries import Q, q
from tui.engines.duckdb import DuckDBEngine
from tui.server import create_app
from tui.store.registry import Registry
from tui.wire import QueryStatus


def test_results_expire_24h_after_completion(service_factory):
    clock = FakeClock()
    service = service_factory(clock=clock)
    with service.client() as http:
        body = http.post(Q, json={"sql": {"query": "SELECT 1 AS x"}, "max_initial_results": 1}).json()
        qid = body["query_id"]
        info = http.get(q(qid)).json()["data"]
        assert info["expires_at"] == "2026-11-23T12:00:00Z"
        clock.advance(hours=23, minutes=59)
        assert http.get(f"{q(qid)}/pages").status_code == 200
        clock.advance(minutes=1)
        gone = http.get(f"{q(qid)}/pages")
        assert gone.status_code == 410
        assert gone.json()["expired_at"] == "2026-11-23T12:00:00Z"
        assert "expired" in gone.json()["message"]
        assert http.get(Q).json()["data"] == []  # no longer listed
        path = service.service.store.path(service.service.store.registry.get(qid))
        assert path.exists()
        assert service.service.store.sweep() == 1
        assert not path.exists()
        assert http.get(q(qid)).status_code == 410  # still told apart from "never existed"
        clock.advance(days=8)
        service.service.store.sweep()
        assert http.get(q(qid)).status_code == 404


def test_expiry_is_configurable(service_factory):
    clock = FakeClock()
    service = service_factory(clock=clock, expiry_s=60)
    with service.client() as http:
        qid = http.post(Q, json={"sql": {"query": "SELECT 1"}}).json()["query_id"]
        assert http.get(q(qid)).json()["data"]["expires_at"] == "2026-11-22T12:01:00Z"


def test_finished_results_survive_a_restart(tmp_path):
    store = tmp_path / "store"
    app = create_app(make_settings(store), DuckDBEngine(), make_keyring())
    with serve_in_thread(app) as url:
        with httpx.Client(base_url=url, headers={"Authorization": "ApiKey test-key-org-a"}) as http:
            body = http.post(
                Q, json={"sql": {"query": "SELECT * FROM range(30000) t(i)"}, "max_initial_results": 10}
            ).json()
    app2 = create_app(make_settings(store), DuckDBEngine(), make_keyring())
    with serve_in_thread(app2) as url:
        with httpx.Client(base_url=url, headers={"Authorization": "ApiKey test-key-org-a"}) as http:
            page = http.get(
                f"{q(body['query_id'])}/pages", params={"cursor": body["pagination"]["next_cursor"], "docs": 5}
            ).json()
            listed = http.get(Q).json()["data"]
    assert page["results"] == [{"i": i} for i in range(10, 15)]
    assert page["results_total_doc_count"] == 30000
    assert [item["query_id"] for item in listed] == [body["query_id"]]


def test_queries_running_at_a_crash_come_back_as_error(tmp_path):
    store = tmp_path / "store"
    app = create_app(make_settings(store), DuckDBEngine(), make_keyring())
    with serve_in_thread(app) as url:
        with httpx.Client(base_url=url, headers={"Authorization": "ApiKey test-key-org-a"}) as http:
            done = http.post(Q, json={"sql": {"query": "SELECT 1 AS x"}}).json()["query_id"]
    # simulate a crash mid-materialisation: a RUNNING row with a partial directory, and an orphan
    registry = Registry(store / "registry.sqlite3")
    record = registry.get(done)
    record.query_id, record.status, record.directory = "crashed:AAAAAAA:0", QueryStatus.RUNNING, "f" * 32
    registry.insert(record)
    registry.close()
    (store / "results" / record.directory).mkdir()
    (store / "results" / record.directory / "chunk-000000.arrow").write_bytes(b"partial")
    (store / "results" / "orphan").mkdir()
    app2 = create_app(make_settings(store), DuckDBEngine(), make_keyring())
    with serve_in_thread(app2) as url:
        with httpx.Client(base_url=url, headers={"Authorization": "ApiKey test-key-org-a"}) as http:
            crashed = http.get(q("crashed:AAAAAAA:0")).json()["data"]
            still = http.get(f"{q(done)}/pages").json()
            kept = app2.state.service.store.registry.get(done).directory
    assert crashed["status"] == "ERROR"
    assert "stopped while this query was running" in crashed["query_errors"][0]["message"]
    assert still["results"] == [{"x": 1}]
    assert sorted(p.name for p in (store / "results").iterdir()) == [kept]


def test_quota_refuses_results_and_removes_partial_chunks(service_factory):
    service = service_factory(quota_bytes=200_000, chunk_rows=1024)
    with service.client() as http:
        small = http.post(Q, json={"sql": {"query": "SELECT 1 AS x"}}).json()["query_id"]
        big = http.post(
            Q,
            json={
                "sql": {"query": "SELECT i, repeat('x', 100) AS s FROM range(100000) t(i)"},
                "max_initial_results": 1,
            },
        )
        assert big.status_code == 400
        assert big.json()["type"] == "RESOURCEEXCEEDED"
        failed = [r for r in service.service.store.registry.with_status(QueryStatus.ERROR)]
        assert len(failed) == 1 and not service.service.store.path(failed[0]).exists()
        assert http.get(f"{q(small)}/pages").json()["results"] == [{"x": 1}]


def test_a_store_is_used_by_one_process_at_a_time(tmp_path):
    import pytest

    from tui.store.store import StoreBusy

    first = create_app(make_settings(tmp_path / "store"), DuckDBEngine(), make_keyring())
    with pytest.raises(StoreBusy):
        create_app(make_settings(tmp_path / "store"), DuckDBEngine(), make_keyring())
    first.state.service.store.close()
    create_app(make_settings(tmp_path / "store"), DuckDBEngine(), make_keyring()).state.service.store.close()


async def test_embedded_mode_falls_back_to_a_private_store_when_shared_one_is_busy(tmp_path):
    from tui.server.embedded import embedded_service

    settings = make_settings(tmp_path / "shared")
    async with embedded_service(DuckDBEngine(), settings=settings) as first:
        async with embedded_service(DuckDBEngine(), settings=settings) as second:
            assert first.store_dir == tmp_path / "shared"
            assert second.store_dir != first.store_dir and second.store_dir.exists()
        assert not second.store_dir.exists()  # the private store goes with its process
