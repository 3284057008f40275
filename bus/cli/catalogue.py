"""``bus catalogue export``: what Kubernetes needs, generated from the catalogue and principals."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import yaml

from bus.cli.output import write_out
from bus.cli.parser import Commands
from bus.settings import Settings


def _export(args: argparse.Namespace, settings: Settings) -> int:
    from bus.catalogue import load_catalogue
    from bus.kube.helm import chart_principals
    from bus.kube.strimzi import strimzi_resources

    if args.helm:
        text = json.dumps(chart_principals(settings), indent=2) + "\n"
    else:
        path = args.catalogue or settings.catalogue
        catalogue = load_catalogue(path)
        resources = strimzi_resources(catalogue, settings, path.read_bytes(), args.cluster)
        text = yaml.safe_dump(resources, sort_keys=False, width=100)
    write_out(text, args.out)
    return 0


def register(commands: Commands) -> None:
    parser = commands.add_parser("catalogue", help="the catalogue for Kubernetes")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    text = (
        "write Kubernetes resources generated from the catalogue: Strimzi KafkaTopics and "
        "KafkaUsers with exactly the ACLs `bus acl apply` grants (--strimzi), or the worker "
        "roles and principals the Helm chart runs (--helm)"
    )
    export = actions.add_parser("export", help=text, description=text)
    what = export.add_mutually_exclusive_group(required=True)
    what.add_argument(
        "--strimzi", action="store_true", help="a List of KafkaTopics and KafkaUsers (YAML)"
    )
    what.add_argument("--helm", action="store_true", help="the chart's files/principals.json")
    export.add_argument(
        "--cluster", metavar="NAME", help="the Kafka resource's name (label strimzi.io/cluster)"
    )
    export.add_argument("--catalogue", type=Path, metavar="PATH", help="default: $BUS_CATALOGUE")
    export.add_argument("--out", type=Path, metavar="FILE", help="default: standard output")
    export.set_defaults(func=_export)
