"""Entry point of the ``bus`` command.

Each command group lives in its own module with a ``register(subparsers)``
function; a command's handler takes the parsed arguments and the settings and
returns the process exit code.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from bus.errors import BusError
from bus.settings import Settings


def build_parser() -> argparse.ArgumentParser:
    from bus.cli import (
        acl,
        asyncapi,
        audit,
        catalogue,
        demo,
        gateway,
        kafka,
        officials,
        rasa,
        registry,
        replay,
        schemas,
        topics,
        webhooks,
        worker,
    )

    parser = argparse.ArgumentParser(
        prog="bus", description="The agency assistant bus: events between agency assistants."
    )
    parser.add_argument(
        "--bootstrap-servers",
        help="Kafka bootstrap servers (default: $BUS_BOOTSTRAP_SERVERS or 127.0.0.1:9092)",
    )
    parser.add_argument(
        "--schema-registry-url",
        help="schema registry URL (default: $BUS_SCHEMA_REGISTRY_URL or http://127.0.0.1:8081)",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log at DEBUG level")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in (
        kafka,
        topics,
        worker,
        registry,
        schemas,
        demo,
        officials,
        acl,
        audit,
        replay,
        gateway,
        webhooks,
        rasa,
        asyncapi,
        catalogue,
    ):
        module.register(commands)
    return parser


def settings_from(args: argparse.Namespace) -> Settings:
    """The settings, with command-line options taking precedence over the environment."""
    overrides = {
        name: value
        for name in ("bootstrap_servers", "schema_registry_url")
        if (value := getattr(args, name, None))
    }
    return Settings(**overrides)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if not args.verbose:
        logging.getLogger("aiokafka").setLevel(logging.WARNING)
    try:
        code: int = args.func(args, settings_from(args))
    except BusError as exc:
        print(f"bus: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return code


if __name__ == "__main__":
    sys.exit(main())
