"""``bus officials``: the officials' API and console, and tokens for the officials file."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
from pathlib import Path

from bus.cli.parser import Commands
from bus.officials.auth import new_token
from bus.officials.server import OfficialsServer
from bus.settings import Settings


async def _serve(settings: Settings) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with OfficialsServer(settings):
        await stop.wait()


def _serve_command(args: argparse.Namespace, settings: Settings) -> int:
    updates = {
        "officials_host": args.host,
        "officials_port": args.port,
        "officials": args.officials,
    }
    settings = settings.model_copy(update={k: v for k, v in updates.items() if v is not None})
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(settings))
    return 0


def _token_command(args: argparse.Namespace, settings: Settings) -> int:
    token, digest = new_token()
    print(f"token (give it to the official, keep it nowhere else): {token}")
    print(f"officials file entry: token_sha256: {digest}")
    return 0


def register(commands: Commands) -> None:
    parser = commands.add_parser("officials", help="the officials' API and console")
    sub = parser.add_commands(dest="officials_command", metavar="COMMAND", required=True)
    serve = sub.add_parser(
        "serve",
        help="serve the API and console to the officials in the officials file",
        description="serve the officials' API and web console: their cases, claimed, answered "
        "and resolved; signed in with the bearer tokens of the officials file",
    )
    serve.add_argument(
        "--host", help="interface to bind (default: $BUS_OFFICIALS_HOST or 127.0.0.1)"
    )
    serve.add_argument("--port", type=int, help="port (default: $BUS_OFFICIALS_PORT or 8090)")
    serve.add_argument(
        "--officials",
        type=Path,
        metavar="FILE",
        help="officials file: id, name, authority and token_sha256 each (default: $BUS_OFFICIALS)",
    )
    serve.set_defaults(func=_serve_command)
    token = sub.add_parser(
        "token",
        help="make a bearer token and its officials-file digest",
        description="make a new bearer token for an official, and the token_sha256 line for "
        "the officials file (the file keeps only the digest)",
    )
    token.set_defaults(func=_token_command)
