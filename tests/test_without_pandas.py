"""tui.without_pandas: a service with no Spark source makes ``import pandas`` fail; a Spark one
keeps it (its client needs it). Each in a fresh interpreter, pandas being installed here."""

from __future__ import annotations

import subprocess
import sys

PROBE = """
import sys
from tui.without_pandas import keep_pandas_out
keep_pandas_out(sys.argv[1] or None)
keep_pandas_out(sys.argv[1] or None)  # twice: one hook
try:
    import pandas
    print("imported")
except ModuleNotFoundError as exc:
    print("refused", sum(type(f).__name__ == "_WithoutPandas" for f in sys.meta_path))
"""


def _probe(source: str) -> str:
    done = subprocess.run([sys.executable, "-c", PROBE, source], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_a_service_without_spark_refuses_pandas():
    assert _probe("") == "refused 1"
    assert _probe("/data/events.duckdb") == "refused 1"


def test_a_spark_service_keeps_it():
    assert _probe("sc://127.0.0.1:15002") == "imported"
