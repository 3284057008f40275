"""``bus officials``: the officials' API and console, and tokens for the officials file."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal

from bus.officials.auth import new_token
from bus.officials.server import OfficialsServer
from bus.settings import Settings


async def _serve(settings: Settings, port: int | None) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with OfficialsServer(settings, port=port):
        await stop.wait()


def _serve_command(args: argparse.Namespace, settings: Settings) -> int:
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(settings, args.port))
    return 0


def _token_command(args: argparse.Namespace, settings: Settings) -> int:
    token, digest = new_token()
    print(f"token (give it to the official, keep it nowhere else): {token}")
    print(f"officials file entry: token_sha256: {digest}")
    return 0


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("officials", help="the officials' API and console")
    sub = parser.add_subparsers(dest="officials_command", metavar="COMMAND", required=True)
    serve = sub.add_parser("serve", help="serve the API and console (needs BUS_OFFICIALS)")
    serve.add_argument("--port", type=int, help="port (default $BUS_OFFICIALS_PORT or 8090)")
    serve.set_defaults(func=_serve_command)
    token = sub.add_parser("token", help="make a bearer token and its officials-file digest")
    token.set_defaults(func=_token_command)
