"""A real Spark Connect server for the ``spark`` tests, started from the pyspark wheel.

pyspark 4 ships Spark itself (its jars and ``sbin/start-connect-server.sh``), so a machine with
Java 17 and the dev dependencies needs nothing else. One server serves the whole session: it
runs ``local[2]`` with a 512 MiB driver, listens on loopback only, and keeps its web UI on
(also loopback) because the cancel test asks its REST API whether the Spark job stopped.
The server's own process group is ended at the end of the session.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

#: how long the server may take to accept connections (about 5-25 s on a busy 2-core machine)
START_TIMEOUT_S = 180


@dataclass(frozen=True)
class SparkServer:
    url: str  # sc://127.0.0.1:PORT
    ui_url: str  # http://127.0.0.1:PORT of the Spark UI and its REST API
    log: Path


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def unavailable_reason() -> str | None:
    """Why no server can be started here, or ``None``."""
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return "pyspark is not installed (the spark extra)"
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        return "no Java on PATH (Spark needs Java 17 or later)"
    return None


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


@contextmanager
def spark_connect_server() -> Iterator[SparkServer]:
    import pyspark

    home = Path(pyspark.__file__).parent
    work = Path(tempfile.mkdtemp(prefix="folio-spark-"))
    port, ui_port = _free_port(), _free_port()
    env = dict(
        os.environ,
        SPARK_HOME=str(home),
        SPARK_LOG_DIR=str(work),
        SPARK_PID_DIR=str(work),
        SPARK_LOCAL_DIRS=str(work),
        SPARK_LOCAL_IP="127.0.0.1",
        SPARK_NO_DAEMONIZE="1",  # stay in the foreground: this process owns the server
    )
    confs = {
        "spark.connect.grpc.binding.address": "127.0.0.1",
        "spark.connect.grpc.binding.port": str(port),
        "spark.driver.host": "127.0.0.1",
        "spark.driver.bindAddress": "127.0.0.1",
        "spark.ui.port": str(ui_port),
        "spark.sql.shuffle.partitions": "4",
        "spark.sql.warehouse.dir": str(work / "warehouse"),
        "spark.driver.extraJavaOptions": f"-Dderby.system.home={work}",
    }
    argv = [str(home / "sbin" / "start-connect-server.sh"), "--wait", "--master", "local[2]"]
    argv += ["--driver-memory", "512m"]
    for key, value in confs.items():
        argv += ["--conf", f"{key}={value}"]
    log = work / "server.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            argv, env=env, cwd=work, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while not _listening(port):
            if process.poll() is not None or time.monotonic() > deadline:
                tail = log.read_text(errors="replace")[-3000:]
                raise RuntimeError(f"the Spark Connect server did not start:\n{tail}")
            time.sleep(0.25)
        yield SparkServer(url=f"sc://127.0.0.1:{port}", ui_url=f"http://127.0.0.1:{ui_port}", log=log)
    finally:
        _stop(process)
        shutil.rmtree(work, ignore_errors=True)


def _stop(process: subprocess.Popen[bytes]) -> None:
    """End the server's process group (the launcher script and its JVM), politely first."""
    for sig, wait in ((signal.SIGTERM, 30), (signal.SIGKILL, 10)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(wait)
            return
        except subprocess.TimeoutExpired:
            continue
