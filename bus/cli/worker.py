"""``bus worker``: run the bus's stream processors against the configured broker."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
from types import FrameType

from bus.cli.parser import Commands
from bus.settings import Settings
from bus.worker.build import run_worker


def _worker(args: argparse.Namespace, settings: Settings) -> int:
    logging.getLogger().setLevel(args.loglevel.upper())
    # Stopped while starting up, before the loop takes SIGTERM over: nothing is held yet.
    signal.signal(signal.SIGTERM, _stopped_while_starting)
    asyncio.run(run_worker(settings))
    return 0


def _stopped_while_starting(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(0)


def register(commands: Commands) -> None:
    parser = commands.add_parser(
        "worker",
        help="run the bus's stream processors (router, auditor, escalator, echo, sandbox; "
        "BUS_AGENTS)",
    )
    parser.add_argument(
        "--loglevel",
        default="info",
        choices=["debug", "info", "warning", "error"],
        help="log level of the worker (default info)",
    )
    parser.set_defaults(func=_worker)
