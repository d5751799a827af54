"""tui.lean_imports: a service with no Spark source makes ``import numpy`` and ``import pandas``
fail, a Spark one keeps them (its client needs them); httpx loads without its command-line tool;
pyarrow and DuckDB work without numpy. Each in a fresh interpreter, numpy and pandas being
installed here."""

from __future__ import annotations

import subprocess
import sys

PROBE = """
import sys
from tui.lean_imports import _KeptOut, keep_service_lean
keep_service_lean(sys.argv[1] or None)
keep_service_lean(sys.argv[1] or None)  # twice: nothing more
import httpx, pyarrow as pa, duckdb
table = duckdb.sql("SELECT 42 AS answer, 'x' AS s").to_arrow_table()
assert table.column("answer").to_pylist() == [42], table
assert pa.array([1.5, None]).to_pylist() == [1.5, None]
hooks = sum(isinstance(f, _KeptOut) for f in sys.meta_path)
outcome = []
for name in ("numpy", "pandas"):
    try:
        __import__(name)
        outcome.append(f"{name} imported")
    except ModuleNotFoundError:
        outcome.append(f"{name} refused")
print(", ".join(outcome), "| cli:", "httpx._main" in sys.modules, "| hooks:", hooks)
"""


def _probe(source: str) -> str:
    done = subprocess.run([sys.executable, "-c", PROBE, source], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_a_service_without_spark_refuses_numpy_and_pandas():
    assert _probe("") == "numpy refused, pandas refused | cli: False | hooks: 2"
    assert _probe("/data/events.duckdb") == "numpy refused, pandas refused | cli: False | hooks: 2"


def test_a_spark_service_keeps_them():
    assert _probe("sc://127.0.0.1:15002") == "numpy imported, pandas imported | cli: False | hooks: 1"
