"""Issue 6: can another org tell "exists" from "does not exist" by timing a 404?

    uv run python benchmarks/isolation.py [--samples 2000]

``folio serve`` with two orgs; org A stores a result. Org B then asks for A's query (info and a
page) and for a well-formed id that does not exist, interleaved, over loopback keep-alive.
Prints the medians and the difference; every answer must be the same 404 body.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks._common import folio_serve, print_table

Q = "/v1/orgs/self/queries"
MISSING = "00000000-0000-4000-8000-000000000000:AAAAAAA:0"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--samples", type=int, default=2000)
    args = parser.parse_args()
    os.environ["FOLIO_API_KEYS"] = "key-a=org-a:alice,key-b=org-b:bob"
    with folio_serve() as (url, _):
        a = httpx.Client(base_url=url, headers={"Authorization": "ApiKey key-a"})
        b = httpx.Client(base_url=url, headers={"Authorization": "ApiKey key-b"})
        owned = a.post(Q, json={"sql": {"query": "SELECT * FROM range(1000) t(i)"}, "max_initial_results": 1}).json()
        targets = {"A's query (exists)": owned["query_id"], "unknown id": MISSING}
        times: dict[tuple[str, str], list[float]] = {}
        bodies = set()
        for _ in range(args.samples):
            for label, query_id in targets.items():
                for kind, path in (("info", f"{Q}/{query_id}"), ("page", f"{Q}/{query_id}/pages")):
                    started = time.perf_counter()
                    r = b.get(path)
                    times.setdefault((label, kind), []).append((time.perf_counter() - started) * 1e6)
                    assert r.status_code == 404, r.text
                    bodies.add((r.json()["message"], r.json()["type"]))
        a.close()
        b.close()
    rows = []
    for kind in ("info", "page"):
        exists = statistics.median(times[("A's query (exists)", kind)])
        missing = statistics.median(times[("unknown id", kind)])
        rows.append([kind, f"{exists:.0f}", f"{missing:.0f}", f"{exists - missing:+.0f}"])
    print(f"org B asking, {args.samples} samples each, interleaved; distinct 404 bodies: {len(bodies)}\n")
    print_table(["request", "A's query µs (median)", "unknown id µs (median)", "difference µs"], rows)


if __name__ == "__main__":
    main()
