"""``folio export`` to targets that are not plain files (issue 10, defect 9): standard output,
``/dev/stdout``, a FIFO and a symlink are written through; SIGTERM removes a partial file as
Ctrl-C does. Real ``folio`` processes, over the real service on loopback."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from tests.conftest import wait_until

SQL = "SELECT i, 'v' || i::VARCHAR AS v FROM range(5) t(i) ORDER BY i"
EXPECTED_CSV = '"i","v"\n' + "".join(f'{i},"v{i}"\n' for i in range(5))


def folio(service, *argv: str, cwd: Path, **kwargs) -> subprocess.Popen:
    env = {**os.environ, "XDG_DATA_HOME": str(cwd / "xdg")}
    for name in ("FOLIO_SERVER", "FOLIO_API_KEY", "FOLIO_SOURCE"):
        env.pop(name, None)
    cmd = [sys.executable, "-m", "tui", "export", *argv, "--server", service.base_url, "--api-key", service.api_key]
    return subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kwargs)


def finish(process: subprocess.Popen) -> tuple[int, bytes, str]:
    out, err = process.communicate(timeout=120)
    return process.returncode, out, err.decode()


@pytest.mark.parametrize("target", ["-", "/dev/stdout"])
def test_standard_output_gets_the_rows(live_service, tmp_path, target):
    code, out, err = finish(folio(live_service, SQL, "-o", target, "--format", "csv", "-q", cwd=tmp_path))
    assert code == 0, err
    assert out.decode() == EXPECTED_CSV
    assert err == ""


def test_standard_output_defaults_to_json_lines_and_takes_parquet(live_service, tmp_path):
    code, out, _ = finish(folio(live_service, SQL, "-o", "-", "-q", cwd=tmp_path))
    assert code == 0
    assert out.decode().splitlines()[0] == '{"i":0,"v":"v0"}'
    code, out, _ = finish(folio(live_service, SQL, "-o", "-", "--format", "parquet", "-q", cwd=tmp_path))
    assert code == 0
    assert pq.read_table(io.BytesIO(out)).column("i").to_pylist() == [0, 1, 2, 3, 4]


def test_a_fifo_is_written_through_not_replaced(live_service, tmp_path):
    fifo = tmp_path / "rows.csv"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()), daemon=True)
    reader.start()
    code, _, err = finish(folio(live_service, SQL, "-o", str(fifo), "-q", cwd=tmp_path))
    reader.join(timeout=60)
    assert code == 0, err
    assert received == [EXPECTED_CSV.encode()]
    assert fifo.is_fifo()  # still the FIFO
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".part")] == []


def test_a_symlink_keeps_pointing_at_its_file_which_gets_the_rows(live_service, tmp_path):
    real = tmp_path / "data" / "real.csv"
    real.parent.mkdir()
    real.write_text("old\n")
    link = tmp_path / "link.csv"
    link.symlink_to(real)
    code, _, err = finish(folio(live_service, SQL, "-o", str(link), "-q", cwd=tmp_path))
    assert code == 0, err
    assert link.is_symlink() and link.resolve() == real.resolve()
    assert real.read_text() == EXPECTED_CSV


def test_sigterm_removes_the_partial_file_and_cancels_the_query(live_service, tmp_path):
    slow = "SELECT i, repeat('x', 200) AS pad FROM range(200000000) t(i)"
    work = tmp_path / "work"
    work.mkdir()
    process = folio(live_service, slow, "-o", "big.csv", "-q", cwd=work)
    wait_until(lambda: any(p.name.endswith(".part") for p in work.iterdir()), timeout=60)
    with live_service.client() as http:
        wait_until(lambda: http.get("/v1/orgs/self/queries").json()["data"] != [], timeout=60)
    process.send_signal(signal.SIGTERM)
    code, _, err = finish(process)
    assert code == 143
    assert err.strip().splitlines() == ["folio: terminated (SIGTERM); nothing was kept"]
    assert sorted(p.name for p in work.iterdir() if p.name != "xdg") == []  # no file, no .part
    with live_service.client() as http:
        wait_until(lambda: all(q["status"] != "RUNNING" for q in http.get("/v1/orgs/self/queries").json()["data"]))
        statuses = {q["status"] for q in http.get("/v1/orgs/self/queries").json()["data"]}
    assert statuses == {"CANCELLED"}
