"""The registry's REST API on the real broker, as real ``bus registry serve`` processes.

``registry_url`` (from conftest) is one such process for the session; the tests
use subjects of their own, and start registries of their own where they change
global state, restart or share a topic.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from bus.errors import RegistryError
from bus.kafka.local import free_port
from bus.registry.server import create_app
from bus.schemas.registry_client import RegistryClient
from bus.settings import Settings

pytestmark = pytest.mark.broker

CONTENT_TYPE = "application/vnd.schemaregistry.v1+json"


def record(*fields: dict[str, Any]) -> str:
    base = [{"name": "text", "type": "string"}]
    return json.dumps({"type": "record", "name": "Greeting", "fields": base + list(fields)})


V1 = record()
WITH_DEFAULT = record({"name": "lang", "type": "string", "default": "et"})
WITHOUT_DEFAULT = record({"name": "lang", "type": "string"})


@asynccontextmanager
async def serving(settings: Settings) -> AsyncIterator[str]:
    """The registry in this process, on a free loopback port."""
    runner = web.AppRunner(create_app(settings))
    await runner.setup()
    try:
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        host, port = runner.addresses[0][:2]
        yield f"http://{host}:{port}"
    finally:
        await runner.cleanup()


@asynccontextmanager
async def registry_process(bootstrap: str, topic: str, log: Path) -> AsyncIterator[str]:
    """``bus registry serve`` as its own process; stopped with SIGTERM, which must be clean."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with log.open("ab") as out:
        process = await asyncio.create_subprocess_exec(
            *(sys.executable, "-m", "bus.cli.main", "--bootstrap-servers", bootstrap),
            *("registry", "serve", "--port", str(port)),
            env={**os.environ, "BUS_REGISTRY_TOPIC": topic},
            stdout=out,
            stderr=out,
        )
    try:
        await _wait_until_up(url, process, log)
        yield url
    finally:
        if process.returncode is None:
            process.terminate()
            try:
                await asyncio.wait_for(process.wait(), 15)
            except TimeoutError:
                process.kill()
                await process.wait()
    assert process.returncode == 0, output(log)


async def _wait_until_up(url: str, process: asyncio.subprocess.Process, log: Path) -> None:
    async with aiohttp.ClientSession() as session:
        for _ in range(300):
            if process.returncode is not None:
                pytest.fail(f"the registry exited {process.returncode}:\n{output(log)}")
            try:
                async with session.get(f"{url}/health") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientConnectionError:
                pass
            await asyncio.sleep(0.1)
    pytest.fail(f"the registry did not come up at {url}:\n{output(log)}")


def output(log: Path) -> str:
    return log.read_text(errors="replace")


async def call(url: str, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    """A raw request, to see statuses, codes and content types as any tool would."""
    data = None if body is None else json.dumps(body)
    async with (
        aiohttp.ClientSession() as session,
        session.request(method, url + path, data=data, headers={"Content-Type": CONTENT_TYPE}) as r,
    ):
        assert r.content_type == CONTENT_TYPE
        return r.status, json.loads(await r.text())


def topic_settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"registry_topic": f"_schemas.test.{uuid.uuid4().hex[:8]}"})


@pytest.fixture
async def client(registry_url: str) -> AsyncIterator[RegistryClient]:
    async with RegistryClient(registry_url) as client:
        yield client


@pytest.fixture
def subject(unique_name: Callable[[str], str]) -> str:
    return unique_name("greeting") + "-value"


async def test_register_read_and_look_up(
    client: RegistryClient, registry_url: str, subject: str
) -> None:
    schema_id = await client.register(subject, V1)
    assert await RegistryClient(registry_url).register(subject, json.dumps(json.loads(V1))) == (
        schema_id
    )
    status, body = await call(registry_url, "POST", f"/subjects/{subject}/versions", {"schema": V1})
    assert (status, body) == (200, {"id": schema_id})
    assert await client.versions(subject) == [1]
    assert subject in await client.subjects()
    latest = await client.latest(subject)
    assert latest is not None and latest[:2] == (schema_id, 1)
    assert json.loads(latest[2]) == json.loads(V1)
    assert json.loads(await client.schema_by_id(schema_id)) == json.loads(V1)
    assert await client.lookup(subject, V1) == (schema_id, 1)
    status, body = await call(registry_url, "GET", f"/subjects/{subject}/versions/1")
    assert status == 200
    assert {k: body[k] for k in ("subject", "version", "id")} == {
        "subject": subject,
        "version": 1,
        "id": schema_id,
    }
    assert (await call(registry_url, "GET", f"/subjects/{subject}/versions/latest/schema"))[1] == (
        json.loads(V1)
    )
    copy = f"{subject}/copy ü"  # any characters, escaped by the client
    assert await client.register(copy, V1) == schema_id
    assert await client.lookup(copy, V1) == (schema_id, 1)
    assert copy in await client.subjects()
    assert (await call(registry_url, "GET", "/"))[1] == {}


async def test_backward_accepts_a_field_with_default_and_refuses_one_without(
    client: RegistryClient, subject: str
) -> None:
    await client.register(subject, V1)
    assert await client.test_compatibility(subject, WITH_DEFAULT) == (True, [])
    compatible, messages = await client.test_compatibility(subject, WITHOUT_DEFAULT)
    assert not compatible and "lang" in messages[0]
    with pytest.raises(RegistryError) as refused:
        await client.register(subject, WITHOUT_DEFAULT)
    assert (refused.value.status, refused.value.error_code) == (409, 409)
    assert subject in str(refused.value) and "lang" in str(refused.value)
    await client.register(subject, WITH_DEFAULT)
    assert await client.versions(subject) == [1, 2]


async def test_transitive_levels_check_every_earlier_version(
    client: RegistryClient, subject: str
) -> None:
    await client.register(subject, V1)
    await client.register(subject, WITH_DEFAULT)
    # dropping the default reads version 2's data but not version 1's
    assert await client.test_compatibility(subject, WITHOUT_DEFAULT, version=2) == (True, [])
    assert not (await client.test_compatibility(subject, WITHOUT_DEFAULT, version=1))[0]
    await client.set_compatibility("BACKWARD_TRANSITIVE", subject)
    with pytest.raises(RegistryError, match="version 1") as refused:
        await client.register(subject, WITHOUT_DEFAULT)
    assert refused.value.error_code == 409
    await client.set_compatibility("BACKWARD", subject)
    await client.register(subject, WITHOUT_DEFAULT)
    assert await client.versions(subject) == [1, 2, 3]


async def test_subject_config(client: RegistryClient, registry_url: str, subject: str) -> None:
    assert await client.get_compatibility(subject) == "BACKWARD"
    status, body = await call(registry_url, "GET", f"/config/{subject}")
    assert (status, body["error_code"]) == (404, 40408)
    assert await client.set_compatibility("full", subject) == "FULL"
    assert await client.get_compatibility(subject) == "FULL"
    assert (await call(registry_url, "GET", f"/config/{subject}"))[1] == {
        "compatibilityLevel": "FULL"
    }
    assert (await call(registry_url, "DELETE", f"/config/{subject}"))[1] == {
        "compatibilityLevel": "FULL"
    }
    assert await client.get_compatibility(subject) == "BACKWARD"
    with pytest.raises(RegistryError) as bad:
        await client.set_compatibility("SIDEWAYS", subject)
    assert (bad.value.status, bad.value.error_code) == (422, 42203)


async def test_global_config(bus_settings: Settings, subject: str) -> None:
    async with serving(topic_settings(bus_settings)) as url, RegistryClient(url) as client:
        assert await client.get_compatibility() == "BACKWARD"
        assert await client.set_compatibility("NONE") == "NONE"
        assert await client.get_compatibility() == "NONE"
        assert await client.get_compatibility(subject) == "NONE"
        await client.register(subject, V1)
        await client.register(subject, record({"name": "text2", "type": "long"}))
        with pytest.raises(RegistryError) as bad:
            await client.set_compatibility("LOOSE")
        assert bad.value.error_code == 42203


async def test_invalid_schemas_get_42201(registry_url: str, subject: str) -> None:
    path = f"/subjects/{subject}/versions"
    for body in (
        {"schema": "{"},
        {"schema": '{"type": "record", "name": "A"}'},
        {"schema": 'syntax = "proto3";', "schemaType": "PROTOBUF"},
        {},
    ):
        status, answer = await call(registry_url, "POST", path, body)
        assert (status, answer["error_code"]) == (422, 42201), answer


async def test_not_found_codes(client: RegistryClient, registry_url: str, subject: str) -> None:
    with pytest.raises(RegistryError) as no_subject:
        await client.versions(subject)
    assert (no_subject.value.status, no_subject.value.error_code) == (404, 40401)
    assert subject in str(no_subject.value)
    assert await client.latest(subject) is None
    assert await client.lookup(subject, V1) is None
    await client.register(subject, V1)
    assert (await call(registry_url, "GET", f"/subjects/{subject}/versions/9"))[1][
        "error_code"
    ] == 40402
    assert (await call(registry_url, "GET", f"/subjects/{subject}/versions/x"))[1][
        "error_code"
    ] == 42202
    assert (await call(registry_url, "POST", f"/subjects/{subject}", {"schema": WITH_DEFAULT}))[1][
        "error_code"
    ] == 40403
    assert await client.lookup(subject, WITH_DEFAULT) is None
    with pytest.raises(RegistryError) as no_schema:
        await client.schema_by_id(7)
    assert (no_schema.value.status, no_schema.value.error_code) == (404, 40403)


async def test_soft_and_hard_delete(
    client: RegistryClient, registry_url: str, subject: str
) -> None:
    # a schema of this test only, so that no other subject keeps its id alive
    v1 = json.dumps({"type": "record", "name": "Only", "doc": subject, "fields": []})
    first = await client.register(subject, v1)
    await client.register(subject, v1.replace("[]", '[{"name": "a", "type": "int", "default": 1}]'))
    assert (await call(registry_url, "DELETE", f"/subjects/{subject}/versions/1"))[1] == 1
    assert await client.versions(subject) == [2]
    assert (await call(registry_url, "GET", f"/subjects/{subject}/versions/1"))[0] == 404
    status, body = await call(registry_url, "GET", f"/subjects/{subject}/versions/1?deleted=true")
    assert (status, body["id"]) == (200, first)
    assert json.loads(await client.schema_by_id(first)) == json.loads(v1)  # still readable by id
    assert await client.delete_subject(subject) == [2]
    assert subject not in await client.subjects()
    assert subject in (await call(registry_url, "GET", "/subjects?deleted=true"))[1]
    with pytest.raises(RegistryError) as gone:
        await client.versions(subject)
    assert gone.value.error_code == 40401
    assert await client.delete_subject(subject, permanent=True) == [1, 2]
    assert subject not in (await call(registry_url, "GET", "/subjects?deleted=true"))[1]
    status, body = await call(registry_url, "GET", f"/schemas/ids/{first}")
    assert (status, body["error_code"]) == (404, 40403)
    assert await client.register(subject, v1) == first
    assert await client.versions(subject) == [1]


async def test_state_survives_a_registry_restart(
    bus_settings: Settings, unique_name: Callable[[str], str], tmp_path: Path
) -> None:
    topic, log = unique_name("schemas"), tmp_path / "registry.log"
    bootstrap = bus_settings.bootstrap_servers
    async with registry_process(bootstrap, topic, log) as url, RegistryClient(url) as client:
        ids = [await client.register("s", V1), await client.register("s", WITH_DEFAULT)]
        await client.register("t", WITH_DEFAULT)
        await client.set_compatibility("FULL", "s")
        await client.delete_subject("t")
    async with registry_process(bootstrap, topic, log) as url, RegistryClient(url) as client:
        assert await client.versions("s") == [1, 2]
        assert await client.lookup("s", V1) == (ids[0], 1)
        assert await client.latest("s") == (ids[1], 2, await client.schema_by_id(ids[1]))
        assert await client.get_compatibility("s") == "FULL"
        assert await client.subjects() == ["s"]


async def test_two_registry_processes_on_one_topic_agree(
    bus_settings: Settings, unique_name: Callable[[str], str], tmp_path: Path
) -> None:
    topic, log = unique_name("schemas"), tmp_path / "registry.log"
    bootstrap = bus_settings.bootstrap_servers
    async with (
        registry_process(bootstrap, topic, log) as url_a,
        registry_process(bootstrap, topic, log) as url_b,
        RegistryClient(url_a) as a,
        RegistryClient(url_b) as b,
    ):
        first = await a.register("s", V1)
        assert await b.lookup("s", V1) == (first, 1)
        second = await b.register("s", WITH_DEFAULT)
        assert await a.latest("s") == (second, 2, await b.schema_by_id(second))
        assert await a.register("elsewhere", WITH_DEFAULT) == second
        with pytest.raises(RegistryError):
            await a.register("s", WITHOUT_DEFAULT.replace('"lang"', '"other"'))
        await b.delete_subject("elsewhere")
        assert await a.subjects() == ["s"]
    async with serving(topic_settings(bus_settings)) as url, RegistryClient(url) as fresh:
        # ids come from the schema itself, so a registry on another topic gives the same ones
        assert await fresh.register("x", WITH_DEFAULT) == second
