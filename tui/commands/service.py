"""``folio service list|stop``: the background local services that ``folio`` starts.

The app runs embedded queries on a local service per source (:mod:`tui.local`), which outlives
the app so that the next launch starts at once and a running query finishes. Each exits by
itself after ``FOLIO_SERVICE_IDLE_S`` (default 900) idle seconds with no query running; ``stop``
ends them now (their running queries end as cancelled by shutdown; stored results stay).
"""

from __future__ import annotations

import argparse

from tui.commands import CommandError

#: a service stops its queries at once and then waits for responses in flight (up to 10 s)
STOP_TIMEOUT_S = 15.0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", choices=["list", "stop"])
    parser.add_argument("key", nargs="?", help="stop: the service's key, as list shows it (default: every service)")
    parser.epilog = "exit codes: 0 done · 1 a service did not stop · 2 bad input (no such service)"


def run(args: argparse.Namespace) -> int:
    from tui.local.runtime import RuntimeDirError, runtime_dir, services, stop

    try:
        directory = runtime_dir()
    except RuntimeDirError as exc:
        raise CommandError(str(exc), 2) from None
    found = services(directory)
    if args.action == "list":
        if args.key:
            raise CommandError("folio service list takes no KEY", 2)
        if not found:
            print(f"no local services running (runtime directory {directory})")
        for files, info in found:
            info = info or {}
            print(
                f"{files.key}  pid {info.get('pid', '?')}  since {info.get('started', 'starting')}  "
                f"{info.get('source', '')}  store {info.get('store', '?')}"
            )
        return 0
    chosen = [(files, info) for files, info in found if not args.key or files.key == args.key]
    if args.key and not chosen:
        raise CommandError(f"no local service with key {args.key} (see folio service list)", 2)
    stuck = []
    for files, info in chosen:
        if stop(files, STOP_TIMEOUT_S):
            print(f"stopped {files.key} ({(info or {}).get('source', '')})")
        else:
            stuck.append(files.key)
    if stuck:
        raise CommandError(f"did not stop within {STOP_TIMEOUT_S:.0f} s: {', '.join(stuck)}", 1)
    return 0
