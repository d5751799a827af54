"""``folio --demo`` with the demo cached: nothing heavy before the editor is on screen.

DuckDB and Arrow (≈0.3–0.6 s of imports) load with the embedded service, after the first paint;
only a first run, which builds the demo, needs them before the app starts.
"""

from __future__ import annotations

import subprocess
import sys

PROBE = """
import sys
import tui.app.app as app_module
from tui.cli import main

def run(self, *args, **kwargs):
    print(sorted(m for m in ("duckdb", "pyarrow", "fastapi", "pandas") if m in sys.modules))

app_module.FolioApp.run = run  # stop where the app would start: what has been imported by then?
main(["--demo", "--demo-rows", "10"])
"""


def _imported_before_the_app(tmp_path) -> str:
    env = {
        "FOLIO_CACHE_DIR": str(tmp_path / "cache"),
        "FOLIO_STATE_DIR": str(tmp_path / "state"),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "PATH": "/usr/bin:/bin",
    }
    done = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1]


def test_a_cached_demo_starts_the_app_without_duckdb_or_arrow(tmp_path):
    from tui.engines.demo import ensure_demo

    ensure_demo(10, tmp_path / "cache")
    assert _imported_before_the_app(tmp_path) == "[]"


def test_a_first_run_builds_the_demo_before_the_app(tmp_path):
    imported = _imported_before_the_app(tmp_path)
    assert "duckdb" in imported
    assert (tmp_path / "cache" / "demo-10.duckdb").exists()
