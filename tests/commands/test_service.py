"""``folio service list|stop`` over real local services."""

from __future__ import annotations

import os

from tui.cli import main
from tui.local.launch import start
from tui.local.runtime import services
from tui.local.spec import ServiceSpec


def test_list_shows_a_running_service_and_stop_ends_it(runtime, capsys):
    assert main(["service", "list"]) == 0
    assert "no local services running" in capsys.readouterr().out
    spec = ServiceSpec(cwd=os.getcwd(), duckdb={"threads": 1})
    service = start(spec).wait()
    assert main(["service", "list"]) == 0
    listed = capsys.readouterr().out
    assert spec.key() in listed and f"pid {service.pid}" in listed and "embedded DuckDB" in listed
    assert main(["service", "stop", "ffffffffffffffff"]) == 2
    assert "no local service with key ffffffffffffffff" in capsys.readouterr().err
    assert main(["service", "stop", spec.key()]) == 0
    assert f"stopped {spec.key()}" in capsys.readouterr().out
    assert not services(runtime)


def test_an_unusable_runtime_directory_is_one_line_and_exit_2(monkeypatch, tmp_path, capsys):
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o777)
    os.chmod(shared, 0o777)
    monkeypatch.setenv("FOLIO_RUNTIME_DIR", str(shared))
    assert main(["service", "list"]) == 2
    assert "can be entered by other users" in capsys.readouterr().err
