"""Fixtures for the command tests."""

from tests.commands.cli_helpers import cli

__all__ = ["cli"]
