"""Every command's ``--help`` lists the exit codes it uses (issue 10, defect 10): each failure
below ends with a code its own help names, and the help names every code the shared table has."""

from __future__ import annotations

import re
import socket
import subprocess
import sys

import pytest

from tests.commands.cli_helpers import assert_one_line_error

COMMANDS = ["", "serve", "export", "rest", "queries"]


def listed(capsys, cli, command: str) -> set[int]:
    """The exit codes ``folio COMMAND --help`` names."""
    with pytest.raises(SystemExit):
        cli(*([command] if command else []), "--help")
    text = " ".join(capsys.readouterr().out.split())
    assert "exit codes:" in text, f"folio {command} --help lists no exit codes"
    section = text.split("exit codes:", 1)[1]
    return {int(n) for n in re.findall(r"(?:^|·)\s*(\d+)\s", section)}


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_lists_its_exit_codes(cli, capsys, command):
    codes = listed(capsys, cli, command)
    assert {0, 1, 2} <= codes
    if command in ("export", "rest", "queries"):
        assert {3, 4, 5, 6, 130, 143} <= codes
    if command == "":
        assert 130 in codes


def unused_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_failures_end_with_codes_their_help_lists(cli, capsys, tmp_path):
    export = assert_one_line_error(cli("export", "SELECT 1", "-o", "x.txt"), 2)
    rest = assert_one_line_error(cli("rest", f"http://127.0.0.1:{unused_port()}/x", "-o", "x.jsonl"), 3)
    queries = assert_one_line_error(
        cli("queries", "--server", f"http://127.0.0.1:{unused_port()}", "--api-key", "k"), 3
    )
    assert export and rest and queries
    assert 2 in listed(capsys, cli, "export") and 3 in listed(capsys, cli, "rest") | listed(capsys, cli, "queries")


def test_serve_on_a_port_in_use_is_one_line_and_exit_2(cli, capsys, tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "tui",
                "serve",
                "--port",
                str(port),
                "--api-key",
                "k",
                "--store",
                str(tmp_path / "s"),
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert done.returncode == 2
    assert done.stderr.strip().splitlines()[-1] == f"folio: cannot listen on 127.0.0.1:{port}: Address already in use"
    assert "Traceback" not in done.stderr and "ERROR" not in done.stderr
    assert 2 in listed(capsys, cli, "serve")
