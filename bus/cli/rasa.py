"""``bus rasa-bridge``: a Rasa assistant's event broker topic into the bus's conversation events."""

from __future__ import annotations

import argparse

from bus.catalogue import load_catalogue
from bus.cli.parser import Commands
from bus.errors import ConfigurationError
from bus.settings import Settings


def _bridge(args: argparse.Namespace, settings: Settings) -> int:
    from connectors.base.service import run_until_signalled
    from connectors.rasa import RasaBridge

    catalogue = load_catalogue(settings.catalogue)
    if catalogue.authority(args.authority) is None:
        known = ", ".join(sorted(catalogue.authorities))
        raise ConfigurationError(f"authority {args.authority!r} is not in the catalogue ({known})")

    async def main() -> None:
        bridge = RasaBridge(settings, catalogue, args.authority, args.topic, args.metrics_port)
        async with bridge:
            await bridge.wait()

    return run_until_signalled(main)


def register(commands: Commands) -> None:
    parser = commands.add_parser(
        "rasa-bridge", help="publish a Rasa assistant's tracker events as bus conversation events"
    )
    parser.add_argument(
        "--authority", required=True, help="the authority the Rasa assistant is for"
    )
    parser.add_argument("--topic", help="Rasa's event broker topic (default $BUS_RASA_TOPIC)")
    parser.add_argument(
        "--metrics-port", type=int, help="serve /metrics, /healthz, /readyz on PORT"
    )
    parser.set_defaults(func=_bridge)
