"""Issue 6: the service's memory while many large results materialise at once.

    uv run python benchmarks/memory.py [--rows 10000000] [--queries 10]

Starts ``folio serve --demo``, submits ``--queries`` async ``SELECT * FROM _events`` at once
and samples the service's RSS every 0.25 s until all are stored. Memory should not depend on
the result size: the rows go to disk chunk by chunk.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks._common import API_KEY, folio_serve, machine, print_table, rss_mib

Q = "/v1/orgs/self/queries"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--queries", type=int, default=10)
    args = parser.parse_args()
    with folio_serve("--demo", "--demo-rows", str(args.rows), "--max-concurrent", str(args.queries)) as (url, proc):
        with httpx.Client(base_url=url, headers={"Authorization": f"ApiKey {API_KEY}"}, timeout=60) as http:
            idle = rss_mib(proc.pid)
            started = time.monotonic()
            ids = [
                http.post(Q, json={"sql": {"query": "SELECT * FROM _events"}, "async": True}).json()["query_id"]
                for _ in range(args.queries)
            ]
            samples = []
            while True:
                samples.append(rss_mib(proc.pid))
                states = [http.get(f"{Q}/{qid}").json()["data"] for qid in ids]
                if all(s["status"] not in ("QUEUED", "RUNNING") for s in states):
                    break
                time.sleep(0.25)
            wall = time.monotonic() - started
            stored = sum(s["stats"]["result_set_document_count"] or 0 for s in states)
            size = sum(s["stats"]["result_set_bytes_size"] or 0 for s in states)
            statuses = sorted({s["status"] for s in states})
    print(f"{args.queries} concurrent queries of {args.rows:,} rows; {machine()}\n")
    print_table(
        ["rows stored", "on disk", "wall s", "RSS idle MiB", "RSS peak MiB", "RSS end MiB", "statuses"],
        [
            [
                f"{stored:,}",
                f"{size / 2**30:.1f} GiB",
                f"{wall:.1f}",
                f"{idle:,.0f}",
                f"{max(samples):,.0f}",
                f"{samples[-1]:,.0f}",
                ",".join(statuses),
            ]
        ],
    )


if __name__ == "__main__":
    main()
