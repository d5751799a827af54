"""API keys shared by the replicas of a cluster through the PostgreSQL registry, with real
parts: two ``folio serve`` subprocesses over one embedded PostgreSQL and one SeaweedFS bucket.

A key given only to replica A authenticates on replica B (routes and the page fast path); a
key added with ``folio keys add`` works everywhere and one revoked with ``folio keys revoke``
stops working everywhere, its own replica included, without a restart; another org's key,
admitted the same way, still sees none of the first org's queries; the registry holds digests,
never keys.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from urllib.parse import quote

import httpx
import psycopg
import pytest

from tests.cluster.test_replicas import PREFIX, Q, Replica, pages
from tests.conftest import fresh_database, wait_until
from tui.cli import main
from tui.server.auth import digest
from tui.store.s3 import Credentials, S3Client

A_KEY = "key-given-to-a-only"
B_KEY = "key-given-to-b-only"
OTHER_ORG_KEY = "globex-key-given-to-b"

pytestmark = pytest.mark.timeout(300)


class Pair:
    def __init__(self, dsn: str, a: Replica, b: Replica):
        self.dsn = dsn
        self.a = a
        self.b = b

    def get(self, replica: Replica, key: str, path: str, **params) -> httpx.Response:
        return replica.http.get(path, params=params, headers={"Authorization": f"ApiKey {key}"})

    def keys(self, capsys, *args: str) -> tuple[int, str, str]:
        """``folio keys …`` (in this process: the command is the same, without a Python start-up)"""
        code = main(["keys", *args, "--registry", self.dsn])
        out, err = capsys.readouterr()
        return code, out, err


@pytest.fixture(scope="module")
def pair(pg_server, seaweedfs, tmp_path_factory) -> Iterator[Pair]:
    with fresh_database(pg_server, "t_cluster_shared_keys") as dsn:
        env = {
            **os.environ,
            **seaweedfs.env(),
            "FOLIO_REGISTRY": dsn,
            "FOLIO_RESULTS": f"s3://{seaweedfs.bucket}/{PREFIX}keys/",
            "FOLIO_KEYS_REFRESH_S": "0.5",
        }
        root = tmp_path_factory.mktemp("shared-keys")
        a = Replica("A", root / "A", env, flags=False, api_keys=(A_KEY,))
        # B's own keys, one of them in another org, from FOLIO_API_KEYS
        b_env = {**env, "FOLIO_API_KEYS": f"{B_KEY}=default:bea,{OTHER_ORG_KEY}=globex:gina"}
        b = Replica("B", root / "B", b_env, flags=False, api_keys=())
        s3 = S3Client(seaweedfs.endpoint, seaweedfs.bucket, Credentials(seaweedfs.access_key, seaweedfs.secret_key))
        try:
            a.start()
            b.start()
            pair = Pair(dsn, a, b)
            # A started before B added its keys (B's keys were registered before it answered):
            # A learns them at its next refresh, 0.5 s here, later on a loaded machine. Asked
            # once per refresh, so the failures stay below the auth back-off's threshold.
            deadline = time.monotonic() + 60
            while pair.get(a, B_KEY, Q).status_code != 200:
                assert time.monotonic() < deadline, "replica A never learnt B's keys from the registry"
                time.sleep(0.6)
            yield pair
        finally:
            a.stop()
            b.stop()
            s3.delete_prefix(f"{PREFIX}keys/")
            s3.close()


def run_on(replica: Replica, key: str, sql: str) -> str:
    response = replica.http.post(
        Q, json={"sql": {"query": sql}, "max_initial_results": 5}, headers={"Authorization": f"ApiKey {key}"}
    )
    assert response.status_code == 200, response.text
    return response.json()["query_id"]


def test_a_key_given_to_one_replica_authenticates_on_the_other(pair):
    # both replicas were started before this ran: B learnt A's key from the registry, and A B's
    query_id = run_on(pair.b, A_KEY, "SELECT i FROM range(20000) t(i)")
    rows_on = {}
    for replica in (pair.a, pair.b):
        replica.http.headers["Authorization"] = f"ApiKey {A_KEY}"
        rows_on[replica.name] = pages(replica.http, query_id)  # the fast path authenticates pages
    assert rows_on["A"] == rows_on["B"] and rows_on["A"][1] == 20000
    assert pair.get(pair.a, B_KEY, f"{Q}/{quote(query_id, safe='')}").status_code == 200  # same org
    assert pair.get(pair.a, "never-given-to-anyone", Q).status_code == 401

    # the registry holds digests with their org and user, never a key
    with psycopg.connect(pair.dsn) as conn:
        rows = conn.execute("SELECT digest, org, username FROM folio_keys").fetchall()
    assert set(rows) == {
        (digest(A_KEY), "default", "folio"),
        (digest(B_KEY), "default", "bea"),
        (digest(OTHER_ORG_KEY), "globex", "gina"),
    }


def test_another_orgs_key_sees_none_of_the_queries_on_any_replica(pair):
    query_id = run_on(pair.a, A_KEY, "SELECT 1 AS one")
    for replica in (pair.a, pair.b):
        assert pair.get(replica, OTHER_ORG_KEY, Q).status_code == 200  # admitted on A too
        listed = pair.get(replica, OTHER_ORG_KEY, Q).json()["data"]
        assert listed == []
        path = f"{Q}/{quote(query_id, safe='')}"
        assert pair.get(replica, OTHER_ORG_KEY, path).status_code == 404
        assert pair.get(replica, OTHER_ORG_KEY, f"{path}/pages").status_code == 404
        assert query_id in [q["query_id"] for q in pair.get(replica, A_KEY, Q).json()["data"]]


def test_keys_added_and_revoked_with_folio_keys_apply_to_every_replica_without_a_restart(pair, capsys):
    added = "added-while-running"
    code, _, err = pair.keys(capsys, "add", added, "--org", "default", "--user", "ada")
    assert code == 0, err
    for replica in (pair.a, pair.b):
        wait_until(lambda r=replica: pair.get(r, added, Q).status_code == 200, timeout=30, interval=0.1)
    query_id = run_on(pair.a, added, "SELECT i FROM range(100) t(i)")
    page = f"{Q}/{quote(query_id, safe='')}/pages"
    assert pair.get(pair.b, added, page, docs=10).status_code == 200

    # revoke it, and A's own key (A was started with it): both stop working on both replicas
    for key in (added, f"sha256:{digest(A_KEY)}"):
        code, _, err = pair.keys(capsys, "revoke", key)
        assert code == 0, err
    for replica in (pair.a, pair.b):
        for key in (added, A_KEY):
            wait_until(lambda r=replica, k=key: pair.get(r, k, Q).status_code == 401, timeout=30, interval=0.1)
            response = pair.get(replica, key, page, docs=10)  # the page fast path refuses it too
            assert response.status_code == 401
            assert response.json()["type"] == "AUTHEXCEPTION"
    # the other keys are untouched
    assert pair.get(pair.a, B_KEY, page, docs=10).status_code == 200

    code, listed, err = pair.keys(capsys, "list")
    assert code == 0, err
    states = {line.split()[0]: line.split()[1:] for line in listed.splitlines()[1:]}
    assert states[f"sha256:{digest(A_KEY)}"] == ["default", "folio", "revoked"]
    assert states[f"sha256:{digest(B_KEY)}"] == ["default", "bea", "active"]
    assert states[f"sha256:{digest(OTHER_ORG_KEY)}"] == ["globex", "gina", "active"]
    assert A_KEY not in listed and added not in listed
    code, _, err = pair.keys(capsys, "revoke", "no-such-key")
    assert (code, err.strip()) == (2, "folio: no key no-s… in the registry")

    # restarting A with its revoked key does not bring it back
    pair.a.stop()
    pair.a.http = httpx.Client(base_url=pair.a.url, timeout=60)
    pair.a.start()
    assert pair.get(pair.a, A_KEY, Q).status_code == 401
    assert pair.get(pair.a, B_KEY, Q).status_code == 200
