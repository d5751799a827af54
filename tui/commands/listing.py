"""What ``folio queries`` and ``folio lambdas`` share: one listing call to the configured
server (or the embedded service), its failures as exit codes, and the JSON form of the answer."""

from __future__ import annotations

import argparse
import json
from collections.abc import Awaitable, Callable
from typing import Any

from tui.commands import CommandError, run_async


def add_listing_arguments(parser: argparse.ArgumentParser, *, json_help: str) -> None:
    from tui.client.console import EXIT_CODES_HELP, add_connection_arguments

    parser.epilog = EXIT_CODES_HELP
    parser.add_argument("--json", action="store_true", help=json_help)
    add_connection_arguments(parser)


def fetch(args: argparse.Namespace, call: Callable[[Any], Awaitable[list[Any]]]) -> list[Any]:
    """``call(client)`` against the server the flags, environment and ``.env`` configure."""
    from tui.client.console import describe_error, exit_code_for
    from tui.client.errors import FolioError
    from tui.config import ConfigError, resolve_settings

    try:
        settings = resolve_settings(args.server, args.api_key, args.source)
    except ConfigError as exc:
        raise CommandError(str(exc), 2) from None

    async def listing() -> list[Any]:
        from tui.client.connect import open_client

        async with open_client(settings) as client:
            return await call(client)

    try:
        return run_async(listing())
    except FolioError as exc:
        raise CommandError(describe_error(exc, server=settings.server), exit_code_for(exc)) from None
    except ValueError as exc:  # MissingApiKey
        raise CommandError(str(exc), 2) from None


def write_json(models: list[Any]) -> None:
    """The server's own objects, as JSON, without the fields it left out."""
    from tui.client.console import write_stdout

    write_stdout(json.dumps([m.model_dump(mode="json", exclude_none=True) for m in models], indent=2) + "\n")
