"""``folio keys``: bad input and an unreachable registry are one line and an exit code (the
command against a live registry is tested with the replicas, tests/cluster/test_shared_keys.py)."""

from __future__ import annotations

import pytest

from tests.conftest import free_port
from tui.cli import main


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["keys", "list"], "give the cluster's registry"),
        (["keys", "list", "--registry", "sqlite:///x"], "give the cluster's registry"),
        (["keys", "revoke", "--registry", "postgresql://x/y"], "needs a KEY"),
        (["keys", "revoke", "k", "--org", "a", "--registry", "postgresql://x/y"], "--org and --user go with 'add'"),
        (["keys", "revoke", "sha256:abc", "--registry", "postgresql://x/y"], "64-digit hex digest"),
    ],
)
def test_bad_input_is_exit_code_2(argv, message, capsys, monkeypatch):
    monkeypatch.delenv("FOLIO_REGISTRY", raising=False)
    assert main(argv) == 2
    assert message in capsys.readouterr().err


def test_an_unreachable_registry_is_exit_code_3(capsys):
    url = f"postgresql://folio:secret@127.0.0.1:{free_port()}/folio"
    assert main(["keys", "list", "--registry", url]) == 3
    err = capsys.readouterr().err
    assert err.startswith("folio: cannot connect to the registry postgresql://folio:…@127.0.0.1")
    assert "secret" not in err and len(err.strip().splitlines()) == 1
