"""One module per ``folio`` subcommand; see :mod:`tui.cli`."""


class CommandError(Exception):
    """An expected failure of a command: printed as one line, exit code ``exit_code``."""

    def __init__(self, message: str, exit_code: int = 1):
        super().__init__(message)
        self.exit_code = exit_code
