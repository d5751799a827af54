"""Where the demo database is cached, and what the app opens it with.

Apart from :mod:`tui.engines.demo` (which builds it) so that ``folio --demo`` can tell whether it
is built without importing DuckDB and Arrow (≈0.3–0.6 s) before the editor is on screen: a
cached demo is opened by the embedded service, after the first paint.
"""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_ROWS = 10_000_000
DEMO_SQL = "SELECT * FROM _events"


def cache_dir() -> Path:
    root = os.environ.get("FOLIO_CACHE_DIR") or os.path.join(os.path.expanduser("~"), ".cache", "folio")
    return Path(root)


def demo_path(rows: int, directory: Path | None = None) -> Path:
    """Where the demo with ``rows`` rows is (or will be) cached."""
    return (directory or cache_dir()) / f"demo-{rows}.duckdb"
