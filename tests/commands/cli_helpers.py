"""Running ``folio`` subcommands in-process, in a clean environment, and checking the
one-line error contract (one line on stderr, non-zero exit, no traceback)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from tui.cli import main

CONFIG_VARS = ("FOLIO_SERVER", "FOLIO_API_KEY", "FOLIO_SOURCE", "ROCKSET_API_SERVER", "ROCKSET_API_KEY")


@dataclass
class Outcome:
    code: int
    out: str
    err: str


@pytest.fixture
def cli(tmp_path, monkeypatch, capsys):
    """``cli(*argv) -> Outcome``, run in tmp_path with no server configured and a private store."""
    for name in CONFIG_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    monkeypatch.chdir(tmp_path)

    def run(*argv: str) -> Outcome:
        capsys.readouterr()
        code = main(list(argv))
        captured = capsys.readouterr()
        return Outcome(code, captured.out, captured.err)

    return run


def assert_one_line_error(outcome: Outcome, code: int | None = None, contains: str | None = None) -> str:
    assert outcome.code != 0
    if code is not None:
        assert outcome.code == code, outcome.err
    lines = outcome.err.strip("\n").splitlines()
    assert len(lines) == 1, outcome.err
    assert lines[0].startswith("folio: ")
    assert "Traceback" not in outcome.err
    if contains is not None:
        assert contains in lines[0], lines[0]
    return lines[0]
