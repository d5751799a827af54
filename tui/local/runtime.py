"""The runtime directory: where local services leave their sockets, keys and locks.

``$FOLIO_RUNTIME_DIR``, else ``$XDG_RUNTIME_DIR/folio``, else ``/tmp/folio-<uid>``. It is the
user's alone (mode 0700, refused if anyone else owns it or can enter it), because what is in it
lets a process run SQL as the user. For a service with key ``K``:

* ``K.lock``: held (``flock``) by the service for as long as it lives, and holding its pid. The
  kernel drops the lock when the process dies, however it dies, so "is the lock held?" is the
  liveness test, immune to stale files and reused PIDs;
* ``K.sock``: the service's Unix socket (0600);
* ``K.json``: ``{"pid", "api_key", "socket", "store", "source", "started"}``, written (0600,
  atomically) once the socket listens: a launcher that can read it can connect;
* ``K.log``: the service's stderr, whose last line says why a service did not start.
"""

from __future__ import annotations

import fcntl
import json
import os
import signal
import socket
import stat
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: a Unix socket path must fit ``sockaddr_un.sun_path`` (108 bytes with its NUL on Linux)
MAX_SOCKET_PATH = 104


class RuntimeDirError(Exception):
    """The runtime directory cannot be used safely (someone else's, or too open, or too long)."""


def runtime_dir(environ: dict[str, str] | os._Environ[str] | None = None) -> Path:
    """The runtime directory, made if missing, checked to be the user's own."""
    environ = os.environ if environ is None else environ
    if environ.get("FOLIO_RUNTIME_DIR"):
        path = Path(environ["FOLIO_RUNTIME_DIR"]).expanduser()
    elif environ.get("XDG_RUNTIME_DIR"):
        path = Path(environ["XDG_RUNTIME_DIR"]) / "folio"
    else:
        path = Path("/tmp") / f"folio-{os.getuid()}"
    try:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
        info = path.lstat()
    except OSError as exc:
        raise RuntimeDirError(f"cannot make the runtime directory {path}: {exc.strerror or exc}") from None
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid():
        raise RuntimeDirError(f"{path} is not a directory of this user's: set FOLIO_RUNTIME_DIR to one")
    if info.st_mode & 0o077:
        raise RuntimeDirError(f"{path} can be entered by other users (mode {info.st_mode & 0o777:o}): chmod 700 it")
    if len(str(path)) + len("/0123456789abcdef.sock") > MAX_SOCKET_PATH:
        raise RuntimeDirError(f"{path} is too long a path for a Unix socket: set FOLIO_RUNTIME_DIR to a shorter one")
    return path


@dataclass(frozen=True)
class ServiceFiles:
    """The files of the service with key ``key`` in ``directory``."""

    directory: Path
    key: str

    @property
    def socket(self) -> Path:
        return self.directory / f"{self.key}.sock"

    @property
    def info(self) -> Path:
        return self.directory / f"{self.key}.json"

    @property
    def lock(self) -> Path:
        return self.directory / f"{self.key}.lock"

    @property
    def log(self) -> Path:
        return self.directory / f"{self.key}.log"

    def alive(self) -> bool:
        """Whether a service holds this key's lock (is running, or starting)."""
        try:
            fd = os.open(self.lock, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError:
            return False
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        finally:
            os.close(fd)  # closing also releases a lock this probe took
        return False

    def acquire(self, timeout: float = 0.2) -> int | None:
        """Take the key's lock for the life of this process; ``None`` if another service has it.

        Retried for a moment: a launcher's :meth:`alive` probe holds it for microseconds.
        """
        fd = os.open(self.lock, os.O_RDWR | os.O_CREAT, 0o600)
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    os.close(fd)
                    return None
                time.sleep(0.01)
                continue
            # the pid, so a service can be stopped while it is still starting (no info file yet)
            os.ftruncate(fd, 0)
            os.pwrite(fd, str(os.getpid()).encode(), 0)
            return fd

    def pid(self) -> int | None:
        """The pid of the service holding the lock, as it wrote it there."""
        try:
            text = self.lock.read_text().strip()
        except OSError:
            return None
        return int(text) if text.isdigit() else None

    def read_info(self) -> dict[str, Any] | None:
        try:
            data = json.loads(self.info.read_text())
        except (OSError, ValueError):
            return None
        return data if isinstance(data, dict) else None

    def publish(self, info: dict[str, Any]) -> None:
        """Write ``K.json`` (0600) in one rename, so a reader sees all of it or nothing."""
        partial = self.directory / f".{self.key}.json.partial"
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as out:
            json.dump(info, out)
        os.replace(partial, self.info)

    def clear(self) -> None:
        """Remove the socket and the info file (the lock file stays: it is only ever locked)."""
        for path in (self.info, self.socket):
            try:
                path.unlink()
            except FileNotFoundError:
                pass

    def listen(self) -> socket.socket:
        """Bind and listen on ``K.sock``, readable and writable by the user only."""
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        old = os.umask(0o177)
        try:
            sock.bind(str(self.socket))
        except OSError:
            sock.close()
            raise
        finally:
            os.umask(old)
        sock.listen(256)
        sock.set_inheritable(True)
        return sock


def accepts(path: str | os.PathLike[str]) -> bool:
    """Whether something listens on the Unix socket ``path``."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
        probe.settimeout(1.0)
        try:
            probe.connect(os.fspath(path))
        except OSError:
            return False
    return True


def stop(files: ServiceFiles, timeout: float) -> bool:
    """SIGTERM the service (by the pid in its lock) and wait until the lock is free; whether it
    stopped in time."""
    pid = files.pid()
    if pid is not None:
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    deadline = time.monotonic() + timeout
    while files.alive() and time.monotonic() < deadline:
        time.sleep(0.05)
    return not files.alive()


def services(directory: Path) -> list[tuple[ServiceFiles, dict[str, Any] | None]]:
    """Every service in ``directory`` that is alive, with its info (``None`` while starting)."""
    found = []
    for lock in sorted(directory.glob("*.lock")):
        files = ServiceFiles(directory, lock.stem)
        if files.alive():
            found.append((files, files.read_info()))
    return found
