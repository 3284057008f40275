"""``bus acl apply``: SCRAM users and ACLs for every principal the catalogue implies."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from bus.catalogue import load_catalogue
from bus.cli.parser import Commands
from bus.security.apply import apply_acls
from bus.settings import Settings


def _apply(args: argparse.Namespace, settings: Settings) -> int:
    path = args.catalogue or settings.catalogue
    credentials = args.credentials or settings.home / "kafka-users.txt"
    result = asyncio.run(
        apply_acls(settings, load_catalogue(path), credentials, dry_run=args.dry_run)
    )
    where = f"{len(result.principals)} principals of {path} on {settings.bootstrap_servers}"
    if args.dry_run:
        print(f"dry run, nothing changed: plan for {where}")
    for user in result.new_users:
        print(f"  + user {user}")
    for binding in result.new_bindings:
        print(f"  + allow {binding.describe()}")
    for binding in result.extra_bindings:
        print(f"  ? not in the catalogue, left as is: {binding.describe()}")
    if not result.changes:
        print(f"no changes: {where} are as the catalogue says")
    elif not args.dry_run:
        print(f"applied {result.changes} change(s) to {where}")
        print(f"passwords of new users added to {credentials}")
    return 0


def register(commands: Commands) -> None:
    acl = commands.add_parser("acl", help="principals and ACLs on a secured Kafka")
    actions = acl.add_commands(dest="action", metavar="ACTION", required=True)
    text = (
        "create a SCRAM user per authority's service and assistant and per bus component, "
        "and grant each exactly what the catalogue implies; never removes anything"
    )
    apply = actions.add_parser("apply", help=text, description=text)
    apply.add_argument("--catalogue", type=Path, metavar="PATH", help="default: $BUS_CATALOGUE")
    apply.add_argument(
        "--credentials",
        type=Path,
        metavar="FILE",
        help="name=password file; new users get random passwords added to it "
        "(default: $BUS_HOME/kafka-users.txt)",
    )
    apply.add_argument("--dry-run", action="store_true", help="print the plan, change nothing")
    apply.set_defaults(func=_apply)
