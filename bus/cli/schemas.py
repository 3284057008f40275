"""``bus schemas register|check|list``: the local contracts against the registry."""

from __future__ import annotations

import argparse
import asyncio

from bus.cli.parser import Commands
from bus.schemas.contracts import load_contracts
from bus.schemas.owners import check_all, register_all
from bus.schemas.registry_client import registry_client
from bus.settings import Settings


def _register(args: argparse.Namespace, settings: Settings) -> int:
    async def run() -> list[tuple[str, int, int]]:
        async with registry_client(settings) as client:
            return await register_all(client, load_contracts(settings.schemas_dir))

    for subject, schema_id, version in asyncio.run(run()):
        print(f"{subject:<60} id {schema_id:<11} v{version}")
    return 0


def _check(args: argparse.Namespace, settings: Settings) -> int:
    async def run() -> list[tuple[str, str, str]]:
        async with registry_client(settings) as client:
            results = await check_all(client, load_contracts(settings.schemas_dir))
        return [(r.subject, r.status, r.detail) for r in results]

    results = asyncio.run(run())
    for subject, status, detail in results:
        print(f"{status:<12} {subject}: {detail}")
    failed = [subject for subject, status, _ in results if status == "incompatible"]
    if failed:
        print(f"{len(failed)} incompatible schema(s): evolve them compatibly or bump the subject")
        return 1
    return 0


def _list(args: argparse.Namespace, settings: Settings) -> int:
    async def run() -> list[tuple[str, int, int] | tuple[str, None, None]]:
        rows: list[tuple[str, int, int] | tuple[str, None, None]] = []
        async with registry_client(settings) as client:
            for subject in sorted(await client.subjects()):
                latest = await client.latest(subject)
                rows.append((subject, latest[0], latest[1]) if latest else (subject, None, None))
        return rows

    for subject, schema_id, version in asyncio.run(run()):
        print(f"{subject:<60} id {schema_id!s:<11} latest v{version}")
    return 0


def register(commands: Commands) -> None:
    schemas = commands.add_parser("schemas", help="register, check and list the Avro contracts")
    actions = schemas.add_commands(dest="action", metavar="ACTION", required=True)
    for name, handler, text in (
        ("register", _register, "register every schema in schemas/ with the registry"),
        ("check", _check, "check each local schema against the registry; exit 1 if incompatible"),
        ("list", _list, "list the registry's subjects with their latest id and version"),
    ):
        parser = actions.add_parser(name, help=text, description=text)
        parser.set_defaults(func=handler)
