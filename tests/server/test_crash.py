"""Crash safety: ``folio serve`` killed with SIGKILL mid-materialisation, many times.

After each restart the interrupted query is ERROR (never COMPLETED with fewer rows), every
earlier COMPLETED result pages with identical content, and the store holds no orphaned files.
"""

from __future__ import annotations

import hashlib
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest

from tests.conftest import free_port, wait_until

Q = "/v1/orgs/self/queries"
KEY = "crash-key"
BIG = "SELECT i, repeat('x', 40) AS pad FROM range(30000000) t(i)"
ROOT = Path(__file__).resolve().parents[2]


class Server:
    def __init__(self, store: Path):
        self.store = store
        self.port = free_port()
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> httpx.Client:
        cmd = [
            sys.executable,
            "-m",
            "tui",
            "serve",
            "--port",
            str(self.port),
            "--api-key",
            KEY,
            "--store",
            str(self.store),
            "--log-level",
            "warning",
        ]
        self.proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        client = httpx.Client(base_url=self.url, headers={"Authorization": f"ApiKey {KEY}"}, timeout=30)

        def up() -> bool:
            try:
                return client.get("/health").status_code == 200
            except httpx.TransportError:
                assert self.proc.poll() is None, "folio serve exited"
                return False

        wait_until(up, timeout=60, interval=0.05)
        return client

    def kill(self, sig: int = signal.SIGKILL) -> int:
        assert self.proc is not None
        self.proc.send_signal(sig)
        return self.proc.wait(timeout=60)

    def stop(self) -> None:
        """Whatever the test did: no ``folio serve`` outlives it."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=60)


@pytest.fixture
def server(tmp_path) -> Iterator[Server]:
    server = Server(tmp_path / "store")
    try:
        yield server
    finally:
        server.stop()


def content_digest(http: httpx.Client, query_id: str) -> str:
    digest = hashlib.sha256()
    offset = 0
    while True:
        page = http.get(f"{Q}/{quote(query_id, safe='')}/pages", params={"offset": offset, "docs": 10000}).json()
        digest.update(repr(page["results"]).encode())
        offset += len(page["results"])
        if page["pagination"]["next_cursor"] is None:
            return digest.hexdigest()


def result_dirs(store: Path) -> set[str]:
    return {p.name for p in (store / "results").iterdir()}


@pytest.mark.timeout(600)
def test_sigkill_during_materialisation_never_corrupts_the_store(server):
    store = server.store
    http = server.start()
    kept = {}
    for n in (1, 20_000, 70_000):
        body = http.post(
            Q, json={"sql": {"query": f"SELECT i, i * i AS sq FROM range({n}) t(i)"}, "max_initial_results": 1}
        ).json()
        kept[body["query_id"]] = content_digest(http, body["query_id"])
    rng = random.Random(1234)
    interrupted = []
    for _ in range(6):
        query_id = http.post(Q, json={"sql": {"query": BIG}, "async": True}).json()["query_id"]
        interrupted.append(query_id)
        # kill at a random moment while chunks are being written
        wait_until(
            lambda: (
                (http.get(f"{Q}/{quote(query_id, safe='')}").json()["data"]["stats"]["result_set_document_count"] or 0)
                > 0
            )
        )
        time.sleep(rng.uniform(0, 0.4))
        server.kill()
        http.close()
        http = server.start()
        for qid in interrupted:
            info = http.get(f"{Q}/{quote(qid, safe='')}").json()["data"]
            assert info["status"] == "ERROR", info
            assert info["stats"]["result_set_document_count"] is None
        for qid, digest in kept.items():
            assert content_digest(http, qid) == digest
        assert len(result_dirs(store)) == len(kept)  # only the completed results have directories
    http.close()
    server.kill(signal.SIGTERM)


@pytest.mark.timeout(300)
def test_sigterm_aborts_running_queries_cleanly(server):
    store = server.store
    http = server.start()
    done = http.post(Q, json={"sql": {"query": "SELECT 1 AS x"}}).json()["query_id"]
    running = http.post(Q, json={"sql": {"query": BIG}, "async": True}).json()["query_id"]
    wait_until(lambda: http.get(f"{Q}/{quote(running, safe='')}").json()["data"]["status"] == "RUNNING")
    http.close()
    # uvicorn shuts down gracefully, then re-raises the signal it caught: -15 is a clean exit
    assert server.kill(signal.SIGTERM) in (0, -signal.SIGTERM)
    assert len(result_dirs(store)) == 1  # the running query's partial chunks were removed
    http = server.start()
    info = http.get(f"{Q}/{quote(running, safe='')}").json()["data"]
    assert info["status"] == "ERROR"
    assert "stopped" in info["query_errors"][0]["message"]
    assert http.get(f"{Q}/{quote(done, safe='')}/pages").json()["results"] == [{"x": 1}]
    http.close()
    server.kill(signal.SIGTERM)
