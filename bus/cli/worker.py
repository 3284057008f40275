"""``bus worker``: run the bus's stream processors against the configured broker."""

from __future__ import annotations

import argparse
import asyncio
import logging

from bus.settings import Settings
from bus.worker.build import run_worker


def _worker(args: argparse.Namespace, settings: Settings) -> int:
    logging.getLogger().setLevel(args.loglevel.upper())
    asyncio.run(run_worker(settings))
    return 0


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "worker",
        help="run the bus's stream processors (router, auditor, escalator, echo; BUS_AGENTS)",
    )
    parser.add_argument(
        "--loglevel",
        default="info",
        choices=["debug", "info", "warning", "error"],
        help="log level of the worker (default info)",
    )
    parser.set_defaults(func=_worker)
