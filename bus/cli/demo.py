"""``bus demo``: the bus end to end on a local Kafka."""

from __future__ import annotations

import argparse

from bus.cli.parser import Commands
from bus.settings import Settings


def _demo(args: argparse.Namespace, settings: Settings) -> int:
    from bus.demo.run import run_demo

    return run_demo(settings)


def register(commands: Commands) -> None:
    parser = commands.add_parser(
        "demo",
        help="start Kafka, the registry and a worker; run assistants' traffic through",
        description="the bus end to end: a local Kafka (unless one answers), the registry and "
        "a worker; simulated assistants' conversations, escalations and connectors through "
        "them; exit 0 only if every event arrived where it belongs",
    )
    parser.set_defaults(func=_demo)
