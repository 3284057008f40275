"""``bus registry serve|add-user``: the Confluent-compatible schema registry and its users."""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path

from bus.cli.parser import Commands
from bus.errors import ConfigurationError
from bus.registry.auth import ROLES, add_user
from bus.registry.server import serve
from bus.settings import Settings


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    given = {"registry_users": args.users, "registry_certfile": args.certfile}
    given["registry_keyfile"] = args.keyfile
    settings = settings.model_copy(update={k: v for k, v in given.items() if v is not None})
    serve(
        settings, host=args.host or settings.registry_host, port=args.port or settings.registry_port
    )
    return 0


def _password() -> str:
    """From the terminal, asked twice; else the first line of standard input."""
    if sys.stdin.isatty():
        password = getpass.getpass("password: ")
        if getpass.getpass("again: ") != password:
            raise ConfigurationError("the two passwords differ; run the command again")
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        raise ConfigurationError("no password given: type one, or pipe it on standard input")
    return password


def _add_user(args: argparse.Namespace, settings: Settings) -> int:
    path = args.users or settings.registry_users
    if path is None:
        raise ConfigurationError("name the users file: --users FILE or BUS_REGISTRY_USERS")
    new = add_user(path, args.name, args.role, _password())
    print(f"{'added' if new else 'updated'} {args.role} user {args.name!r} in {path}")
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
    parser.add_argument(
        "--users",
        type=Path,
        metavar="FILE",
        help="require HTTP Basic from the users in FILE (default: $BUS_REGISTRY_USERS; unset: "
        "no authentication)",
    )
    parser.add_argument(
        "--certfile",
        type=Path,
        metavar="PEM",
        help="serve HTTPS with this certificate (default: $BUS_REGISTRY_CERTFILE)",
    )
    parser.add_argument(
        "--keyfile",
        type=Path,
        metavar="PEM",
        help="the certificate's private key (default: $BUS_REGISTRY_KEYFILE)",
    )
    parser.set_defaults(func=_serve)
    text = "add a user to the registry's users file, or change its role and password"
    parser = actions.add_parser("add-user", help=text, description=text)
    parser.add_argument("name", help="the user's name (no ':')")
    parser.add_argument("--role", required=True, choices=ROLES, help="what the user may do")
    parser.add_argument(
        "--users", type=Path, metavar="FILE", help="the users file (default: $BUS_REGISTRY_USERS)"
    )
    parser.set_defaults(func=_add_user)
