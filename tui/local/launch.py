"""Finding the local service for a source, or starting one: the app's side.

:func:`start` returns at once (it only spawns a process), so the app calls it before it imports
Textual and the service's imports overlap the app's; :meth:`Launch.wait` is called later, off
the event loop, and returns a :class:`LocalService` to connect to.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from tui.local.runtime import ServiceFiles, accepts, runtime_dir
from tui.local.spec import ServiceSpec

#: how long a launch waits for a new service: its imports and opening the source take about a
#: second; a DuckDB file that another process holds, or a slow PostgreSQL, take longer
START_TIMEOUT_S = 60.0


class ServiceFailed(Exception):
    """The local service could not be started; the message is the service's own last word."""


@dataclass(frozen=True)
class LocalService:
    """A running local service: where to connect and with which key."""

    socket: str
    api_key: str
    pid: int
    #: whether an earlier launch started it (and this one found it running)
    reused: bool


class Launch:
    """One launch's claim on the service for ``spec``: found running, or being started."""

    def __init__(self, spec: ServiceSpec, files: ServiceFiles, process: subprocess.Popen[bytes] | None):
        self.spec = spec
        self.files = files
        self.process = process

    def wait(self, timeout: float = START_TIMEOUT_S) -> LocalService:
        """Block until the service accepts connections; :class:`ServiceFailed` if it cannot start."""
        deadline = time.monotonic() + timeout
        while True:
            service = self._ready()
            if service is not None:
                return service
            if self.process is not None and self.process.poll() is not None and not self.files.alive():
                # ours exited and no other took its place (one that lost the race to another
                # launch's service exits at once, and that one is then alive)
                raise ServiceFailed(self._last_word())
            if self.process is None and not self.files.alive():
                self.process = _spawn(self.spec, self.files)  # the one we found has just exited
            if time.monotonic() > deadline:
                raise ServiceFailed(f"the local service did not start within {timeout:.0f} s (see {self.files.log})")
            time.sleep(0.01)

    def _ready(self) -> LocalService | None:
        # the socket answering is the test: a killed service's info file and socket may remain
        info = self.files.read_info()
        if not info or not accepts(self.files.socket):
            return None
        return LocalService(str(self.files.socket), str(info["api_key"]), int(info["pid"]), reused=self.process is None)

    def _last_word(self) -> str:
        try:
            lines = [line for line in self.files.log.read_text(errors="replace").splitlines() if line.strip()]
        except OSError:
            lines = []
        reason = lines[-1].removeprefix("folio service: ") if lines else "it exited without a word"
        return f"the local service did not start: {reason}"


def start(spec: ServiceSpec, directory: Path | None = None) -> Launch:
    """The service for ``spec``: found alive, or spawned now (returns without waiting)."""
    files = ServiceFiles(directory or runtime_dir(), spec.key())
    process = None if files.alive() else _spawn(spec, files)
    return Launch(spec, files, process)


def _spawn(spec: ServiceSpec, files: ServiceFiles) -> subprocess.Popen[bytes]:
    # The spec goes through a pipe, not argv: a DSN may carry a password, and argv is
    # world-readable in /proc. A session of its own: the service outlives the app and the
    # terminal (no SIGHUP, no Ctrl-C from the app's terminal).
    log = os.open(files.log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        process = subprocess.Popen(
            [sys.executable, "-m", "tui.local.serve", str(files.directory), files.key],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=log,
            cwd=spec.cwd or None,
            start_new_session=True,
            close_fds=True,
        )
    finally:
        os.close(log)
    assert process.stdin is not None
    try:
        process.stdin.write(spec.to_json().encode())
        process.stdin.close()
    except BrokenPipeError:  # it died at once; wait() reports its log
        pass
    return process
