"""The runtime directory is the user's alone, and every socket path in it fits."""

from __future__ import annotations

import os
import time

import pytest

from tui.local.runtime import RuntimeDirError, ServiceFiles, runtime_dir


def test_it_is_made_private(tmp_path):
    directory = runtime_dir({"FOLIO_RUNTIME_DIR": str(tmp_path / "run")})
    assert directory == tmp_path / "run" and (directory.stat().st_mode & 0o777) == 0o700


def test_xdg_runtime_dir_is_used_when_set(tmp_path):
    assert runtime_dir({"XDG_RUNTIME_DIR": str(tmp_path)}) == tmp_path / "folio"


def test_a_directory_others_can_enter_is_refused(tmp_path):
    open_dir = tmp_path / "open"
    open_dir.mkdir()
    os.chmod(open_dir, 0o755)
    with pytest.raises(RuntimeDirError, match="chmod 700"):
        runtime_dir({"FOLIO_RUNTIME_DIR": str(open_dir)})


def test_a_path_too_long_for_a_socket_is_refused(tmp_path):
    with pytest.raises(RuntimeDirError, match="too long"):
        runtime_dir({"FOLIO_RUNTIME_DIR": str(tmp_path / ("x" * 100))})


def test_liveness_is_the_lock_not_the_files(tmp_path):
    files = ServiceFiles(tmp_path, "0123456789abcdef")
    assert not files.alive()
    fd = files.acquire()
    assert fd is not None and files.alive()
    assert files.acquire(timeout=0.05) is None  # a second service for the key gives way
    os.close(fd)
    assert not files.alive()


def test_a_starting_service_can_be_stopped_by_the_pid_in_its_lock(tmp_path):
    import subprocess
    import sys

    from tui.local.runtime import stop

    files = ServiceFiles(tmp_path, "0123456789abcdef")
    holder = subprocess.Popen(
        [sys.executable, "-c", f"from tui.local.runtime import ServiceFiles; from pathlib import Path; "
         f"ServiceFiles(Path({str(tmp_path)!r}), {files.key!r}).acquire(); import time; time.sleep(60)"]
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while files.pid() != holder.pid:
            assert time.monotonic() < deadline
            time.sleep(0.02)
        assert files.read_info() is None  # "starting": nothing published yet
        assert stop(files, timeout=10)
        assert holder.wait(10) != 0
    finally:
        holder.kill()
