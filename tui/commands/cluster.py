"""``folio cluster``: PostgreSQL, SeaweedFS and N ``folio serve`` replicas on loopback ports.

A demonstration of scale-out on one machine, not a deployment: see the README's deployment
section for running replicas against a real PostgreSQL and S3.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading

from tui.commands import CommandError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("source", nargs="?", help="what the replicas serve (as for folio serve)")
    parser.add_argument("--replicas", type=int, default=3, metavar="N", help="service replicas (default 3)")
    parser.add_argument("--lease", type=float, default=5.0, metavar="SECONDS", help="query lease (default 5)")


def run(args: argparse.Namespace) -> int:
    from tui.cluster.local import ClusterError, LocalCluster

    if not 1 <= args.replicas <= 16:
        raise CommandError("--replicas must be between 1 and 16", 2)
    print("folio cluster: a local demo (one machine, throwaway data): NOT for production", file=sys.stderr)
    print("folio cluster: starting PostgreSQL, SeaweedFS and the replicas…", file=sys.stderr)
    cluster = LocalCluster(replicas=args.replicas, source=args.source, lease_s=args.lease)
    try:
        cluster.start()
    except ClusterError as exc:
        raise CommandError(str(exc), 2) from None
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        print(f"folio cluster: registry  {cluster.registry_url}")
        print(f"folio cluster: results   {cluster.results_url} at {cluster.env()['AWS_ENDPOINT_URL']}")
        for replica in cluster.members:
            print(f"folio cluster: replica {replica.name} {replica.url}")
        print(f"folio cluster: API key   {cluster.api_key}")
        first = cluster.members[0].url
        print(f"folio cluster: try: folio --server {first} --api-key {cluster.api_key}   (any replica answers)")
        print("folio cluster: Ctrl+C stops everything and deletes its data", file=sys.stderr)
        sys.stdout.flush()
        stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        cluster.stop()
    return 0
