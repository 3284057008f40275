"""``bus sandbox``: the reference candidate and the panel's report of a catalogue's sandbox."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from bus.catalogue import load_catalogue
from bus.cli.parser import Commands
from bus.settings import Settings


def _report(args: argparse.Namespace, settings: Settings) -> int:
    from bus.sandbox.report import headline
    from bus.sandbox.write import sandbox_report, write_report

    catalogue = load_catalogue(settings.catalogue)
    report = asyncio.run(sandbox_report(settings, catalogue, args.name))
    page = write_report(report, args.out)
    for label, value in headline(report):
        print(f"  {label:<45} {value}")
    print(f"report: {page}")
    print(f"data:   {page.with_name('report.json')}")
    return 0


def _replay(args: argparse.Namespace, settings: Settings) -> int:
    from bus.sandbox.replayed import feed_ranges

    catalogue = load_catalogue(settings.catalogue)
    count = asyncio.run(feed_ranges(settings, catalogue, args.name))
    print(f"fed {count} new turn(s) of the replay ranges to {catalogue.sandbox(args.name).input}")
    return 0


def _candidate(args: argparse.Namespace, settings: Settings) -> int:
    from connectors.base.service import run_until_signalled
    from connectors.candidate.runner import run_candidate

    box = load_catalogue(settings.catalogue).sandbox(args.name)

    async def main() -> None:
        answered = await run_candidate(settings, box, args.limit)
        print(f"answered {answered} turn(s) of sandbox {box.name} on {box.answers}")

    return run_until_signalled(main)


def register(commands: Commands) -> None:
    sandbox = commands.add_parser(
        "sandbox", help="the AI sandbox: a candidate assistant on scrubbed real traffic"
    )
    actions = sandbox.add_commands(dest="action", metavar="ACTION", required=True)
    text = (
        "compare the sandbox's candidate with the production assistant on the same turns; "
        "write report.html (charts) and report.json to DIR"
    )
    report = actions.add_parser("report", help=text, description=text)
    report.add_argument("name", metavar="NAME", help="the sandbox's name in the catalogue")
    report.add_argument(
        "--out", type=Path, required=True, metavar="DIR", help="folder for the two files"
    )
    report.set_defaults(func=_report)
    text = (
        "feed the sandbox the citizen turns of its replay ranges from the assistants' topic, "
        "scrubbed and sampled; turns already fed are skipped, so it can run again"
    )
    replayed = actions.add_parser("replay", help=text, description=text)
    replayed.add_argument("name", metavar="NAME", help="the sandbox's name in the catalogue")
    replayed.set_defaults(func=_replay)
    text = (
        "run the reference keyword-intent candidate (connectors/candidate) on the sandbox's "
        "input, as its principal (BUS_SASL_USERNAME)"
    )
    candidate = actions.add_parser("candidate", help=text, description=text)
    candidate.add_argument("name", metavar="NAME", help="the sandbox's name in the catalogue")
    candidate.add_argument("--limit", type=int, help="stop after answering N turns")
    candidate.set_defaults(func=_candidate)
