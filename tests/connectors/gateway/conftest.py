"""Gateways on loopback against the real broker and registry, and an HTTP client."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bus.settings import Settings
from connectors.gateway import Gateway, load_clients

from .gateways import CLIENTS, SECRETS, NewTopic, catalogue_and_clients

StartGateway = Callable[..., Awaitable[Gateway]]


@pytest.fixture
async def start_gateway(
    settings_with_registry: Settings, new_topic: NewTopic, tmp_path: Path
) -> AsyncIterator[StartGateway]:
    """``await start_gateway(clients_file=..., **settings)``: a running gateway on a free
    port, stopped after the test."""
    async with contextlib.AsyncExitStack() as running:

        async def start(clients_file: str = CLIENTS, **settings: Any) -> Gateway:
            catalogue, path = await catalogue_and_clients(new_topic, tmp_path, clients_file)
            clients = load_clients(path, catalogue, SECRETS)
            updated = settings_with_registry.model_copy(update={"gateway_port": 0, **settings})
            return await running.enter_async_context(Gateway(updated, catalogue, clients))

        yield start


@pytest.fixture
async def gateway(start_gateway: StartGateway) -> Gateway:
    return await start_gateway(gateway_max_body_bytes=4096)


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as session:
        yield session
