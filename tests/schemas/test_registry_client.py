"""The registry client's error handling and caching, against a small real HTTP server.

Its happy paths run against the real registry in ``tests/registry/test_api.py``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from bus.errors import RegistryError
from bus.kafka.local import free_port
from bus.schemas.registry_client import RegistryClient

CONTENT_TYPE = "application/vnd.schemaregistry.v1+json"


@pytest.fixture
async def stub() -> AsyncIterator[tuple[str, list[str]]]:
    """A server answering a few paths as a Confluent registry would; it records the paths."""
    seen: list[str] = []

    async def handle(request: web.Request) -> web.Response:
        seen.append(request.raw_path)
        if request.path == "/schemas/ids/5":
            return web.json_response({"schema": '"string"'}, content_type=CONTENT_TYPE)
        if request.path == "/subjects":
            return web.Response(status=502, text="<html>bad gateway</html>")
        error = {"error_code": 40401, "message": "Subject 'a b' not found."}
        return web.json_response(error, status=404, content_type=CONTENT_TYPE)

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handle)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    host, port = runner.addresses[0][:2]
    yield f"http://{host}:{port}", seen
    await runner.cleanup()


async def test_an_unreachable_registry_says_how_to_start_one() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    async with RegistryClient(url) as client:
        with pytest.raises(RegistryError) as error:
            await client.subjects()
    assert error.value.status == 503
    message = str(error.value)
    assert url in message and "unreachable" in message
    assert "bus registry serve" in message and "BUS_SCHEMA_REGISTRY_URL" in message


async def test_errors_keep_the_registry_code_and_name_the_subject(
    stub: tuple[str, list[str]],
) -> None:
    url, seen = stub
    async with RegistryClient(url) as client:
        with pytest.raises(RegistryError) as error:
            await client.register("a b/c", '"string"')
        assert (error.value.status, error.value.error_code) == (404, 40401)
        assert "subject 'a b/c'" in str(error.value)
        assert seen == ["/subjects/a%20b%2Fc/versions"]
        assert await client.latest("a b/c") is None
        assert await client.lookup("a b/c", '"string"') is None
        assert await client.test_compatibility("a b/c", '"string"') == (True, [])


async def test_a_non_json_error_still_becomes_a_registry_error(
    stub: tuple[str, list[str]],
) -> None:
    url, _ = stub
    async with RegistryClient(url) as client:
        with pytest.raises(RegistryError, match="bad gateway") as error:
            await client.subjects()
    assert (error.value.status, error.value.error_code) == (502, 502)


async def test_schemas_by_id_are_fetched_once(stub: tuple[str, list[str]]) -> None:
    url, seen = stub
    async with RegistryClient(url + "/") as client:
        assert await client.schema_by_id(5) == '"string"'
        assert await client.schema_by_id(5) == '"string"'
    assert seen == ["/schemas/ids/5"]
