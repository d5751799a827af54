"""The command line a cluster gives each replica reads back as what it meant, whatever the key."""

from __future__ import annotations

import argparse
from pathlib import Path

from tui.cluster.local import LocalCluster, LocalReplica
from tui.commands.serve import add_arguments


def test_a_key_that_starts_with_a_dash_stays_the_key(tmp_path: Path):
    # token_urlsafe begins with "-" one time in 64; CI once met it as "--api-key: expected one argument"
    cluster = LocalCluster(api_key="-Zx9_dash-first", serve_args=["--max-connections", "8"])
    replica = LocalReplica("A", 4321, tmp_path / "replica-0")
    command = cluster.replica_command(replica)
    assert command[1:4] == ["-m", "tui", "serve"]
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    args = parser.parse_args(command[4:])
    assert args.api_key == ["-Zx9_dash-first"]
    assert args.port == 4321
    assert args.max_connections == 8
