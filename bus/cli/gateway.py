"""``bus gateway serve``: the HTTP gateway for assistants that do not speak Kafka."""

from __future__ import annotations

import argparse
from pathlib import Path

from bus.catalogue import load_catalogue
from bus.cli.parser import Commands
from bus.errors import ConfigurationError
from bus.settings import Settings


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    from connectors.base.service import run_until_signalled
    from connectors.gateway import Gateway, load_clients
    from connectors.gateway.server import serve

    updates = {
        "gateway_host": args.host,
        "gateway_port": args.port,
        "gateway_clients": args.clients,
    }
    settings = settings.model_copy(update={k: v for k, v in updates.items() if v is not None})
    if settings.gateway_clients is None:
        raise ConfigurationError(
            "the gateway needs its clients file: --clients PATH or BUS_GATEWAY_CLIENTS "
            "(see deploy/connectors/gateway-clients.example.yaml)"
        )
    catalogue = load_catalogue(settings.catalogue)
    clients = load_clients(settings.gateway_clients, catalogue)
    return run_until_signalled(lambda: serve(Gateway(settings, catalogue, clients)))


def register(commands: Commands) -> None:
    parser = commands.add_parser("gateway", help="the HTTP gateway for assistants")
    actions = parser.add_commands(dest="action", metavar="ACTION", required=True)
    serve = actions.add_parser("serve", help="serve events in and replies out over HTTP")
    serve.add_argument("--host", help="interface to bind (default $BUS_GATEWAY_HOST or 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default $BUS_GATEWAY_PORT or 8088)")
    serve.add_argument("--clients", type=Path, help="clients file (default $BUS_GATEWAY_CLIENTS)")
    serve.set_defaults(func=_serve)
