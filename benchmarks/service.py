"""Issue 2's benchmark: page latency at depth, and materialisation speed against DuckDB.

    uv run python benchmarks/service.py [--rows 10000000] [--runs 3] [--samples 200]

1. Page latency: a stored result of the demo (``SELECT * FROM _events``); p50/p99 of
   1,000-doc pages fetched over loopback HTTP (keep-alive) at offset 0, the middle and the end
   (read again and again: served from rendered chunks), and first reads at random depths.
   Goal: deepest ≤ 1.2× shallowest, p50 ≤ 5 ms.
2. Materialisation: wall time of a paginated query that stores the whole result (POST until
   COMPLETED) against DuckDB's own ``COPY (same query) TO 'x.parquet'``, both in this run,
   median of ``--runs``. Goal: folio ≥ 0.7× DuckDB's rows/s.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks._common import API_KEY, folio_serve, machine, median, peak_rss_mib, percentile, print_table
from tui.engines.demo import DEMO_SQL, ensure_demo

Q = "/v1/orgs/self/queries"


def materialise(http: httpx.Client) -> tuple[float, dict]:
    started = time.perf_counter()
    r = http.post(Q, json={"sql": {"query": DEMO_SQL}, "max_initial_results": 0}, timeout=600)
    r.raise_for_status()
    return time.perf_counter() - started, r.json()


def duckdb_copy(db: Path, out: Path) -> float:
    con = duckdb.connect(str(db), read_only=True)
    try:
        started = time.perf_counter()
        con.execute(f"COPY ({DEMO_SQL}) TO '{out}' (FORMAT parquet)")
        return time.perf_counter() - started
    finally:
        con.close()
        out.unlink(missing_ok=True)


def page_latencies(http: httpx.Client, query_id: str, offset: int, samples: int) -> list[float]:
    url = f"{Q}/{query_id}/pages"
    for _ in range(5):  # warm: connection, chunk mappings, page cache
        http.get(url, params={"offset": offset, "docs": 1000}).raise_for_status()
    times = []
    for _ in range(samples):
        started = time.perf_counter()
        r = http.get(url, params={"offset": offset, "docs": 1000})
        times.append((time.perf_counter() - started) * 1000)
        assert len(r.json()["results"]) == 1000
    return times


def first_read_latencies(http: httpx.Client, query_id: str, rows: int, samples: int) -> list[float]:
    """Pages each in a chunk nothing has read yet: answered from Arrow, JSON rendered per request
    (the latencies above are pages read again, answered from rendered chunks)."""
    url = f"{Q}/{query_id}/pages"
    chunks = random.Random(7).sample(range(1, rows // 8192 - 1), min(samples, rows // 8192 - 2))
    times = []
    for chunk in chunks:
        started = time.perf_counter()
        r = http.get(url, params={"offset": chunk * 8192 + 100, "docs": 1000})
        times.append((time.perf_counter() - started) * 1000)
        assert len(r.json()["results"]) == 1000
    return times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--samples", type=int, default=200)
    args = parser.parse_args()
    db = ensure_demo(args.rows)
    print(f"demo: {args.rows:,} rows ({db.stat().st_size / 2**20:,.0f} MiB DuckDB file); {machine()}\n")

    with folio_serve("--demo", "--demo-rows", str(args.rows)) as (url, proc):
        with httpx.Client(base_url=url, headers={"Authorization": f"ApiKey {API_KEY}"}, timeout=60) as http:
            folio_times, copy_times = [], []
            body: dict = {}
            with tempfile.TemporaryDirectory() as tmp:
                for run in range(args.runs):
                    copy_times.append(duckdb_copy(db, Path(tmp) / f"copy{run}.parquet"))
                    seconds, body = materialise(http)
                    folio_times.append(seconds)
                    if run < args.runs - 1:
                        http.delete(f"{Q}/{body['query_id']}")
            total = body["results_total_doc_count"]
            assert total == args.rows
            os.sync()  # let the writeback of ~2 GB of fresh chunks finish before timing reads
            depths = [0, args.rows // 2, max(0, args.rows - 1000)]
            cold = first_read_latencies(http, body["query_id"], args.rows, args.samples)
            latencies = {d: page_latencies(http, body["query_id"], d, args.samples) for d in depths}
            size = http.get(f"{Q}/{body['query_id']}").json()["data"]["stats"]["result_set_bytes_size"]
        peak = peak_rss_mib(proc.pid)

    print("Page latency, 1,000-doc pages over loopback HTTP (keep-alive)\n")
    base = median(latencies[0])
    print_table(
        ["offset", "p50 ms", "p99 ms", "p50 vs offset 0"],
        [
            [f"{d:,}", f"{median(v):.2f}", f"{percentile(v, 99):.2f}", f"{median(v) / base:.2f}x"]
            for d, v in latencies.items()
        ]
        + [["first read, random", f"{median(cold):.2f}", f"{percentile(cold, 99):.2f}", f"{median(cold) / base:.2f}x"]],
    )
    f, c = median(folio_times), median(copy_times)
    print(f"\nMaterialisation of {total:,} rows (median of {args.runs}; stored result {size / 2**20:,.0f} MiB)\n")
    print_table(
        ["", "seconds", "rows/s", "vs DuckDB COPY"],
        [
            ["DuckDB COPY … TO parquet", f"{c:.2f}", f"{total / c:,.0f}", "1.00x"],
            ["folio (query → stored chunks)", f"{f:.2f}", f"{total / f:,.0f}", f"{c / f:.2f}x"],
        ],
    )
    print(f"\nfolio serve peak RSS: {peak:,.0f} MiB")


if __name__ == "__main__":
    main()
