"""``bus audit verify`` and ``bus audit archive``: check and keep the audit log."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from bus.audit.checkpoint import CheckpointVerifier, verify_key
from bus.audit.service import archive_topic, verify_archive, verify_topic
from bus.audit.verify import Report
from bus.catalogue import load_catalogue
from bus.cli.parser import BusParser, Commands
from bus.settings import Settings


def _topic(args: argparse.Namespace, settings: Settings) -> str:
    return str(args.topic or load_catalogue(args.catalogue or settings.catalogue).topics.audit)


def _verify(args: argparse.Namespace, settings: Settings) -> int:
    signatures = CheckpointVerifier(verify_key(settings, args.public_key))
    if args.archive:
        where = f"archive {args.archive}"
        report = asyncio.run(verify_archive(settings, args.archive, signatures, events=args.events))
    else:
        topic = _topic(args, settings)
        where = f"topic {topic}"
        report = asyncio.run(verify_topic(settings, topic, signatures, events=args.events))
    return print_report(report, where)


def print_report(report: Report, where: str) -> int:
    if report.failure is not None:
        print(f"audit verify: FAILED at {report.failure}")
        print(
            f"  checked before it: {report.records} records and {report.checkpoints} "
            f"checkpoints in {report.partitions} chains of {where}"
        )
        return 1
    events = f", {report.events_checked} events re-read with the recorded digest" * bool(
        report.events_checked
    )
    events += f", {report.proven} records after the last checkpoint proven by their events" * bool(
        report.proven
    )
    print(
        f"audit verify: OK: {report.records} records and {report.checkpoints} signed "
        f"checkpoints in {report.partitions} chains of {where}{events}"
    )
    return 0


def _archive(args: argparse.Namespace, settings: Settings) -> int:
    topic = _topic(args, settings)
    written = asyncio.run(archive_topic(settings, topic, args.out, max_entries=args.max_entries))
    for path in written:
        print(f"  {path.name}")
    print(f"archived {topic} to {args.out}: {len(written)} new file(s)")
    return 0


def register(commands: Commands) -> None:
    audit = commands.add_parser("audit", help="verify and archive the hash-chained audit log")
    actions = audit.add_commands(dest="action", metavar="ACTION", required=True)
    common = BusParser(add_help=False)
    common.add_argument("--topic", help="the audit topic (default: the catalogue's)")
    common.add_argument("--catalogue", type=Path, metavar="PATH", help="the catalogue")

    text = "check the chains, the checkpoints' signatures and, with --events, the events"
    verify = actions.add_parser("verify", parents=[common], help=text, description=text)
    verify.add_argument(
        "--archive",
        type=Path,
        metavar="DIR",
        help="verify the archive files `bus audit archive` wrote to DIR instead of the topic",
    )
    verify.add_argument(
        "--events", action="store_true", help="re-read each audited event and compare digests"
    )
    verify.add_argument(
        "--public-key",
        metavar="KEY",
        help="Ed25519 public key (file, PEM, hex or base64; default $BUS_AUDIT_VERIFY_KEY)",
    )
    verify.set_defaults(func=_verify)

    text = "write the audit log's new entries to Avro container files in DIR"
    archive = actions.add_parser("archive", parents=[common], help=text, description=text)
    archive.add_argument(
        "--out",
        type=Path,
        metavar="DIR",
        required=True,
        help="the archive folder: empty, or one this topic was archived to before",
    )
    archive.add_argument(
        "--max-entries", type=int, default=100_000, help="entries per file (default 100000)"
    )
    archive.set_defaults(func=_archive)
