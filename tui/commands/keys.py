"""``folio keys add|revoke|list``: the API keys of a cluster, in its PostgreSQL registry.

Every replica over the registry admits its unrevoked keys (:mod:`tui.server.shared_keys`), so a
key added or revoked here is admitted or refused by all of them within ``keys_refresh_s``,
without a restart. Only digests are stored. A revoked key keeps its row, so a replica
restarted with the key on its command line does not bring it back; ``add`` does.
"""

from __future__ import annotations

import argparse
import os
import re

from tui.commands import CommandError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", choices=["add", "revoke", "list"])
    parser.add_argument(
        "key", nargs="?", help="the key (or sha256:<hex digest>, as list shows it, to revoke without the key)"
    )
    parser.add_argument(
        "--registry",
        default=os.environ.get("FOLIO_REGISTRY"),
        metavar="URL",
        help="the cluster's postgresql://… registry (default: $FOLIO_REGISTRY)",
    )
    parser.add_argument("--org", default=None, help="add: the key's org (default 'default')")
    parser.add_argument("--user", default=None, help="add: the key's user (default 'folio')")
    parser.epilog = "exit codes: 0 done · 1 other failure · 2 bad input (no such key, a flag) · 3 registry unreachable"


def run(args: argparse.Namespace) -> int:
    import psycopg

    from tui.server.auth import DEFAULT_ORG, DEFAULT_USER, KeyringError, digest, mask
    from tui.store.pg_registry import PgRegistry, RegistryUnavailable, _safe

    if not args.registry or not args.registry.startswith(("postgresql://", "postgres://")):
        raise CommandError("give the cluster's registry: --registry postgresql://… (or FOLIO_REGISTRY)", 2)
    if args.action != "list" and not args.key:
        raise CommandError(f"folio keys {args.action} needs a KEY", 2)
    if args.action != "add" and (args.org or args.user):
        raise CommandError("--org and --user go with 'add'", 2)
    hex_digest = shown = None
    if args.key:
        if args.key.startswith("sha256:"):
            hex_digest = args.key[len("sha256:") :].lower()
            if not re.fullmatch(r"[0-9a-f]{64}", hex_digest):
                raise CommandError("sha256: must be followed by a 64-digit hex digest", 2)
            shown = f"sha256:{hex_digest[:16]}…"
        else:
            if any(ch.isspace() for ch in args.key):
                raise CommandError(str(KeyringError("an API key must be non-empty and contain no spaces")), 2)
            hex_digest, shown = digest(args.key), mask(args.key)
    try:
        # one plain connection first: an unreachable registry is one line, not a pool's retries
        psycopg.connect(args.registry, connect_timeout=5).close()
        registry = PgRegistry(args.registry, pool_size=1, connect_timeout_s=10)
    except psycopg.OperationalError as exc:
        raise CommandError(f"cannot connect to the registry {_safe(args.registry)}: {_first_line(exc)}", 3) from None
    except RegistryUnavailable as exc:
        raise CommandError(str(exc), 3) from None
    try:
        if args.action == "add":
            assert hex_digest is not None
            registry.add_key(hex_digest, args.org or DEFAULT_ORG, args.user or DEFAULT_USER)
            print(f"folio keys: added {shown} (org {args.org or DEFAULT_ORG}) to {_safe(args.registry)}")
        elif args.action == "revoke":
            assert hex_digest is not None
            if not registry.revoke_key(hex_digest):
                raise CommandError(f"no key {shown} in the registry", 2)
            print(f"folio keys: revoked {shown}: every replica refuses it within its key refresh (default 2 s)")
        else:
            # whole digests (they reveal nothing), so one can be pasted into revoke
            print(f"{'key':<71} {'org':<16} {'user':<16} state")
            for key_digest, (org, user, revoked) in sorted(registry.keys(revoked=True).items()):
                print(f"sha256:{key_digest} {org:<16} {user:<16} {'revoked' if revoked else 'active'}")
    except RegistryUnavailable as exc:
        raise CommandError(str(exc), 3) from None
    finally:
        registry.close()
    return 0


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
