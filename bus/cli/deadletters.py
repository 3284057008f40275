"""``bus deadletters list|redrive``: what the bus could not process, and sending it back."""

from __future__ import annotations

import argparse
import asyncio
import json
from collections import Counter, deque
from collections.abc import AsyncIterator

from bus.catalogue import load_catalogue
from bus.cli.parser import Commands
from bus.deadletters.queue import Found, LetterFilter, counted, line, to_json, why_not_redriven
from bus.deadletters.read import read_letters, send_back
from bus.errors import ConfigurationError
from bus.settings import Settings


def _filter(args: argparse.Namespace) -> LetterFilter:
    return LetterFilter(
        reasons=tuple(args.reason or ()),
        sources=tuple(args.source or ()),
        agents=tuple(args.agent or ()),
    )


async def _letters(args: argparse.Namespace, settings: Settings) -> AsyncIterator[Found]:
    """The chosen letters of the dead-letter topic, as it stands now."""
    where = _filter(args)
    topic = args.topic or load_catalogue(settings.catalogue).topics.dead_letters
    async for item in read_letters(settings, topic):
        if where.matches(item.letter):
            yield item


async def _matching(args: argparse.Namespace, settings: Settings) -> list[Found]:
    return [item async for item in _letters(args, settings)]


async def _show(args: argparse.Namespace, settings: Settings) -> None:
    """One line per letter as it is read (only the last ``--last`` kept), then the counts."""
    counts: Counter[tuple[str, str]] = Counter()
    last: deque[Found] = deque(maxlen=args.last or None)
    async for item in _letters(args, settings):
        counts[(item.letter.topic, item.letter.reason)] += 1
        if args.last:
            last.append(item)
        else:
            print(line(item))
    for item in last:
        print(line(item))
    total = sum(counts.values())
    print(f"{total} dead letters" + (":" if total else ""))
    for (source, reason), count in sorted(counts.items()):
        print(f"  {count:6d}  {source}  {reason}")


def _list(args: argparse.Namespace, settings: Settings) -> int:
    if args.format == "json":
        found = asyncio.run(_matching(args, settings))
        print(json.dumps([to_json(item) for item in found], indent=2, ensure_ascii=False))
    else:
        asyncio.run(_show(args, settings))
    return 0


def _redrive(args: argparse.Namespace, settings: Settings) -> int:
    if not (args.reason or args.source or args.agent or args.all):
        raise ConfigurationError(
            "say which letters go back: --reason, --source or --agent (or --all for every one)"
        )
    found = asyncio.run(_matching(args, settings))
    ready = [item for item in found if why_not_redriven(item, args.to) is None]
    for item in found:
        if (why := why_not_redriven(item, args.to)) is not None:
            print(f"kept {item.position}: {why}")
    for (source, reason), count in sorted(counted(ready).items()):
        target = args.to or source
        print(f"{'would send' if args.dry_run else 'sending'} {count} to {target} ({reason})")
    if args.dry_run:
        print(f"dry run: {len(ready)} of {len(found)} matching letters would go back")
        return 0
    sent = asyncio.run(send_back(settings, ready, args.to))
    print(f"sent {sent} of {len(found)} matching letters back to their topics")
    return 0 if sent == len(found) else 1


def _selection(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--reason", action="append", metavar="REASON", help="only this reason (repeatable)"
    )
    parser.add_argument(
        "--source",
        action="append",
        metavar="TOPIC",
        help="only letters read from this topic (repeatable)",
    )
    parser.add_argument(
        "--agent", action="append", metavar="AGENT", help="only letters of this agent (repeatable)"
    )
    parser.add_argument(
        "--topic",
        metavar="TOPIC",
        help="the dead-letter topic (default: the catalogue's topics.dead_letters)",
    )


def register(commands: Commands) -> None:
    group = commands.add_parser(
        "deadletters",
        help="the dead-letter topic: list what the bus could not process, send it back",
    )
    actions = group.add_commands(dest="action", metavar="ACTION", required=True)
    text = "list the dead letters with their source, agent, reason and error, and count them"
    listing = actions.add_parser("list", help=text)
    _selection(listing)
    listing.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help="one line each and counts by source and reason, or JSON with the bytes (base64)",
    )
    listing.add_argument(
        "--last", type=int, metavar="N", help="text: show only the last N letters (all counted)"
    )
    listing.set_defaults(func=_list)
    text = (
        "send the chosen dead letters back to the topics they were read from, unchanged but for "
        "a bus_redriven_from header (after the cause is fixed)"
    )
    redrive = actions.add_parser("redrive", help=text)
    _selection(redrive)
    redrive.add_argument("--all", action="store_true", help="every letter, whatever its reason")
    redrive.add_argument(
        "--to",
        metavar="TOPIC",
        help="send them to this topic instead of each one's source (e.g. a new audit "
        "topic's intake after a halted chain)",
    )
    redrive.add_argument(
        "--dry-run", action="store_true", help="say what would go back, send nothing"
    )
    redrive.set_defaults(func=_redrive)
