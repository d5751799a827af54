"""The ``folio`` command: a thin dispatcher over the modules in :mod:`tui.commands`.

``folio serve|cluster|keys|export|rest|queries|lambdas|lambda …`` run a subcommand; anything else (``folio``,
``folio --demo``, ``folio data.parquet``) starts the terminal app. Each subcommand lives in its
own module with ``add_arguments(parser)`` and ``run(args) -> int`` and is imported only when
used, so ``folio serve`` never imports Textual and ``folio`` never imports FastAPI.

Every expected failure is a :class:`tui.commands.CommandError`: one line on stderr and a
non-zero exit code, never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from tui import __version__
from tui.commands import CommandError

SUBCOMMANDS = {
    "serve": ("tui.commands.serve", "run the query service (Rockset query API)"),
    "cluster": ("tui.commands.cluster", "a local demo cluster: PostgreSQL, SeaweedFS and N serve replicas"),
    "keys": ("tui.commands.keys", "add, revoke or list a cluster's API keys in its PostgreSQL registry"),
    "export": ("tui.commands.export", "run a query and stream every row into a file"),
    "rest": ("tui.commands.rest", "page through a token-paginated REST endpoint"),
    "queries": ("tui.commands.queries", "list the stored and running queries of a server"),
    "lambdas": ("tui.commands.lambdas", "list the query lambdas (saved queries) of a server"),
    "lambda": ("tui.commands.lambda_", "execute a query lambda and stream its result into a file"),
    "service": ("tui.commands.service", "list or stop the background local services the app runs on"),
}
APP_MODULE = "tui.commands.app"
APP_EXIT_CODES = "exit codes: 0 done · 1 other failure · 2 bad input (flags, SOURCE) · 130 interrupted (Ctrl-C)"


def build_parser(name: str | None) -> tuple[argparse.ArgumentParser, object]:
    module_name = SUBCOMMANDS[name][0] if name else APP_MODULE
    module = importlib.import_module(module_name)
    if name:
        parser = argparse.ArgumentParser(prog=f"folio {name}", description=SUBCOMMANDS[name][1])
    else:
        commands = "\n".join(f"  folio {cmd:<8} {help_}" for cmd, (_, help_) in SUBCOMMANDS.items())
        parser = argparse.ArgumentParser(
            prog="folio",
            description="Page through query results too large to hold.",
            epilog=f"subcommands:\n{commands}\n\n{APP_EXIT_CODES}",
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        parser.add_argument("--version", action="version", version=f"folio {__version__}")
    module.add_arguments(parser)
    return parser, module


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    name = args[0] if args and args[0] in SUBCOMMANDS else None
    if name:
        args = args[1:]
    parser, module = build_parser(name)
    parsed = parser.parse_args(args)
    try:
        return int(module.run(parsed) or 0)
    except CommandError as exc:
        print(f"folio: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("folio: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
