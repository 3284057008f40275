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

from .conftest import StartGateway
from .gateways import CLIENTS, KEY, bearer, message

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


async def until_closed(reader: asyncio.StreamReader) -> bytes:
    """Everything the gateway sends until it closes the connection."""
    async with asyncio.timeout(BOUND_S):
        return await reader.read()


def post_head(content_length: int, *extra: str) -> bytes:
    lines = [
        "POST /v1/events/MessageSent HTTP/1.1",
        "Host: 127.0.0.1",
        f"Authorization: Bearer {KEY}",
        "Content-Type: application/json",
        f"Content-Length: {content_length}",
        *extra,
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


async def test_a_body_that_stalls_short_of_its_content_length_is_answered_408_and_closed(
    start_gateway: StartGateway,
) -> None:
    gateway = await start_gateway(gateway_body_timeout_s=1.0)
    body = json.dumps(message()).encode()
    async with connection(gateway) as (reader, writer):
        writer.write(post_head(len(body) + 100) + body)  # promises 100 bytes it never sends
        await writer.drain()
        answer = parse(await until_closed(reader))
    assert answer.status == 408
    assert answer.headers["connection"] == "close"
    assert "body did not arrive within 1 s" in answer.json()["error"]


async def test_headers_that_trickle_in_are_answered_408_and_closed(
    start_gateway: StartGateway,
) -> None:
    gateway = await start_gateway(gateway_header_timeout_s=1.0)
    async with connection(gateway) as (reader, writer):

        async def trickle() -> None:  # a byte every 50 ms: 8 KB would take minutes
            writer.write(post_head(10, "X-Slow: ")[:-4])
            for _ in range(8000):
                writer.write(b"a")
                await writer.drain()
                await asyncio.sleep(0.05)

        sending = asyncio.create_task(trickle())
        try:
            answer = parse(await until_closed(reader))
        finally:
            sending.cancel()
    assert answer.status == 408
    assert "headers did not arrive within 1 s" in answer.json()["error"]


async def test_a_connection_that_never_sends_a_byte_is_closed_without_an_answer(
    start_gateway: StartGateway,
) -> None:
    gateway = await start_gateway(gateway_header_timeout_s=1.0)
    async with connection(gateway) as (reader, _):
        assert await until_closed(reader) == b""


async def test_a_kept_alive_connection_is_timed_afresh_for_each_request(
    start_gateway: StartGateway,
) -> None:
    gateway = await start_gateway(gateway_header_timeout_s=1.0)
    request = (
        f"GET /v1/replies HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {KEY}\r\n\r\n"
    ).encode()
    async with connection(gateway) as (reader, writer):
        writer.write(request)
        async with asyncio.timeout(BOUND_S):
            head = await reader.readuntil(b"\r\n\r\n")
            first = parse(head)
            await reader.readexactly(int(first.headers["content-length"]))
        assert first.status == 200
        writer.write(request[:20])  # the next request begins, and stalls
        answer = parse(await until_closed(reader))
    assert answer.status == 408


async def test_connections_over_the_cap_per_address_are_answered_429_and_closed(
    start_gateway: StartGateway, http: aiohttp.ClientSession
) -> None:
    gateway = await start_gateway(gateway_max_connections_per_client=2)
    async with connection(gateway), connection(gateway) as (_, second):
        async with connection(gateway) as (reader, _):
            answer = parse(await until_closed(reader))
        assert answer.status == 429
        assert answer.headers["retry-after"] == "1"
        problem = answer.json()
        assert problem["retry"] is True
        assert "too many connections from 127.0.0.1" in problem["error"]
        second.close()
        await second.wait_closed()
        async with asyncio.timeout(BOUND_S):  # until the gateway has seen the close
            while True:
                if await healthy(http, gateway):  # 429 while the cap is still full
                    break
                await asyncio.sleep(0.1)


async def healthy(http: aiohttp.ClientSession, gateway: Gateway) -> bool:
    try:
        async with http.get(f"{gateway.url}/healthz") as health:
            return health.status == 200
    except aiohttp.ClientError:
        return False


async def test_a_client_over_its_rate_limit_gets_429_with_retry_after(
    start_gateway: StartGateway, http: aiohttp.ClientSession
) -> None:
    limited = CLIENTS.replace(
        "api_keys: ['${GW_TEST_KEY}']}",
        "api_keys: ['${GW_TEST_KEY}'], rate_limit: {per_second: 0.01, burst: 2}}",
    )
    gateway = await start_gateway(clients_file=limited)
    url = f"{gateway.url}/v1/replies"
    for _ in range(2):
        async with http.get(url, headers=bearer()) as answer:
            assert answer.status == 200
    async with http.get(url, headers=bearer()) as answer:
        assert answer.status == 429
        assert int(answer.headers["Retry-After"]) >= 1
        problem = await answer.json()
    assert problem["retry"] is True
    assert "tax-bot is over its rate limit of 0.01 requests a second" in problem["error"]
    async with http.post(
        f"{gateway.url}/v1/events/MessageSent", json=message(), headers=bearer()
    ) as answer:
        assert answer.status == 429


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
        (
            post_head(0, "Transfer-Encoding: chunked").replace(b"Content-Length: 0\r\n", b"")
            + b"zz\r\n",
            400,
        ),
    ],
    ids=["garbage", "no-route", "wrong-method", "bad-content-length", "bad-chunk"],
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
