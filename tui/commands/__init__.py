"""One module per ``folio`` subcommand; see :mod:`tui.cli`."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")

#: exit code of a command stopped by SIGTERM (128 + 15, as a shell reports it)
EXIT_TERMINATED = 143


class CommandError(Exception):
    """An expected failure of a command: printed as one line, exit code ``exit_code``."""

    def __init__(self, message: str, exit_code: int = 1):
        super().__init__(message)
        self.exit_code = exit_code


def run_async(coroutine: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run(coroutine)``, with SIGTERM handled as Ctrl-C is: the work is cancelled, so
    every ``finally`` and ``except BaseException`` on the way out runs (partial files removed,
    a query the command started cancelled), and the command ends with exit code 143."""
    terminated = False

    async def main() -> T:
        nonlocal terminated
        task = asyncio.current_task()
        loop = asyncio.get_running_loop()

        def terminate() -> None:
            nonlocal terminated
            terminated = True
            assert task is not None
            task.cancel()

        try:
            loop.add_signal_handler(signal.SIGTERM, terminate)
        except (NotImplementedError, RuntimeError, ValueError):  # not the main thread, or no signals
            return await coroutine
        try:
            return await coroutine
        finally:
            loop.remove_signal_handler(signal.SIGTERM)

    try:
        return asyncio.run(main())
    except asyncio.CancelledError:
        if terminated:
            raise CommandError("terminated (SIGTERM); nothing was kept", EXIT_TERMINATED) from None
        raise
