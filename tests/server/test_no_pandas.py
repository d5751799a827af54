"""The service imports no pandas (issue 12): 55 MiB and about a second in a process that never
needs it. pyarrow imports pandas whenever a Python value is made into Arrow, so this runs a real
service in a fresh interpreter (the test process has pandas loaded by other tests), stores and
serves a result of every kind of column through each page path, and asks that interpreter
whether pandas was imported."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

CHILD = r"""
import json, sys, time
from pathlib import Path

import tui.server.app  # noqa: F401

seen = {"after import": "pandas" in sys.modules}

import httpx

from tests.conftest import API_KEY, make_keyring, make_settings, serve_in_thread
from tui.engines.duckdb import DuckDBEngine
from tui.server import create_app

SQL = '''
SELECT i AS id, i * 1.5 AS x, CASE WHEN i % 7 = 0 THEN 'nan'::DOUBLE ELSE i / 3 END AS f,
       'say "hi"\n' || i AS s, i % 2 = 0 AS b, NULLIF(i, 5) AS maybe,
       TIMESTAMPTZ '2026-01-02 03:04:05+00' + INTERVAL (i) SECOND AS ts, DATE '2026-01-01' + i::INT AS d,
       (i * 100 + 0.25)::DECIMAL(20, 2) AS money, i::HUGEINT AS huge,
       {'k': i, 'v': 'w' || i} AS st, [i, i + 1] AS li, MAP {'a': i} AS mp, INTERVAL (i) MINUTE AS gap
FROM range(3000) t(i)
'''

app = create_app(make_settings(Path(sys.argv[1]), chunk_rows=1000), DuckDBEngine(), make_keyring())
with serve_in_thread(app) as url:
    with httpx.Client(base_url=url, headers={"Authorization": f"ApiKey {API_KEY}"}, timeout=60) as http:
        q = "/v1/orgs/self/queries"
        answer = http.post(q, json={"sql": {"query": SQL}, "max_initial_results": 100}).json()
        query_id = answer["query_id"]
        rows = {}
        # the kernel path (512 rows and more), the value-by-value path, a page across chunks,
        # a page started inside a chunk (and read again: its chunk gets rendered to a file)
        for offset, docs in ((0, 1000), (1500, 100), (1500, 100), (900, 2000), (2990, 250)):
            page = http.get(f"{q}/{query_id}/pages", params={"offset": offset, "docs": docs})
            page.raise_for_status()
            rows[f"{offset}+{docs}"] = len(page.json()["results"])
        deadline = time.monotonic() + 20
        while app.state.service.store.rendered.nbytes == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        rendered = http.get(f"{q}/{query_id}/pages", params={"offset": 1200, "docs": 600}).json()["results"]
        arrow = http.get(
            f"{q}/{query_id}/pages", params={"offset": 10, "docs": 600},
            headers={"Accept": "application/vnd.apache.arrow.stream"},
        )
        found = {"done": False, "scanned_to": 0}
        while found.get("match") is None and not found["done"]:  # a find scans a bounded number of rows per call
            params = {"text": "w2999", "from": found["scanned_to"]}
            found = http.get(f"{q}/{query_id}/find", params=params).json()["data"]
seen["after serving"] = "pandas" in sys.modules
print(json.dumps({
    "pandas": seen, "rows": rows, "rendered bytes": app.state.service.store.rendered.nbytes,
    "rendered first id": rendered[0]["id"], "arrow": arrow.headers["content-type"], "found": found["match"],
}))
"""


@pytest.mark.skipif(importlib.util.find_spec("pandas") is None, reason="pandas is not installed: nothing to keep out")
def test_the_service_neither_imports_nor_serves_with_pandas(tmp_path):
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(tmp_path / "store")], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    # the pages were really served, by every path
    assert report["rows"] == {"0+1000": 1000, "1500+100": 100, "900+2000": 2000, "2990+250": 10}
    assert report["rendered bytes"] > 0 and report["rendered first id"] == 1200
    assert report["arrow"].startswith("application/vnd.apache.arrow.stream")
    assert report["found"] == 2999
    assert report["pandas"] == {"after import": False, "after serving": False}
