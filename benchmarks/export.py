"""Issue 3's benchmark: ``folio export`` of the demo to Parquet and CSV, against DuckDB's COPY.

    uv run python benchmarks/export.py [--rows 10000000] [--runs 3] [--formats parquet,csv]
                                       [--modes embedded,server] [--page-size 50000]

Each measurement is a fresh child process, timed from start to exit (so Python start-up and
imports count, as they do for a user), with its peak RSS from ``wait4``'s ``ru_maxrss``. Peak
RSS counts file-backed pages too, and folio's store memory-maps result chunks, so the children's
``/proc/<pid>/status`` is also sampled every 20 ms for the peak of ``RssAnon`` (heap: what the
process really allocated) apart from ``RssFile`` (mapped file pages, which the kernel can drop).

* ``folio embedded``: ``folio export SQL -o FILE --source demo.duckdb``: the service in-process
  (engine → store → pages → file), the default when no server is configured;
* ``folio client``: ``folio export SQL -o FILE --server URL`` against ``folio serve`` in another
  process: the client's own cost (the server's is issue 2's benchmark);
* ``duckdb COPY``: ``COPY (SELECT * FROM _events) TO FILE`` in a child process over the same
  database file; the reference.

Median of ``--runs`` per row; the output file is deleted between runs.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks._common import API_KEY, ROOT, folio_serve, machine, median, print_table
from tui.engines.demo import DEMO_SQL, ensure_demo


@dataclass
class Run:
    seconds: float
    peak_rss_mib: float
    peak_anon_mib: float
    peak_file_mib: float
    bytes: int


def _status_kib(pid: int, keys: tuple[str, ...]) -> dict[str, int]:
    values: dict[str, int] = {}
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                name = line.split(":", 1)[0]
                if name in keys:
                    values[name] = int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError):
        pass
    return values


def measure(cmd: list[str], output: Path, env: dict[str, str] | None = None) -> Run:
    """Run ``cmd`` to completion; wall time, peak RSS and the peak heap/file split."""
    peaks = {"RssAnon": 0, "RssFile": 0}
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            for key, value in _status_kib(proc.pid, ("RssAnon", "RssFile")).items():
                peaks[key] = max(peaks[key], value)
            done.wait(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - started
    done.set()
    sampler.join()
    proc.returncode = os.waitstatus_to_exitcode(status)
    stderr = proc.stderr.read().decode() if proc.stderr else ""
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[:6])}… failed ({proc.returncode}): {stderr.strip()}")
    size = output.stat().st_size
    output.unlink()
    return Run(seconds, usage.ru_maxrss / 1024, peaks["RssAnon"] / 1024, peaks["RssFile"] / 1024, size)


def folio_cmd(output: Path, fmt: str, page_size: int, connection: list[str]) -> list[str]:
    return [
        sys.executable, "-m", "tui", "export", DEMO_SQL, "-o", str(output), "--format", fmt,
        "--page-size", str(page_size), "-q", *connection,
    ]  # fmt: skip


def duckdb_cmd(db: Path, output: Path, fmt: str) -> list[str]:
    options = "FORMAT parquet" if fmt == "parquet" else "FORMAT csv, HEADER true"
    code = (
        "import duckdb, sys\n"
        "con = duckdb.connect(sys.argv[1], read_only=True)\n"
        f'con.execute("COPY ({DEMO_SQL}) TO \'" + sys.argv[2] + "\' ({options})")\n'
    )
    return [sys.executable, "-c", code, str(db), str(output)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--formats", default="parquet,csv")
    parser.add_argument("--modes", default="embedded,server", help="folio modes to measure: embedded, server")
    parser.add_argument("--page-size", type=int, default=50_000, help="rows per Arrow page (folio export --page-size)")
    parser.add_argument(
        "--out-dir", type=Path, default=None, help="where the files go (default: a temporary directory)"
    )
    args = parser.parse_args()
    formats = [f.strip() for f in args.formats.split(",") if f.strip()]
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]

    db = ensure_demo(args.rows)
    print(f"demo: {args.rows:,} rows ({db}); {machine()}; median of {args.runs} runs; page size {args.page_size:,}\n")
    results: list[tuple[str, str, list[Run]]] = []
    with tempfile.TemporaryDirectory(prefix="folio-export-bench-") as tmp:
        out_dir = args.out_dir or Path(tmp)
        out_dir.mkdir(parents=True, exist_ok=True)
        data_home = Path(tmp) / "xdg"  # the embedded store lives here, removed after each run
        env = {k: v for k, v in os.environ.items() if not k.startswith(("FOLIO_", "ROCKSET_"))}
        env["XDG_DATA_HOME"] = str(data_home)
        for fmt in formats:
            output = out_dir / f"events.{fmt}"
            runs = []
            for _ in range(args.runs):
                runs.append(measure(duckdb_cmd(db, output, fmt), output))
            results.append(("duckdb COPY", fmt, runs))
            if "embedded" in modes:
                runs = []
                for _ in range(args.runs):
                    runs.append(measure(folio_cmd(output, fmt, args.page_size, ["--source", str(db)]), output, env))
                    shutil.rmtree(data_home, ignore_errors=True)
                results.append(("folio export (embedded)", fmt, runs))
            if "server" in modes:
                with folio_serve(str(db)) as (url, _proc):
                    runs = []
                    for _ in range(args.runs):
                        cmd = folio_cmd(output, fmt, args.page_size, ["--server", url, "--api-key", API_KEY])
                        runs.append(measure(cmd, output, env))
                results.append(("folio export (client of folio serve)", fmt, runs))

    rows = []
    for tool, fmt, runs in results:
        seconds = median([r.seconds for r in runs])
        rows.append([
            tool, fmt, f"{seconds:.2f}", f"{args.rows / seconds:,.0f}",
            f"{median([r.peak_rss_mib for r in runs]):.0f}", f"{median([r.peak_anon_mib for r in runs]):.0f}",
            f"{median([r.peak_file_mib for r in runs]):.0f}", f"{median([r.bytes for r in runs]) / 2**20:.0f}",
        ])  # fmt: skip
    print_table(
        ["tool", "format", "seconds", "rows/s", "peak RSS MiB", "peak heap MiB", "peak file-backed MiB", "file MiB"],
        rows,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
