"""``bus replay``: read the event log back for an auditor, by time range and filters."""

from __future__ import annotations

import argparse
import asyncio
import sys
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

from bus.audit.record import to_ms
from bus.audit.replay import (
    AvroSink,
    JsonLinesSink,
    ReplayFilter,
    ScrubbingSink,
    Sink,
    TopicSink,
    replay,
)
from bus.catalogue import load_catalogue
from bus.cli.parser import Commands
from bus.errors import ConfigurationError, SchemaError
from bus.kafka.connection import security_kwargs
from bus.privacy.scrubber import Scrubber
from bus.schemas.codec import AvroCodec
from bus.schemas.contracts import Contract, load_contracts
from bus.schemas.registry_client import registry_client
from bus.schemas.types import resolve
from bus.settings import Settings


def parse_time(text: str) -> int:
    """ISO 8601 (UTC unless it says otherwise) or milliseconds since the epoch."""
    if text.isdigit():
        return int(text)
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ConfigurationError(
            f"{text!r} is not a time: use ISO 8601 (2026-01-31T12:00:00Z) or epoch milliseconds"
        ) from None
    return to_ms(moment if moment.tzinfo else moment.replace(tzinfo=UTC))


def _replay(args: argparse.Namespace, settings: Settings) -> int:
    contracts = load_contracts(settings.schemas_dir)
    where = _filter(args, contracts)
    topics = args.topic or load_catalogue(args.catalogue or settings.catalogue).audited_topics()
    return asyncio.run(_run(args, settings, contracts, topics, where))


def _filter(args: argparse.Namespace, contracts: Mapping[str, Contract]) -> ReplayFilter:
    """The filter the options ask for; one that could match nothing is a usage error, not an
    empty replay that looks like a quiet log."""
    start = parse_time(args.start) if args.start else None
    end = parse_time(args.end) if args.end else None
    if start is not None and end is not None and start >= end:
        raise ConfigurationError(
            f"--from {args.start} is not before --to {args.end}, so nothing is in that range "
            "(--to is exclusive); swap them"
        )
    try:
        types = tuple(resolve(name, contracts) for name in args.type or ())
    except SchemaError as exc:
        raise ConfigurationError(f"--type: {exc}") from None
    return ReplayFilter(
        start_ms=start,
        end_ms=end,
        authority=args.authority,
        conversation_id=args.conversation,
        event_types=types,
    )


async def _run(
    args: argparse.Namespace,
    settings: Settings,
    contracts: Mapping[str, Contract],
    topics: list[str],
    where: ReplayFilter,
) -> int:
    registry = registry_client(settings)
    out = None
    sink: Sink
    try:
        if args.target_topic:
            replay_id = str(uuid.uuid4())
            sink = TopicSink(
                settings.bootstrap_servers,
                args.target_topic,
                replay_id,
                **security_kwargs(settings),
            )
        elif args.format == "avro":
            if args.out is None:
                raise ConfigurationError("--format avro writes files: give --out DIR")
            sink = AvroSink(args.out, contracts)
        else:
            out = args.out.open("w", encoding="utf-8") if args.out else None
            sink = JsonLinesSink(out or sys.stdout)
        if args.scrub:
            if args.target_topic:
                raise ConfigurationError(
                    "--scrub changes events, --target-topic re-publishes their original bytes: "
                    "use one of them"
                )
            sink = ScrubbingSink(sink, contracts, Scrubber.from_settings(settings))
        progress = args.progress if args.progress is not None else sys.stderr.isatty()
        codec = AvroCodec(registry, contracts)
        bar = await replay(
            settings.bootstrap_servers,
            codec,
            topics,
            where,
            sink,
            progress=progress,
            security=security_kwargs(settings),
        )
    finally:
        await registry.close()
        if out is not None:
            out.close()
    target = args.target_topic or args.out or "stdout"
    print(f"replayed {bar.matched} of {bar.read} events to {target}", file=sys.stderr)
    return 0


def register(commands: Commands) -> None:
    text = "replay events by time range, topic, authority, conversation or type"
    parser = commands.add_parser("replay", help=text, description=text)
    parser.add_argument("--from", dest="start", metavar="TIME", help="from (ISO 8601 or ms)")
    parser.add_argument("--to", dest="end", metavar="TIME", help="until, exclusive")
    parser.add_argument(
        "--topic", action="append", help="a topic to read (repeatable; default: audited topics)"
    )
    parser.add_argument("--authority", help="only events of this authority code")
    parser.add_argument("--conversation", metavar="ID", help="only this conversation's events")
    parser.add_argument(
        "--type", action="append", help="only this event type, full or short name (repeatable)"
    )
    parser.add_argument(
        "--format",
        choices=("jsonl", "avro"),
        default="jsonl",
        help="jsonl: one JSON object per event (default); avro: one container file per type",
    )
    parser.add_argument("--out", type=Path, metavar="PATH", help="file (jsonl) or folder (avro)")
    parser.add_argument(
        "--target-topic", metavar="TOPIC", help="re-publish to this topic, marked as replays"
    )
    parser.add_argument(
        "--scrub",
        action="store_true",
        help="scrub identifiers out of free text and pseudonymise other personal data, with "
        "the audit log's key (BUS_AUDIT_PSEUDONYM_KEY)",
    )
    parser.add_argument("--catalogue", type=Path, metavar="PATH", help="the catalogue")
    parser.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="progress bar on stderr (default: when stderr is a terminal)",
    )
    parser.set_defaults(func=_replay)
