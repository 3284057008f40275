"""``bus asyncapi``: the AsyncAPI 3.0 document of the bus, from the catalogue and contracts."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import yaml

from bus.asyncapi import asyncapi_document
from bus.catalogue import load_catalogue
from bus.cli.output import write_out
from bus.cli.parser import Commands
from bus.schemas.contracts import load_contracts
from bus.settings import Settings


def _write(args: argparse.Namespace, settings: Settings) -> int:
    catalogue = load_catalogue(args.catalogue or settings.catalogue)
    document = asyncapi_document(catalogue, load_contracts(settings.schemas_dir), settings)
    as_json = args.out is not None and args.out.suffix == ".json"
    text = (
        json.dumps(document, indent=2, ensure_ascii=False) + "\n"
        if as_json
        else yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=100)
    )
    channels, operations = len(document["channels"]), len(document["operations"])
    write_out(text, args.out, f": {channels} channels, {operations} operations")
    return 0


def register(commands: Commands) -> None:
    text = (
        "write the AsyncAPI 3.0 document of the bus: a channel per topic with its Avro "
        "contracts, Kafka bindings and CloudEvents headers, and who sends and receives"
    )
    parser = commands.add_parser("asyncapi", help=text, description=text)
    parser.add_argument(
        "--out",
        type=Path,
        metavar="FILE",
        help="YAML, or JSON if FILE ends in .json (default: YAML on standard output)",
    )
    parser.add_argument("--catalogue", type=Path, metavar="PATH", help="default: $BUS_CATALOGUE")
    parser.set_defaults(func=_write)
