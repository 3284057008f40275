"""``bus demo``: the bus end to end on a local Kafka."""

from __future__ import annotations

import argparse

from bus.settings import Settings


def _demo(args: argparse.Namespace, settings: Settings) -> int:
    from bus.demo.run import run_demo

    return run_demo(settings)


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "demo", help="start Kafka, the registry and a worker; run assistants' traffic through"
    )
    parser.set_defaults(func=_demo)
