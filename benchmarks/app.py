"""The terminal app, driven for real: ``folio --demo`` in tmux (160×48), timed from outside.

    uv run python benchmarks/app.py --rows 1000000 10000000 --runs 3

For each run, a fresh ``python -m tui --demo --demo-rows N`` starts in a detached tmux session
(fresh user state and result store in a temporary directory; the demo database is the cached
one). The script sends keys with ``tmux send-keys`` and polls ``tmux capture-pane`` until the
screen shows what the key should bring; a measured time is "key sent → screen shows it", so it
includes tmux, the terminal output and this script's polling (≈2-4 ms per capture). Polls follow
each other at once while a key is timed, and 10 ms apart while the app starts (a poll is a tmux
process: back to back they keep a core busy, which a first launch, two processes starting at
once, needs).

* **start → screen / ready**: process start → the editor is on screen / the status line says
  ``ready`` (the app is connected to its service: F5 runs at once; F5 before that runs once it
  is). For ``--local-service``, *cold*: no local service was running, the app spawns one (its
  imports overlap the app's); *warm*: a second launch after the first quit, which finds the
  service still running;
* **first row**: F5 on ``SELECT * FROM _events`` → row 1's data on screen (the query is still
  running: folio pages a running query);
* **End**: after the query completed, End in the grid → the last row's data on screen, *at once*
  (pressed as soon as the footer shows the grid's keys: the screen may still be laying out what
  completion and the focus change brought) and *settled* (half a second later, from row 1);
* **PageDown**: median over 20 PageDowns from the top → the new screen's first row has data;
* **peak RSS**: everything folio runs: the app's ``VmHWM`` (the kernel's own peak); with a local
  service, the two processes summed: the peak of their ``VmRSS`` added up, sampled every 20 ms
  (and each one's own ``VmHWM``). Also the peak of their summed ``Pss`` (shared library pages
  counted once), sampled every 100 ms.

``folio --demo`` runs its query service inside the app (the default); ``--local-service`` adds
runs of ``folio --demo --local-service`` (the service in a background process of its own, which
later launches reuse: its *warm* start) in the same run. For those, the figures are the two
processes summed.

**Peers** (``--peers``), in the same run, driven the same way at the same size: Harlequin 2.17 on
the same DuckDB file (``SELECT * FROM _events``, Ctrl+J; it shows at most 100,000 rows) and
VisiData 3.4 on a Parquet copy of it (VisiData 3.4 has no DuckDB loader; it loads every row
before End can reach the last, so it runs at 1M rows only: ≈7 GB at 10M on a shared machine). Both are installed into a scratch environment by uv
(``uv run --no-project --with harlequin==2.17`` / ``--with visidata==3.4 --with pyarrow``); their
start includes uv's (≈0.2 s when cached). Each peer's figures: start → its first screen, the
result loaded, End → the last row it holds on screen, the slowest of 10 PageDowns (screen
changed), and the peak RSS (``VmHWM``) of its process. The table ends with folio/peer ratios.

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
SESSION = f"folio-bench-{os.getpid()}"
#: a tmux server of its own: two runs at once (two worktrees), or a ``tmux kill-server`` elsewhere,
#: leave each other alone
TMUX = ["tmux", "-L", SESSION]
#: the pause between two screen polls while the app starts (none while timing keys)
START_POLL_S = 0.01


def tmux(*args: str) -> str:
    return subprocess.run([*TMUX, *args], check=True, capture_output=True, text=True).stdout


def screen() -> str:
    return tmux("capture-pane", "-p", "-t", SESSION)


def wait_for(predicate: Callable[[str], bool], timeout: float = 120.0, interval: float = 0.0) -> float:
    """Poll the screen until ``predicate`` holds; returns the time it first held.

    Back to back, a poll (a ``tmux capture-pane`` process) keeps one of the machine's two cores
    busy; ``interval`` leaves it to the app while it starts (what is timed there is hundreds of
    milliseconds, and a first launch starts two processes at once)."""
    deadline = time.perf_counter() + timeout
    while True:
        text = screen()
        now = time.perf_counter()
        if predicate(text):
            return now
        if now > deadline:
            raise TimeoutError(f"screen never matched; last screen:\n{text}")
        if interval:
            time.sleep(interval)


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


def pss_of(pid: int) -> int:
    with open(f"/proc/{pid}/smaps_rollup") as fh:
        for line in fh:
            if line.startswith("Pss:"):
                return int(line.split()[1])
    return 0


class MemorySampler(threading.Thread):
    """Peaks of the processes' summed RSS (every 20 ms) and summed PSS (every 100 ms)."""

    def __init__(self, pids: list[int]) -> None:
        super().__init__(daemon=True)
        self.pids = pids
        self.peak_sum = self.peak_pss = 0
        self.stop = threading.Event()

    def run(self) -> None:
        tick = 0
        while not self.stop.is_set():
            try:
                self.peak_sum = max(self.peak_sum, sum(status_of(pid)["VmRSS"] for pid in self.pids))
                if tick % 5 == 0:
                    self.peak_pss = max(self.peak_pss, sum(pss_of(pid) for pid in self.pids))
            except OSError:
                return
            tick += 1
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
            if "-m tui" in args and "tui.local.serve" not in args:
                return child
            stack.append(child)
    return pane_pid


def service_pid(runtime: Path) -> int | None:
    """The local service's process, from its info file in the runtime directory."""
    import json

    for info in runtime.glob("*.json"):
        return int(json.loads(info.read_text())["pid"])
    return None


def launch(rows: int, env: dict[str, str], local: bool) -> tuple[float, float, float]:
    """Start the app in tmux: (start time, → editor painted, → ready)."""
    exports = " ".join(f"{k}={v}" for k, v in env.items())
    flag = " --local-service" if local else ""
    command = f"cd {ROOT} && exec env {exports} {sys.executable} -m tui --demo --demo-rows {rows}{flag}"
    tmux("new-session", "-d", "-s", SESSION, "-x", str(WIDTH), "-y", str(HEIGHT), command)
    started = time.perf_counter()
    painted = wait_for(lambda text: "SQL · demo" in text, interval=START_POLL_S)
    ready = wait_for(lambda text: "ready · F1 help" in text, interval=START_POLL_S)
    return started, painted - started, ready - started


def quit_app() -> None:
    subprocess.run([*TMUX, "send-keys", "-t", SESSION, "C-q"], capture_output=True)
    time.sleep(0.5)
    subprocess.run([*TMUX, "kill-session", "-t", SESSION], capture_output=True)


def one_run(rows: int, pagedowns: int = 20, local: bool = False) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="folio-app-bench-") as tmp:
        runtime = Path(tempfile.mkdtemp(prefix="fab-", dir="/tmp"))  # short: a socket path lives in it
        env = {
            "FOLIO_STATE_DIR": f"{tmp}/state",
            "XDG_DATA_HOME": f"{tmp}/data",  # the result store
            "FOLIO_RUNTIME_DIR": str(runtime),
            "TERM": "xterm-256color",
        }
        try:
            _started, painted, ready = launch(rows, env, local)
            pid = folio_pid(int(tmux("display", "-p", "-t", SESSION, "#{pane_pid}").strip()))
            service = service_pid(runtime) if local else None
            pids = [pid] + ([service] if service else [])
            sampler = MemorySampler(pids)
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
            time.sleep(0.5)  # the same key on a settled screen: nothing else queued before it
            sent = press("End")
            end_settled = wait_for(row_shown(rows)) - sent
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
            app_peak = status_of(pid)["VmHWM"] / 1024
            service_peak = status_of(service)["VmHWM"] / 1024 if service else 0.0
            quit_app()
            figures = {
                "screen": painted,
                "ready": ready,
                "first": first,
                "end": end,
                "end_settled": end_settled,
                "pagedown": statistics.median(latencies),
                "pagedown_max": max(latencies),
                "pagedown_max10": max(latencies[:10]),  # the "slowest of 10", as for the peers
                # one process: the kernel's peak, which sampling can miss; two: their summed samples
                "peak_rss": sampler.peak_sum / 1024 if service else max(sampler.peak_sum / 1024, app_peak),
                "peak_pss": sampler.peak_pss / 1024,
                "app_rss": app_peak,
                "service_rss": service_peak,
            }
            if local:  # a second launch finds the service the first left running
                _started, figures["warm_screen"], figures["warm_ready"] = launch(rows, env, local)
                quit_app()
            return figures
        finally:
            quit_app()
            subprocess.run(
                [sys.executable, "-m", "tui", "service", "stop"],
                env={**os.environ, "FOLIO_RUNTIME_DIR": str(runtime)},
                capture_output=True,
            )
            shutil.rmtree(runtime, ignore_errors=True)


PEERS = {
    "harlequin": "uv run --no-project --with harlequin==2.17 harlequin -r {db}",
    "visidata": "uv run --no-project --with visidata==3.4 --with pyarrow vd {parquet}",
}


def deepest_python(pane_pid: int) -> int:
    """The peer's own process under ``uv run``: the deepest descendant of the pane."""
    out = subprocess.run(["ps", "-eo", "pid=,ppid="], capture_output=True, text=True).stdout
    children: dict[int, list[int]] = {}
    for line in out.splitlines():
        pid, ppid = map(int, line.split())
        children.setdefault(ppid, []).append(pid)
    pid = pane_pid
    while children.get(pid):
        pid = children[pid][0]
    return pid


def changed_from(before: str) -> Callable[[str], bool]:
    return lambda text: text != before


def peer_run(tool: str, rows: int, db: Path, parquet: Path, pagedowns: int = 10) -> dict[str, float]:
    command = PEERS[tool].format(db=db, parquet=parquet)
    tmux("new-session", "-d", "-s", SESSION, "-x", str(WIDTH), "-y", str(HEIGHT), f"cd {ROOT} && exec {command}")
    try:
        started = time.perf_counter()
        if tool == "harlequin":
            ready = wait_for(lambda text: "Query Editor" in text and "Run Query" in text)
            for key in ("C-a", "BSpace"):  # Harlequin restores the last session's buffer
                tmux("send-keys", "-t", SESSION, key)
                time.sleep(0.2)
            tmux("send-keys", "-t", SESSION, "-l", "SELECT * FROM _events")
            sent = press("C-j")
            shown = min(rows, 100_000)
            wait_for(lambda text: f"Showing {shown:,} of {rows:,}" in text or f"Showing {rows:,}" in text)
            loaded = time.perf_counter() - sent
            last = shown - 1
        else:
            ready = wait_for(lambda text: "›" in text and "rows" in text)
            sent = started
            wait_for(lambda text: re.search(rf"\b{rows}\s+rows", text) is not None, timeout=600)
            loaded = time.perf_counter() - sent
            last = rows - 1
        pid = deepest_python(int(tmux("display", "-p", "-t", SESSION, "#{pane_pid}").strip()))
        time.sleep(0.3)
        sent = press("End")
        end = wait_for(lambda text: re.search(rf"\b{last}\s*[│ ]\s*2026-", text) is not None) - sent
        press("Home")
        wait_for(lambda text: re.search(r"[│ ]\s*0\s*[│ ]\s*2026-01-01", text) is not None)
        time.sleep(0.3)
        latencies = []
        for _ in range(pagedowns):
            before = screen()
            sent = press("PageDown")
            latencies.append(wait_for(changed_from(before)) - sent)
            time.sleep(0.1)
        return {
            "start": ready - started,
            "loaded": loaded,
            "end": end,
            "pagedown_max": max(latencies),
            "peak_rss": status_of(pid)["VmHWM"] / 1024,
        }
    finally:
        subprocess.run([*TMUX, "send-keys", "-t", SESSION, "C-q" if tool == "harlequin" else "gq"], capture_output=True)
        time.sleep(0.5)
        subprocess.run([*TMUX, "kill-session", "-t", SESSION], capture_output=True)


def print_peers(
    results: dict[tuple[str, int], list[dict[str, float]]], peers: dict[tuple[str, int], list[dict[str, float]]]
) -> None:
    print("\npeers in the same run, median (seconds, MiB); ratio = folio ÷ peer (below 1: folio is faster/smaller)\n")
    print(
        "| tool | rows | start → first screen s | result loaded s | End → last row s | slowest of 10 PageDowns s | peak RSS MiB |"
    )
    print("|---|---|---|---|---|---|---|")
    for (mode, rows), runs in results.items():
        if mode != "in-process":
            continue
        folio = {k: statistics.median(run[k] for run in runs) for k in runs[0]}
        print(f"| folio | {rows:,} | {folio['screen']:.2f} | {folio['first']:.3f} (first row) | {folio['end']:.3f} | "
              f"{folio['pagedown_max10']:.3f} | {folio['peak_rss']:.0f} |")  # fmt: skip
        for (tool, n), peer_runs in peers.items():
            if n != rows:
                continue
            peer = {k: statistics.median(run[k] for run in peer_runs) for k in peer_runs[0]}
            print(f"| {tool} | {rows:,} | {peer['start']:.2f} | {peer['loaded']:.3f} | {peer['end']:.3f} | "
                  f"{peer['pagedown_max']:.3f} | {peer['peak_rss']:.0f} |")  # fmt: skip
            print(f"| folio ÷ {tool} | | {folio['screen'] / peer['start']:.2f} | | {folio['end'] / peer['end']:.2f} | "
                  f"{folio['pagedown_max10'] / peer['pagedown_max']:.2f} | {folio['peak_rss'] / peer['peak_rss']:.2f} |")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description="folio's terminal app, timed in tmux")
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--peers", action="store_true", help="also drive Harlequin and VisiData (installed by uv)")
    parser.add_argument(
        "--local-service",
        action="store_true",
        help="also run folio --local-service (the service in a background process of its own)",
    )
    args = parser.parse_args()
    if shutil.which("tmux") is None:
        sys.exit("benchmarks/app.py needs tmux: apt-get install -y tmux")
    from tui.engines.demo import ensure_demo

    results: dict[tuple[str, int], list[dict[str, float]]] = {}
    peers: dict[tuple[str, int], list[dict[str, float]]] = {}
    scratch = Path(tempfile.mkdtemp(prefix="folio-app-peers-"))
    for rows in args.rows:
        db = ensure_demo(rows)
        print(f"demo database with {rows:,} rows: {db}", file=sys.stderr)
        parquet = scratch / f"events-{rows}.parquet"
        if args.peers:
            import duckdb

            with duckdb.connect(str(db), read_only=True) as con:
                con.execute(f"COPY (SELECT * FROM _events) TO '{parquet}' (FORMAT parquet)")
        modes = ["in-process", "local service"] if args.local_service else ["in-process"]
        for run in range(args.runs):  # the tools take turns run by run: load hits them alike
            for mode in modes:
                figures = one_run(rows, local=mode == "local service")
                results.setdefault((mode, rows), []).append(figures)
                print(
                    f"  {mode} {rows:,} rows, run {run + 1}: " + ", ".join(f"{k} {v:.3f}" for k, v in figures.items()),
                    file=sys.stderr,
                )
            for tool in PEERS if args.peers else ():
                if tool == "visidata" and rows > 1_000_000:
                    continue  # it loads every row: ≈7 GB at 10M on a machine shared with others
                try:
                    figures = peer_run(tool, rows, db, parquet)
                except TimeoutError as exc:
                    print(f"  {tool} at {rows:,} rows: {str(exc).splitlines()[0]}", file=sys.stderr)
                    continue
                peers.setdefault((tool, rows), []).append(figures)
                print(f"  {tool} {rows:,} rows, run {run + 1}: " + ", ".join(f"{k} {v:.3f}" for k, v in figures.items()),
                      file=sys.stderr)  # fmt: skip
    shutil.rmtree(scratch, ignore_errors=True)

    print(f"\nfolio --demo in tmux {WIDTH}x{HEIGHT}, median of {args.runs} runs (seconds, MiB)\n")
    header = (
        "| mode | rows | start → screen s (cold / warm) | start → ready s (cold / warm) | F5 → first row s "
        "| End → last row s (at once / settled) | PageDown s (median / max of 10 / max of 20) | peak RSS MiB (app + service) "
        "| app / service peak RSS MiB | peak PSS MiB |"
    )
    print(header)
    print("|" + "|".join("---" for _ in range(header.count("|") - 1)) + "|")
    for (mode, rows), runs in results.items():
        med = {key: statistics.median(run[key] for run in runs) for key in runs[0]}
        warm_screen = f"{med['warm_screen']:.2f}" if "warm_screen" in med else "–"
        warm_ready = f"{med['warm_ready']:.2f}" if "warm_ready" in med else "–"
        print(
            f"| {mode} | {rows:,} | {med['screen']:.2f} / {warm_screen} | {med['ready']:.2f} / {warm_ready} "
            f"| {med['first']:.3f} | {med['end']:.3f} / {med['end_settled']:.3f} | {med['pagedown']:.3f} / {med['pagedown_max10']:.3f} / "
            f"{med['pagedown_max']:.3f} | {med['peak_rss']:.0f} | {med['app_rss']:.0f} / {med['service_rss']:.0f} "
            f"| {med['peak_pss']:.0f} |"
        )
    flat = [mode for mode, _ in results if (mode, min(args.rows)) in results and (mode, max(args.rows)) in results]
    for mode in dict.fromkeys(flat):
        if min(args.rows) != max(args.rows):
            low = statistics.median(run["peak_rss"] for run in results[(mode, min(args.rows))])
            high = statistics.median(run["peak_rss"] for run in results[(mode, max(args.rows))])
            print(f"\n{mode}: peak RSS at {max(args.rows):,} rows ÷ at {min(args.rows):,} = {high / low:.2f}")
    if peers:
        print_peers(results, peers)


if __name__ == "__main__":
    os.environ.setdefault("TEXTUAL_ANIMATIONS", "none")
    main()
