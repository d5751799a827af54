"""Issue 6's load test: many concurrent clients paging stored results on loopback.

    uv run python benchmarks/load.py [--clients 50] [--seconds 60] [--rows 1000000]

Starts ``folio serve --demo`` as a subprocess, stores a few results of the demo table, then
runs ``--clients`` concurrent clients (asyncio + httpx, keep-alive) for ``--seconds``: each
fetches 1,000-doc pages at random offsets of random stored results and, one request in fifty,
runs a small query. Reports pages/s, p50/p99 latency, errors and the service's RSS at start
and end. Only loopback addresses are used; the loop stops by itself.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks._common import API_KEY, folio_serve, machine, median, percentile, print_table, rss_mib

Q = "/v1/orgs/self/queries"
SMALL = "SELECT kind, count(*) AS n FROM _events WHERE event_id < 5000 GROUP BY kind"


async def client(
    http: httpx.AsyncClient, results: list[tuple[str, int]], deadline: float, seed: int, out: dict
) -> None:
    rng = random.Random(seed)
    while time.monotonic() < deadline:
        started = time.perf_counter()
        try:
            if rng.random() < 0.02:
                r = await http.post(Q, json={"sql": {"query": SMALL}})
                kind = "query"
            else:
                query_id, total = rng.choice(results)
                offset = rng.randrange(0, max(1, total - 1000))
                r = await http.get(f"{Q}/{query_id}/pages", params={"offset": offset, "docs": 1000})
                kind = "page"
            elapsed = (time.perf_counter() - started) * 1000
            if r.status_code != 200:
                out["errors"].append(f"{r.status_code} {r.text[:120]}")
            else:
                out[kind].append(elapsed)
        except httpx.HTTPError as exc:
            out["errors"].append(repr(exc))


async def run(url: str, args: argparse.Namespace, proc_pid: int) -> dict:
    limits = httpx.Limits(max_connections=args.clients, max_keepalive_connections=args.clients)
    async with httpx.AsyncClient(
        base_url=url, headers={"Authorization": f"ApiKey {API_KEY}"}, timeout=60, limits=limits
    ) as http:
        results = []
        for _ in range(args.results):
            body = (
                await http.post(Q, json={"sql": {"query": "SELECT * FROM _events"}, "max_initial_results": 0})
            ).json()
            results.append((body["query_id"], body["results_total_doc_count"]))
        out: dict = {"page": [], "query": [], "errors": [], "rss_start": rss_mib(proc_pid)}
        deadline = time.monotonic() + args.seconds
        started = time.monotonic()
        await asyncio.gather(*(client(http, results, deadline, seed, out) for seed in range(args.clients)))
        out["wall"] = time.monotonic() - started
        out["rss_end"] = rss_mib(proc_pid)
        return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--results", type=int, default=3)
    args = parser.parse_args()
    with folio_serve("--demo", "--demo-rows", str(args.rows)) as (url, proc):
        out = asyncio.run(run(url, args, proc.pid))
    pages = out["page"]
    print(
        f"{args.clients} clients for {args.seconds:.0f} s on loopback; {args.results} stored results of "
        f"{args.rows:,} rows; 1,000-doc pages at random offsets; {machine()}\n"
    )
    print_table(
        ["requests", "pages/s", "page p50 ms", "page p99 ms", "query p50 ms", "errors", "RSS start MiB", "RSS end MiB"],
        [
            [
                f"{len(pages) + len(out['query']):,}",
                f"{len(pages) / out['wall']:,.0f}",
                f"{median(pages):.1f}",
                f"{percentile(pages, 99):.1f}",
                f"{median(out['query']):.1f}" if out["query"] else "-",
                str(len(out["errors"])),
                f"{out['rss_start']:,.0f}",
                f"{out['rss_end']:,.0f}",
            ]
        ],
    )
    for error in out["errors"][:5]:
        print("error:", error)


if __name__ == "__main__":
    main()
