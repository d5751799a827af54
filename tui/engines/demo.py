"""The embedded demo: a generated DuckDB database with ``commons._events``.

Built once per row count and cached (``$FOLIO_CACHE_DIR`` or ``~/.cache/folio``), so the
second ``folio --demo`` starts at once. The build writes to a temporary file and renames it,
so an interrupted build never leaves a half-filled database that looks complete.

The build runs in bounded memory (:data:`BUILD_CONFIG`): a newcomer's first ``folio --demo``
peaked at 914 MiB building 5M rows when DuckDB had the default (80 % of RAM, a sort of the
whole table). ``range`` is already in order and DuckDB keeps insertion order, so no sort is
needed for the rows to be stored by ``event_id``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import duckdb

from tui.demo_cache import DEFAULT_ROWS, DEMO_SQL, cache_dir, demo_path

__all__ = ["BUILD_CONFIG", "DEFAULT_ROWS", "DEMO_SQL", "build_sql", "cache_dir", "demo_path", "ensure_demo"]

_KINDS = "['view', 'click', 'search', 'add_to_cart', 'purchase', 'signup']"
_COUNTRIES = "['US', 'DE', 'FR', 'BR', 'IN', 'JP', 'GB', 'NG', 'MX', 'KR']"
#: DuckDB settings for the build: a memory limit well under the app's budget (it spills to the
#: database's temporary directory beyond it) and insertion order kept, so ``range``'s order is
#: the table's without an ``ORDER BY``
BUILD_CONFIG = {"memory_limit": "64MB", "threads": "1", "preserve_insertion_order": "true"}


def build_sql(rows: int) -> str:
    """The statement that fills ``commons._events`` with ``rows`` deterministic rows."""
    return f"""
    CREATE SCHEMA commons;
    CREATE TABLE commons._events AS
    SELECT
        i AS event_id,
        TIMESTAMP '2026-01-01 00:00:00' + to_milliseconds(i * 317) AS ts,
        (hash(i) % 100000)::INTEGER AS user_id,
        {_KINDS}[1 + (hash(i * 7) % 6)::INTEGER] AS kind,
        {_COUNTRIES}[1 + (hash(i * 13) % 10)::INTEGER] AS country,
        CASE WHEN hash(i * 7) % 6 = 4 THEN round((hash(i * 3) % 50000) / 100.0, 2) END AS amount,
        hash(i * 5) % 3 = 0 AS is_mobile,
        {{'id': 'sess-' || (i // 20)::VARCHAR, 'depth': (i % 20)::INTEGER}} AS session,
        CASE WHEN i % 4 = 0 THEN ['new'] WHEN i % 4 = 1 THEN ['returning', 'promo'] ELSE [] END AS tags,
        CASE WHEN i % 97 = 0 THEN 'note for event ' || i::VARCHAR END AS note
    FROM range({int(rows)}) t(i);
    CREATE VIEW main._events AS SELECT * FROM commons._events;
    """


def ensure_demo(rows: int = DEFAULT_ROWS, directory: Path | None = None) -> Path:
    """Path of the demo database with ``rows`` rows, building it on first use."""
    if rows < 0:
        raise ValueError("--demo-rows must be 0 or more")
    directory = directory or cache_dir()
    directory.mkdir(parents=True, exist_ok=True)
    path = demo_path(rows, directory)
    if path.exists():
        return path
    tmp = directory / f".demo-{rows}.{os.getpid()}.tmp"
    tmp.unlink(missing_ok=True)
    try:
        con = duckdb.connect(str(tmp), config=dict(BUILD_CONFIG))
        try:
            con.execute(build_sql(rows))
            con.execute("CHECKPOINT")
        finally:
            con.close()
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
        Path(str(tmp) + ".wal").unlink(missing_ok=True)
    return path


def main(argv: list[str]) -> int:
    """``python -m tui.engines.demo ROWS``: build the demo (``folio --demo`` runs this in a
    process of its own); a failure is one line on stderr."""
    try:
        ensure_demo(int(argv[0]))
    except OSError as exc:
        print(f"cannot build the demo database: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
