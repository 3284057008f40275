"""The gateway against slow, greedy and malformed clients: raw sockets on loopback, real server.

Every wait is bounded by ``asyncio.timeout`` so a gateway that never answers fails
the test instead of hanging it; nothing asserts how fast an answer came.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest

from connectors.gateway import Gateway

from .gateways import bearer, message

pytestmark = pytest.mark.broker
BOUND_S = 60  # far beyond any timeout under test: only a gateway that never answers hits it


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        assert self.headers["content-type"].startswith("application/json"), self
        return json.loads(self.body)


def parse(raw: bytes) -> Answer:
    head, _, body = raw.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return Answer(int(status_line.split()[1]), headers, body)


@asynccontextmanager
async def connection(
    gateway: Gateway,
) -> AsyncIterator[tuple[asyncio.StreamReader, asyncio.StreamWriter]]:
    reader, writer = await asyncio.open_connection("127.0.0.1", gateway.port)
    try:
        yield reader, writer
    finally:
        writer.close()


async def test_an_oversized_header_is_answered_with_the_json_error_body(
    gateway: Gateway, http: aiohttp.ClientSession
) -> None:
    headers = {**bearer(), "X-Huge": "h" * 9000}
    async with http.post(
        f"{gateway.url}/v1/events/MessageSent", json=message(), headers=headers
    ) as answer:
        assert answer.status == 400
        assert answer.content_type == "application/json"
        problem = await answer.json()
    assert problem["max_bytes"] == 8190
    assert "a header is longer than 8190 bytes" in problem["error"]


@pytest.mark.parametrize(
    ("request_bytes", "status"),
    [
        (b"NOT HTTP AT ALL\r\n\r\n", 400),
        (b"GET /v1/nowhere HTTP/1.1\r\nHost: x\r\n\r\n", 404),
        (b"DELETE /v1/events HTTP/1.1\r\nHost: x\r\n\r\n", 405),
        (b"POST /v1/events/X HTTP/1.1\r\nHost: x\r\nContent-Length: nine\r\n\r\n", 400),
    ],
    ids=["garbage", "no-route", "wrong-method", "bad-content-length"],
)
async def test_every_error_of_the_gateway_is_the_json_error_body(
    gateway: Gateway, request_bytes: bytes, status: int
) -> None:
    async with connection(gateway) as (reader, writer):
        writer.write(request_bytes)
        async with asyncio.timeout(BOUND_S):
            head = parse(await reader.readuntil(b"\r\n\r\n"))
            body = await reader.readexactly(int(head.headers["content-length"]))
    answer = Answer(head.status, head.headers, body)
    assert answer.status == status
    assert isinstance(answer.json()["error"], str)
