"""One huge page against ``folio serve``: its size, the server's memory, and what it does to
other requests (issue 10, defect 3).

A result of wide rows (``repeat('x', ROW_BYTES)``) is stored, then one page of all its rows is
asked for while another client keeps asking for a one-row page of a small result. Printed: the
big page's docs, body size and time, the server's peak heap (``RssAnon``, sampled every 20 ms)
above what it held before, and the small requests' latency while the big page was served.

    uv run python benchmarks/big_page.py --rows 20000 --row-bytes 10000
    uv run python benchmarks/big_page.py --tree /path/to/an/older/checkout   # the code before

``--tree`` runs the server from another checkout (same virtualenv), to compare with the code
before a change; ``--serve-arg`` passes a flag to ``folio serve`` (repeatable).
"""

from __future__ import annotations

import argparse
import threading
import time
from pathlib import Path

import httpx

from benchmarks import _common
from benchmarks._common import API_KEY, folio_serve, machine, median, print_table

Q = "/v1/orgs/self/queries"


def heap_mib(pid: int) -> float:
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            if line.startswith("RssAnon:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--row-bytes", type=int, default=10_000)
    parser.add_argument("--tree", type=Path, default=None, help="run folio serve from this checkout")
    parser.add_argument("--serve-arg", action="append", default=[], help="a flag for folio serve")
    args = parser.parse_args()
    if args.tree is not None:
        _common.ROOT = args.tree.resolve()

    headers = {"Authorization": f"ApiKey {API_KEY}"}
    with folio_serve(*args.serve_arg) as (url, proc), httpx.Client(base_url=url, headers=headers, timeout=600) as http:
        sql = f"SELECT i, repeat('x', {args.row_bytes}) AS s FROM range({args.rows}) t(i)"
        big = http.post(Q, json={"sql": {"query": sql}, "max_initial_results": 1}).json()["query_id"]
        small = http.post(Q, json={"sql": {"query": "SELECT 1 AS one"}, "max_initial_results": 1}).json()["query_id"]
        time.sleep(1)
        before = heap_mib(proc.pid)
        done = threading.Event()
        peak = [before]
        latencies: list[float] = []

        def sample() -> None:
            while not done.is_set():
                peak[0] = max(peak[0], heap_mib(proc.pid))
                time.sleep(0.02)

        def poke() -> None:
            with httpx.Client(base_url=url, headers=headers, timeout=600) as other:
                while not done.is_set():
                    started = time.perf_counter()
                    other.get(f"{Q}/{small}/pages", params={"docs": 1}).raise_for_status()
                    latencies.append((time.perf_counter() - started) * 1000)
                    time.sleep(0.005)

        threads = [threading.Thread(target=sample), threading.Thread(target=poke)]
        for thread in threads:
            thread.start()
        time.sleep(0.2)
        started = time.perf_counter()
        page = http.get(f"{Q}/{big}/pages", params={"docs": min(args.rows, 100_000)})
        seconds = time.perf_counter() - started
        page.raise_for_status()
        docs = page.json()["pagination"]["current_page_doc_count"]
        done.set()
        for thread in threads:
            thread.join()

    print(f"{machine()}; {args.rows:,} rows of {args.row_bytes:,} bytes; tree {args.tree or 'this one'}")
    print_table(
        [
            "docs asked",
            "docs sent",
            "body MiB",
            "page s",
            "server heap +MiB",
            "small req median ms",
            "small req max ms",
        ],
        [
            [
                f"{min(args.rows, 100_000):,}",
                f"{docs:,}",
                f"{len(page.content) / 2**20:,.1f}",
                f"{seconds:.2f}",
                f"{peak[0] - before:,.0f}",
                f"{median(latencies):.1f}" if latencies else "-",
                f"{max(latencies):.0f}" if latencies else "-",
            ]
        ],
    )


if __name__ == "__main__":
    main()
