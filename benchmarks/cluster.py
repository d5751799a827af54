"""Scale-out (issue 15): replicas over PostgreSQL and S3 (SeaweedFS) against the local-disk store.

    uv run python benchmarks/cluster.py --rows 1000000 --samples 300 --seconds 8

All on loopback, in one run: ``folio cluster``'s parts (embedded PostgreSQL, SeaweedFS, three
``folio serve`` replicas) and one ``folio serve`` with the default local-disk store, the same
result stored in each. Measured:

* page latency (random offsets, 100 rows a page) from the local-disk store, from a *cold*
  replica (never read the result: each chunk first touched costs an object GET) and from the
  same replica *warm* (the same offsets again: its local cache and rendered JSON);
* pages/s with 1, 2 and 3 replicas (client threads spread over them) and the replicas' CPU
  seconds per page (utime + stime from /proc), so scaling past two cores can be projected;
* seconds from SIGKILL of the replica running a query to the query's ERROR on another replica.
"""

from __future__ import annotations

import argparse
import random
import signal
import sys
import threading
import time
from pathlib import Path
from urllib.parse import quote

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._common import API_KEY, folio_serve, machine, percentile, print_table
from tui.cluster.local import LocalCluster

Q = "/v1/orgs/self/queries"
SLOW = "SELECT i, repeat('x', 40) AS pad FROM range(30000000) t(i)"


def client(url: str, key: str) -> httpx.Client:
    return httpx.Client(base_url=url, headers={"Authorization": f"ApiKey {key}"}, timeout=120)


def store_result(http: httpx.Client, rows: int) -> str:
    sql = f"SELECT i, i * 2 AS j, 'row ' || i AS label, repeat('x', 40) AS pad FROM range({rows}) t(i)"
    response = http.post(Q, json={"sql": {"query": sql}, "max_initial_results": 1})
    response.raise_for_status()
    return quote(response.json()["query_id"], safe="")


def latencies(http: httpx.Client, query_id: str, offsets: list[int]) -> list[float]:
    times = []
    for offset in offsets:
        started = time.perf_counter()
        response = http.get(f"{Q}/{query_id}/pages", params={"offset": offset, "docs": 100})
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200 and len(response.json()["results"]) == 100, response.text[:200]
    return times


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as fh:
        fields = fh.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / 100  # utime, stime in clock ticks (USER_HZ=100)


def throughput(urls: list[str], key: str, query_id: str, rows: int, seconds: float, threads: int) -> int:
    """Pages served in ``seconds`` by ``threads`` clients, each on its own replica in turn."""
    stop = time.monotonic() + seconds
    counts = [0] * threads

    def work(n: int) -> None:
        rng = random.Random(n)
        with client(urls[n % len(urls)], key) as http:
            while time.monotonic() < stop:
                offset = rng.randrange(0, rows - 100)
                response = http.get(f"{Q}/{query_id}/pages", params={"offset": offset, "docs": 100})
                assert response.status_code == 200
                counts[n] += 1

    workers = [threading.Thread(target=work, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return sum(counts)


def kill_to_error(cluster: LocalCluster) -> float:
    a, b = cluster.members[0], cluster.members[1]
    with client(a.url, cluster.api_key) as on_a, client(b.url, cluster.api_key) as on_b:
        query_id = quote(on_a.post(Q, json={"sql": {"query": SLOW}, "async": True}).json()["query_id"], safe="")
        while on_b.get(f"{Q}/{query_id}/pages", params={"docs": 1}).status_code != 200:
            time.sleep(0.02)  # until another replica pages its first rows: it is uploading
        cluster.kill_replica(0, signal.SIGKILL)
        killed = time.monotonic()
        while on_b.get(f"{Q}/{query_id}").json()["data"]["status"] != "ERROR":
            time.sleep(0.02)
        elapsed = time.monotonic() - killed
    cluster.start_replica(0)
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--samples", type=int, default=300)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--threads", type=int, default=6)
    parser.add_argument("--lease", type=float, default=5.0)
    args = parser.parse_args()
    print(f"machine: {machine()}; {args.rows:,} rows, pages of 100 rows at random offsets")

    rng = random.Random(1)
    offsets = [rng.randrange(0, args.rows - 100) for _ in range(args.samples)]
    cluster = LocalCluster(replicas=3, lease_s=args.lease).start()
    try:
        with folio_serve() as (local_url, local_proc), client(local_url, API_KEY) as local:
            local_id = store_result(local, args.rows)
            latencies(local, local_id, offsets)  # warm: as the replica is on its second pass
            local_times = latencies(local, local_id, offsets)

            a, c = cluster.members[0], cluster.members[2]
            with client(a.url, cluster.api_key) as on_a, client(c.url, cluster.api_key) as on_c:
                query_id = store_result(on_a, args.rows)
                cold = latencies(on_c, query_id, offsets)
                warm = latencies(on_c, query_id, offsets)
            rows = [
                ["local disk (warm)", f"{percentile(local_times, 50):.2f}", f"{percentile(local_times, 99):.2f}"],
                ["replica, cold", f"{percentile(cold, 50):.2f}", f"{percentile(cold, 99):.2f}"],
                ["replica, warm", f"{percentile(warm, 50):.2f}", f"{percentile(warm, 99):.2f}"],
            ]
            print("\npage latency, ms (one client, sequential)")
            print_table(["store", "p50", "p99"], rows)

            table = []
            local_cpu = cpu_seconds(local_proc.pid)
            pages = throughput([local_url], API_KEY, local_id, args.rows, args.seconds, args.threads)
            cpu = cpu_seconds(local_proc.pid) - local_cpu
            table.append(["local disk, 1 process", f"{pages / args.seconds:,.0f}", f"{cpu / pages * 1000:.2f}"])
            for k in (1, 2, 3):
                members = cluster.members[:k]
                for member in members:  # every replica warm, as in steady state
                    with client(member.url, cluster.api_key) as http:
                        latencies(http, query_id, offsets)
                before = sum(cpu_seconds(m.process.pid) for m in members)  # type: ignore[union-attr]
                urls = [m.url for m in members]
                pages = throughput(urls, cluster.api_key, query_id, args.rows, args.seconds, args.threads)
                cpu = sum(cpu_seconds(m.process.pid) for m in members) - before  # type: ignore[union-attr]
                table.append([f"{k} replica(s)", f"{pages / args.seconds:,.0f}", f"{cpu / pages * 1000:.2f}"])
            print(f"\nthroughput ({args.threads} client threads, {args.seconds:.0f} s each)")
            print_table(["service", "pages/s", "service CPU ms/page"], table)

        kills = [kill_to_error(cluster) for _ in range(3)]
        print(f"\nSIGKILL → ERROR on another replica (lease {args.lease:g} s), seconds")
        print_table(["run", "seconds"], [[i + 1, f"{s:.2f}"] for i, s in enumerate(kills)])
    finally:
        cluster.stop()


if __name__ == "__main__":
    main()
