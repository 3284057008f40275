"""``python -m bench``: measure the bus against its baselines and print one table."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys

from bench.run import MEASUREMENTS, NOT_QUICK, Plan, run
from bus.settings import Settings


def parse(argv: list[str] | None = None) -> Plan:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Benchmarks of the bus beside their baselines, measured in the same run.",
    )
    parser.add_argument(
        "--bootstrap-servers",
        default=Settings().bootstrap_servers,
        help="Kafka to use; a local one is started on that port if none answers",
    )
    parser.add_argument("--events", type=int, help="events per throughput run (default 200,000)")
    parser.add_argument("--runs", type=int, help="runs per figure; each figure is their median")
    parser.add_argument(
        "--rate",
        type=float,
        nargs="+",
        default=[200.0, 1000.0],
        help="latency: offered loads in events/s (default 200 1000)",
    )
    parser.add_argument("--seconds", type=float, help="latency: seconds of offered load per run")
    parser.add_argument(
        "--router-seconds",
        type=float,
        help="measure each router run over at most this many seconds (default 30; 0: all "
        "events); the pipes always move all events",
    )
    parser.add_argument(
        "--soak-events",
        type=int,
        default=1_000_000,
        help="soak: events through one worker of every agent (default 1,000,000); its memory "
        "is read after a fifth of them and after all",
    )
    parser.add_argument(
        "--only",
        nargs="+",
        choices=MEASUREMENTS,
        metavar="NAME",
        help=f"measure only these: {', '.join(MEASUREMENTS)} (default all)",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"small and fast (20,000 events, 2 runs, no {' or '.join(NOT_QUICK)} unless --only "
        "names it): a smoke check",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="sample the first router run with py-spy and print where its time goes",
    )
    parser.add_argument("--no-save", action="store_true", help="do not write bench/results/")
    args = parser.parse_args(argv)
    quick = args.quick
    return Plan(
        bootstrap_servers=args.bootstrap_servers,
        events=args.events or (20_000 if quick else 200_000),
        runs=args.runs or (2 if quick else 3),
        rates=tuple(args.rate),
        seconds=args.seconds or (3.0 if quick else 8.0),
        router_seconds=_router_seconds(args.router_seconds, quick),
        only=_only(args.only, quick),
        soak_events=args.soak_events,
        save=not args.no_save,
        profile=args.profile,
    )


def _only(given: list[str] | None, quick: bool) -> tuple[str, ...]:
    if given is None:
        given = [name for name in MEASUREMENTS if not (quick and name in NOT_QUICK)]
    return tuple(name for name in MEASUREMENTS if name in given)


def _router_seconds(given: float | None, quick: bool) -> float | None:
    if given is None:
        return 15.0 if quick else 30.0
    return given or None


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("aiokafka").setLevel(logging.ERROR)
    return asyncio.run(run(parse(argv)))


if __name__ == "__main__":
    sys.exit(main())
