"""The ``bus`` command's argument parser: a usage error is the same ``bus: error:`` line as
every other error, where argparse's own would start with the command's name."""

from __future__ import annotations

import argparse
import sys
from typing import NoReturn

USAGE = 2
"""Exit code of a usage or configuration error (argparse's own)."""


class BusParser(argparse.ArgumentParser):
    """An ArgumentParser (its subcommands are too) whose usage error says where the help is."""

    def error(self, message: str) -> NoReturn:
        """Usage and one ``bus: error:`` line that says where the help is, exit 2."""
        self.print_usage(sys.stderr)
        self.exit(USAGE, f"bus: error: {message} (see `{self.prog} --help`)\n")
