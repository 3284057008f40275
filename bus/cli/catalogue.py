"""``bus catalogue export``: what Kubernetes needs, generated from the catalogue and principals."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from bus.settings import Settings


def _export(args: argparse.Namespace, settings: Settings) -> int:
    from bus.kube.helm import chart_principals

    text = json.dumps(chart_principals(settings), indent=2) + "\n"
    if args.out is None:
        sys.stdout.write(text)
    else:
        args.out.write_text(text, encoding="utf-8")
        print(f"wrote {args.out}")
    return 0


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("catalogue", help="the catalogue for Kubernetes")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    text = (
        "write Kubernetes resources generated from the catalogue: Strimzi KafkaTopics and "
        "KafkaUsers with exactly the ACLs `bus acl apply` grants (--strimzi), or the worker "
        "roles and principals the Helm chart runs (--helm)"
    )
    export = actions.add_parser("export", help=text, description=text)
    what = export.add_mutually_exclusive_group(required=True)
    what.add_argument("--helm", action="store_true", help="the chart's files/principals.json")
    export.add_argument("--catalogue", type=Path, metavar="PATH", help="default: $BUS_CATALOGUE")
    export.add_argument("--out", type=Path, metavar="FILE", help="default: standard output")
    export.set_defaults(func=_export)
