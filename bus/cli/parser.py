"""The ``bus`` command's argument parsers: one class for the whole tree.

Every parser keeps the options and commands it was given, so the help test and
shell completion walk the tree through these attributes rather than argparse's
private ones; a command's one-line summary is also its ``--help`` description;
a usage error is the same ``bus: error:`` line as every other error.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from typing import Any, NoReturn

USAGE = 2
"""Exit code of a usage or configuration error (argparse's own)."""


class Commands:
    """A parser's subcommands: argparse's action for them and each one's summary."""

    def __init__(self, action: argparse._SubParsersAction[BusParser]) -> None:
        self._action = action
        self.summaries: dict[str, str] = {}

    def add_parser(self, name: str, *, help: str, **kwargs: Any) -> BusParser:
        """A subcommand; ``help`` is its line in the parent's help and its own description."""
        kwargs.setdefault("description", help)
        parser = self._action.add_parser(name, help=help, **kwargs)
        self.summaries[name] = help
        return parser

    @property
    def parsers(self) -> dict[str, BusParser]:
        return dict(self._action.choices)


class BusParser(argparse.ArgumentParser):
    """An ArgumentParser that remembers its options and subcommands."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.options: list[argparse.Action] = []  # before super(), which adds --help
        self.repeatable: set[str] = set()
        """The ``dest`` of each option that may be given more than once."""
        self.commands: Commands | None = None
        super().__init__(*args, **kwargs)
        for parent in kwargs.get("parents", ()):
            if isinstance(parent, BusParser):
                self.options.extend(parent.options)
                self.repeatable |= parent.repeatable

    def add_argument(self, *args: Any, **kwargs: Any) -> argparse.Action:
        action = super().add_argument(*args, **kwargs)
        self.options.append(action)
        if kwargs.get("action") in ("append", "append_const", "extend", "count"):
            self.repeatable.add(action.dest)
        return action

    def add_commands(self, **kwargs: Any) -> Commands:
        """``add_subparsers`` for the bus: the subcommands are BusParsers, and remembered."""
        self.commands = Commands(self.add_subparsers(parser_class=BusParser, **kwargs))
        return self.commands

    def subcommands(self) -> dict[str, BusParser]:
        """This parser's subcommands by name (none for a command that runs)."""
        return self.commands.parsers if self.commands is not None else {}

    def walk(self, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], BusParser]]:
        """This parser and every parser below it, each with its command words."""
        yield path, self
        for name, parser in self.subcommands().items():
            yield from parser.walk((*path, name))

    def error(self, message: str) -> NoReturn:
        """Usage and one ``bus: error:`` line that says where the help is, exit 2."""
        self.print_usage(sys.stderr)
        self.exit(USAGE, f"bus: error: {message} (see `{self.prog} --help`)\n")
