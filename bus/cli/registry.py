"""``bus registry serve``: the Confluent-compatible schema registry."""

from __future__ import annotations

import argparse

from bus.cli.parser import Commands
from bus.registry.server import serve
from bus.settings import Settings


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    serve(
        settings, host=args.host or settings.registry_host, port=args.port or settings.registry_port
    )
    return 0


def register(commands: Commands) -> None:
    registry = commands.add_parser("registry", help="run the Confluent-compatible schema registry")
    actions = registry.add_commands(dest="action", metavar="ACTION", required=True)
    text = (
        "serve the Confluent Schema Registry REST API; its state lives in the compacted "
        "topic $BUS_REGISTRY_TOPIC (default _schemas), shared by every registry process"
    )
    parser = actions.add_parser("serve", help=text, description=text)
    parser.add_argument(
        "--host", help="interface to bind (default: $BUS_REGISTRY_HOST or 127.0.0.1)"
    )
    parser.add_argument("--port", type=int, help="port (default: $BUS_REGISTRY_PORT or 8081)")
    parser.set_defaults(func=_serve)
