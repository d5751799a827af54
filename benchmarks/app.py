"""The terminal app, driven for real: ``folio --demo`` in tmux (160×48), timed from outside.

    uv run python benchmarks/app.py --rows 1000000 10000000 --runs 3

For each run, a fresh ``python -m tui --demo --demo-rows N`` starts in a detached tmux session
(fresh user state and result store in a temporary directory; the demo database is the cached
one). The script sends keys with ``tmux send-keys`` and polls ``tmux capture-pane`` until the
screen shows what the key should bring; a measured time is "key sent → screen shows it", so it
includes tmux, the terminal output and this script's polling (≈2-4 ms per capture).

* **start → screen / ready**: process start → the editor is on screen / the embedded service
  is up (the service starts after the first paint; F5 before that runs once it is up);
* **first row**: F5 on ``SELECT * FROM _events`` → row 1's data on screen (the query is still
  running: folio pages a running query);
* **End**: after the query completed, End in the grid → the last row's data on screen;
* **PageDown**: median over 20 PageDowns from the top → the new screen's first row has data;
* **peak RSS**: ``VmHWM`` of the folio process after all of the above, plus the peaks of
  ``RssAnon`` (heap) and ``RssFile`` (file-backed pages, mostly the memory-mapped result chunks
  the embedded service reads) sampled every 20 ms.

Needs tmux (``apt-get install -y tmux``).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WIDTH, HEIGHT = 160, 48
SESSION = "folio-bench"


def tmux(*args: str) -> str:
    return subprocess.run(["tmux", *args], check=True, capture_output=True, text=True).stdout


def screen() -> str:
    return tmux("capture-pane", "-p", "-t", SESSION)


def wait_for(predicate: Callable[[str], bool], timeout: float = 120.0) -> float:
    """Poll the screen until ``predicate`` holds; returns the time it first held."""
    deadline = time.perf_counter() + timeout
    while True:
        text = screen()
        now = time.perf_counter()
        if predicate(text):
            return now
        if now > deadline:
            raise TimeoutError(f"screen never matched; last screen:\n{text}")


def press(key: str) -> float:
    started = time.perf_counter()
    tmux("send-keys", "-t", SESSION, key)
    return started


def row_shown(number: int) -> Callable[[str], bool]:
    """Row ``number`` (1-based, the grid's gutter) is on screen with its data, not a placeholder:
    its event_id is ``number - 1``."""
    pattern = re.compile(rf"│\s*{number}\s+{number - 1}\s+20\d\d-")
    return lambda text: bool(pattern.search(text))


def status_of(pid: int) -> dict[str, int]:
    values = {}
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            key, _, rest = line.partition(":")
            if key in ("VmHWM", "VmRSS", "RssAnon", "RssFile"):
                values[key] = int(rest.split()[0])  # kB
    return values


class MemorySampler(threading.Thread):
    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.peak_anon = self.peak_file = 0
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                values = status_of(self.pid)
            except OSError:
                return
            self.peak_anon = max(self.peak_anon, values.get("RssAnon", 0))
            self.peak_file = max(self.peak_file, values.get("RssFile", 0))
            time.sleep(0.02)


def folio_pid(pane_pid: int) -> int:
    """The python process running folio: the pane's process, or its descendant."""
    out = subprocess.run(["ps", "-eo", "pid=,ppid=,args="], capture_output=True, text=True).stdout
    children: dict[int, list[tuple[int, str]]] = {}
    for line in out.splitlines():
        pid, ppid, args = line.strip().split(None, 2)
        children.setdefault(int(ppid), []).append((int(pid), args))
    stack = [pane_pid]
    while stack:
        pid = stack.pop()
        for child, args in children.get(pid, []):
            if "-m tui" in args:
                return child
            stack.append(child)
    return pane_pid


def one_run(rows: int, pagedowns: int = 20) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="folio-app-bench-") as tmp:
        env = {
            "FOLIO_STATE_DIR": f"{tmp}/state",
            "XDG_DATA_HOME": f"{tmp}/data",  # the embedded result store
            "TERM": "xterm-256color",
        }
        exports = " ".join(f"{k}={v}" for k, v in env.items())
        command = f"cd {ROOT} && exec env {exports} {sys.executable} -m tui --demo --demo-rows {rows}"
        tmux("new-session", "-d", "-s", SESSION, "-x", str(WIDTH), "-y", str(HEIGHT), command)
        try:
            started = time.perf_counter()
            painted = wait_for(lambda text: "SQL · demo" in text)
            ready = wait_for(lambda text: "ready · F1 help" in text)
            pid = folio_pid(int(tmux("display", "-p", "-t", SESSION, "#{pane_pid}").strip()))
            sampler = MemorySampler(pid)
            sampler.start()

            sent = press("F5")
            first = wait_for(row_shown(1)) - sent
            wait_for(lambda text: "✓ COMPLETED" in text)
            press("F3")
            wait_for(lambda text: "Go to row" in text)  # the grid's bindings in the footer

            sent = press("End")
            end = wait_for(row_shown(rows)) - sent

            press("Home")
            wait_for(row_shown(1))
            body = HEIGHT - 24  # a first guess; read the real page height from the title
            title = re.search(r"rows 1-(\d+) of", screen())
            if title:
                body = int(title.group(1))
            latencies = []
            for step in range(1, pagedowns + 1):
                sent = press("PageDown")
                latencies.append(wait_for(row_shown(1 + step * body)) - sent)

            sent = press("C-g")
            wait_for(lambda text: "Go to row" in text and "Row number" in text)
            tmux("send-keys", "-t", SESSION, str(rows // 2), "Enter")
            wait_for(row_shown(rows // 2))

            time.sleep(0.2)
            sampler.stop.set()
            sampler.join()
            memory = status_of(pid)
            return {
                "screen": painted - started,
                "ready": ready - started,
                "first": first,
                "end": end,
                "pagedown": statistics.median(latencies),
                "pagedown_max": max(latencies),
                "peak_rss": memory["VmHWM"] / 1024,
                "peak_anon": sampler.peak_anon / 1024,
                "peak_file": sampler.peak_file / 1024,
            }
        finally:
            subprocess.run(["tmux", "send-keys", "-t", SESSION, "C-q"], capture_output=True)
            time.sleep(0.5)
            subprocess.run(["tmux", "kill-session", "-t", SESSION], capture_output=True)


def main() -> None:
    parser = argparse.ArgumentParser(description="folio's terminal app, timed in tmux")
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    if shutil.which("tmux") is None:
        sys.exit("benchmarks/app.py needs tmux: apt-get install -y tmux")
    from tui.engines.demo import ensure_demo

    results: dict[int, list[dict[str, float]]] = {}
    for rows in args.rows:
        print(f"demo database with {rows:,} rows: {ensure_demo(rows)}", file=sys.stderr)
        results[rows] = []
        for run in range(args.runs):
            figures = one_run(rows)
            results[rows].append(figures)
            print(
                f"  {rows:,} rows, run {run + 1}: " + ", ".join(f"{k} {v:.3f}" for k, v in figures.items()),
                file=sys.stderr,
            )

    print(f"\nfolio --demo in tmux {WIDTH}x{HEIGHT}, median of {args.runs} runs (seconds, MiB)\n")
    header = "| rows | start → screen s | start → service ready s | F5 → first row s | End → last row s | PageDown s (median / max) | peak RSS MiB | peak heap MiB | peak file-backed MiB |"
    print(header)
    print("|" + "|".join("---" for _ in range(header.count("|") - 1)) + "|")
    for rows, runs in results.items():
        med = {key: statistics.median(run[key] for run in runs) for key in runs[0]}
        print(
            f"| {rows:,} | {med['screen']:.2f} | {med['ready']:.2f} | {med['first']:.3f} | {med['end']:.3f} | "
            f"{med['pagedown']:.3f} / {med['pagedown_max']:.3f} | {med['peak_rss']:.0f} | {med['peak_anon']:.0f} | {med['peak_file']:.0f} |"
        )


if __name__ == "__main__":
    os.environ.setdefault("TEXTUAL_ANIMATIONS", "none")
    main()
