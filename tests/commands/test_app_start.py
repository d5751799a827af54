"""``folio --demo`` with the demo cached: nothing heavy before the editor is on screen.

DuckDB and Arrow (≈0.3–0.6 s of imports) load after the first paint when the service runs in the
app (the default), or in the local service's own process, which ``--local-service`` spawns
before the app imports Textual; a first run builds the demo in a process of its own, before the
app starts.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from tests.conftest import stop_services

PROBE = """
import sys
import tui.app.app as app_module
from tui.cli import main

def run(self, *args, **kwargs):
    import os
    started = any(name.endswith(".lock") for name in os.listdir(os.environ["FOLIO_RUNTIME_DIR"]))
    print("service started" if started else "no service")
    print(sorted(m for m in ("duckdb", "pyarrow", "fastapi", "pandas") if m in sys.modules))

app_module.FolioApp.run = run  # stop where the app would start: what has been imported by then?
main(["--demo", "--demo-rows", "10", *sys.argv[1:]])
"""


def _imported_before_the_app(tmp_path, *flags: str) -> str:
    runtime = Path(tempfile.mkdtemp(prefix="frt-", dir="/tmp"))
    env = {
        "FOLIO_RUNTIME_DIR": str(runtime),
        "FOLIO_CACHE_DIR": str(tmp_path / "cache"),
        "FOLIO_STATE_DIR": str(tmp_path / "state"),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "PATH": "/usr/bin:/bin",
    }
    try:
        done = subprocess.run(
            [sys.executable, "-c", PROBE, *flags], env=env, capture_output=True, text=True, timeout=120
        )
    finally:
        stop_services(runtime)
        shutil.rmtree(runtime, ignore_errors=True)
    assert done.returncode == 0, done.stderr
    service, imported = done.stdout.strip().splitlines()[-2:]
    # a local service is spawned before the app runs, so its start overlaps the app's
    assert service == ("service started" if "--local-service" in flags else "no service")
    return imported


@pytest.mark.parametrize("flags", [(), ("--local-service",)], ids=["in-process", "local-service"])
def test_a_cached_demo_starts_the_app_without_duckdb_or_arrow(tmp_path, flags):
    from tui.engines.demo import ensure_demo

    ensure_demo(10, tmp_path / "cache")
    assert _imported_before_the_app(tmp_path, *flags) == "[]"


def test_a_first_run_builds_the_demo_before_the_app_in_a_process_of_its_own(tmp_path):
    assert _imported_before_the_app(tmp_path) == "[]"  # the build's DuckDB was another process's
    assert (tmp_path / "cache" / "demo-10.duckdb").exists()


def test_a_demo_that_cannot_be_built_is_one_line_and_exit_1(tmp_path):
    blocked = tmp_path / "cache"
    blocked.write_text("a file where the cache directory should be")
    env = {"FOLIO_CACHE_DIR": str(blocked), "PATH": "/usr/bin:/bin", "FOLIO_RUNTIME_DIR": str(tmp_path / "run")}
    done = subprocess.run(
        [sys.executable, "-m", "tui", "--demo", "--demo-rows", "10"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("folio: cannot build the demo database:") and "Traceback" not in done.stderr
