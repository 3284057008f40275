"""``bus topics apply``: create and update the bus's topics from the catalogue."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from bus.audit.auditor import audit_specs
from bus.catalogue import load_catalogue
from bus.cli.parser import Commands
from bus.kafka.connection import security_kwargs
from bus.kafka.topics import actionable, apply_topics
from bus.settings import Settings


def _apply(args: argparse.Namespace, settings: Settings) -> int:
    path = args.catalogue or settings.catalogue
    catalogue = load_catalogue(path)
    desired = [*catalogue.topic_specs(), *audit_specs(catalogue)]
    security = security_kwargs(settings)
    changes = asyncio.run(
        apply_topics(settings.bootstrap_servers, desired, dry_run=args.dry_run, **security)
    )
    done = len(actionable(changes))
    where = f"{len(desired)} topics of {path} on {settings.bootstrap_servers}"
    if args.dry_run:
        print(f"dry run, nothing changed: plan for {where}")
    for change in changes:
        print(f"  {change.describe()}")
    if not done:
        print(f"no changes: {where} are as the catalogue says")
    elif args.dry_run:
        print(f"{done} change(s) planned")
    else:
        print(f"applied {done} change(s) to {where}")
    return 0


def register(commands: Commands) -> None:
    topics = commands.add_parser("topics", help="manage the bus's Kafka topics")
    actions = topics.add_commands(dest="action", metavar="ACTION", required=True)
    text = (
        "create missing topics, add partitions and alter configs as the catalogue says; "
        "never deletes topics or partitions"
    )
    apply = actions.add_parser("apply", help=text, description=text)
    apply.add_argument(
        "--catalogue",
        type=Path,
        metavar="PATH",
        help="the catalogue (default: $BUS_CATALOGUE or deploy/catalogue/agencies.yaml)",
    )
    apply.add_argument("--dry-run", action="store_true", help="print the plan, change nothing")
    apply.set_defaults(func=_apply)
