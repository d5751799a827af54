"""The same explore operations in VisiData 3.4, driven in tmux (issue 11's comparison).

    uv run python benchmarks/explore_visidata.py --rows 1000000 --runs 1

VisiData is not a dependency of folio: it runs as
``uv run --no-project --with visidata==3.4 --with pyarrow vd FILE`` in a detached tmux session
(160×48), on the demo exported to Parquet (typed columns, as folio has them). Like
``benchmarks/app.py`` does for folio, the script sends keys with ``tmux send-keys`` and polls
``tmux capture-pane`` until the screen shows the answer; each time includes that polling.

* **load**: from starting ``vd`` to ``N rows`` on the status line (VisiData must load every row
  before it can do anything with them; uv's start-up included, ≈0.2 s when cached);
* **find once near the end, from the top**: ``g/`` (search every column) for the same text
  ``benchmarks/explore.py`` finds, until its row is on screen and the search is over;
* **frequency of kind**: ``F`` on ``kind`` until the frequency sheet is complete;
* **sort by amount**: ``]`` (descending) on ``amount`` from the top, until the first row shows
  the largest amount and the sort is over;
* **peak RSS** of the ``vd`` process (``VmHWM``).

Needs tmux.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import duckdb

from benchmarks._common import median, peak_rss_mib, print_table
from tui.engines.demo import DEMO_SQL, ensure_demo

WIDTH, HEIGHT = 160, 48
SESSION = "folio-bench-vd"
BUSY = ("processing…", "grouping…", "sorting…", "loading…")


def tmux(*args: str) -> str:
    return subprocess.run(["tmux", *args], check=True, capture_output=True, text=True).stdout


def screen() -> str:
    return tmux("capture-pane", "-p", "-t", SESSION)


def status(text: str) -> str:
    return text.rstrip("\n").rsplit("\n", 1)[-1]


def idle(text: str) -> bool:
    return not any(word in status(text) for word in BUSY)


def wait_for(predicate: Callable[[str], bool], timeout: float = 900.0) -> float:
    deadline = time.perf_counter() + timeout
    while True:
        text = screen()
        now = time.perf_counter()
        if predicate(text):
            return now
        if now > deadline:
            raise TimeoutError(f"screen never matched; last screen:\n{text}")
        time.sleep(0.02)


def send(*keys: str) -> float:
    started = time.perf_counter()
    tmux("send-keys", "-t", SESSION, *keys)
    return started


def vd_pid() -> int:
    pane = int(tmux("display", "-p", "-t", SESSION, "#{pane_pid}").strip())
    out = subprocess.run(["pgrep", "-f", "-P", str(pane)], capture_output=True, text=True).stdout.split()
    pids = [pane, *map(int, out)]
    for _ in range(5):  # uv → python vd: the deepest descendant is VisiData
        children = subprocess.run(["pgrep", "-P", str(pids[-1])], capture_output=True, text=True).stdout.split()
        if not children:
            break
        pids.append(int(children[0]))
    return pids[-1]


def one_run(parquet: Path, rows: int, target: int, top_amount: str) -> dict[str, float]:
    needle = f"note for event {target}"
    command = f"uv run --no-project --with visidata==3.4 --with pyarrow vd {parquet}"
    started = time.perf_counter()
    tmux("new-session", "-d", "-s", SESSION, "-x", str(WIDTH), "-y", str(HEIGHT), command)
    try:
        out = {"load": wait_for(lambda t: f"{rows} rows" in status(t) and idle(t)) - started}
        sent = send("g/")
        time.sleep(0.2)
        sent = send(needle, "Enter")
        found = re.compile(rf"^\s*{target} │", re.M)  # the row itself, by its event_id
        out["find"] = wait_for(lambda t: idle(t) and bool(found.search(t))) - sent
        send("g", "g")  # back to the top, then one column at a time to kind
        send("c")
        time.sleep(0.2)
        send("kind", "Enter")
        time.sleep(0.2)
        sent = send("F")
        out["frequency"] = wait_for(lambda t: "_kind_freq" in status(t) and idle(t)) - sent
        send("q")
        send("c")
        time.sleep(0.2)
        send("amount", "Enter")
        time.sleep(0.2)
        sent = send("]")
        out["sort"] = wait_for(lambda t: idle(t) and top_amount in t.split("\n")[2]) - sent
        out["rss"] = peak_rss_mib(vd_pid())
        return out
    finally:
        subprocess.run(["tmux", "send-keys", "-t", SESSION, "g", "q"], capture_output=True)
        time.sleep(0.5)
        subprocess.run(["tmux", "kill-session", "-t", SESSION], capture_output=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    if shutil.which("tmux") is None:
        sys.exit("needs tmux: apt-get install -y tmux")
    db = ensure_demo(args.rows)
    target = (args.rows * 99 // 100) // 97 * 97
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        parquet = Path(tmp) / "events.parquet"
        con = duckdb.connect(str(db), read_only=True)
        con.execute(f"COPY ({DEMO_SQL}) TO '{parquet}' (FORMAT parquet)")
        top_amount = f"{con.execute('SELECT max(amount) FROM _events').fetchall()[0][0]:.2f}"
        con.close()
        subprocess.run(["uv", "run", "--no-project", "--with", "visidata==3.4", "--with", "pyarrow", "vd", "--version"],
                       check=True, capture_output=True)  # fmt: skip  # warm uv's cache
        for _ in range(args.runs):
            results.append(one_run(parquet, args.rows, target, top_amount))
    m = {k: median([r[k] for r in results]) for k in results[0]}
    print(f"VisiData 3.4 on the {args.rows:,}-row demo (Parquet), tmux {WIDTH}x{HEIGHT}, median of {args.runs}\n")
    print_table(
        ["operation", "seconds"],
        [
            ["load (before anything else)", f"{m['load']:.2f}"],
            ["find once near the end, from the top (g/)", f"{m['find']:.2f}"],
            ["frequency of kind (F)", f"{m['frequency']:.2f}"],
            ["sort by amount, first rows (])", f"{m['sort']:.2f}"],
        ],
    )
    print(f"\nvd peak RSS: {m['rss']:,.0f} MiB")


if __name__ == "__main__":
    main()
