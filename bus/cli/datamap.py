"""``bus datamap``: where each personal-data field goes, who may read it and for how long."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from bus.catalogue import load_catalogue
from bus.cli.output import write_out
from bus.cli.parser import Commands
from bus.datamap import data_map
from bus.datamap.render_html import render_html
from bus.datamap.render_markdown import render_markdown
from bus.schemas.contracts import load_contracts
from bus.settings import Settings

FORMATS = {".md": "md", ".json": "json", ".html": "html", ".htm": "html"}


def _write(args: argparse.Namespace, settings: Settings) -> int:
    source = args.catalogue or settings.catalogue
    found = data_map(load_catalogue(source), load_contracts(settings.schemas_dir), settings)
    chosen = args.format or (FORMATS.get(args.out.suffix.lower()) if args.out else None) or "md"
    if chosen == "json":
        text = json.dumps(found.to_json(), indent=2, ensure_ascii=False) + "\n"
    elif chosen == "html":
        text = render_html(found, str(source))
    else:
        text = render_markdown(found, str(source))
    fields, topics, readers = len(found.fields), len(found.topics), len(found.readers)
    what = f" ({chosen}): {fields} personal-data fields on {topics} topics, {readers} principals"
    write_out(text, args.out, what)
    return 0


def register(commands: Commands) -> None:
    text = (
        "write the data map: every personal-data field, the topics it travels on, the "
        "principals that may read each, each topic's retention, and where it is pseudonymised "
        "or scrubbed"
    )
    parser = commands.add_parser("datamap", help=text, description=text)
    parser.add_argument(
        "--format",
        choices=("md", "json", "html"),
        help="Markdown for the panel, JSON for tools, or a self-contained HTML page with a "
        "fields x principals matrix (default: from the --out suffix, else md)",
    )
    parser.add_argument(
        "--out", type=Path, metavar="PATH", help="file to write (default: standard output)"
    )
    parser.add_argument("--catalogue", type=Path, metavar="PATH", help="default: $BUS_CATALOGUE")
    parser.set_defaults(func=_write)
