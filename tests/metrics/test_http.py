"""Request metrics by route pattern and ``/metrics`` on a real aiohttp server."""

from __future__ import annotations

import urllib.request
import uuid
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from bus.kafka.local import free_port
from bus.metrics.http import add_metrics_route, http_metrics, serve_metrics


def _requests(server: str, method: str, route: str, status: str) -> float:
    labels = {"server": server, "method": method, "route": route, "status": status}
    return REGISTRY.get_sample_value("bus_http_requests_total", labels) or 0.0


@pytest.fixture
async def server() -> AsyncIterator[tuple[str, str]]:
    name = f"s-{uuid.uuid4().hex[:6]}"

    async def item(request: web.Request) -> web.Response:
        if request.match_info["id"] == "missing":
            raise web.HTTPNotFound()
        return web.json_response({"id": request.match_info["id"]})

    async def broken(request: web.Request) -> web.Response:
        raise RuntimeError("bug")

    app = web.Application(middlewares=[http_metrics(name)])
    app.router.add_get("/items/{id}", item)
    app.router.add_get("/broken", broken)
    add_metrics_route(app)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    site = web.TCPSite(runner, "127.0.0.1", port)
    await site.start()
    try:
        yield name, f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


async def test_requests_are_counted_by_route_pattern_and_status(server: tuple[str, str]) -> None:
    name, url = server
    async with aiohttp.ClientSession() as session:
        for path in ("/items/1", "/items/2", "/items/missing", "/broken", "/nowhere"):
            async with session.get(url + path) as response:
                await response.read()
    assert _requests(name, "GET", "/items/{id}", "200") == 2
    assert _requests(name, "GET", "/items/{id}", "404") == 1
    assert _requests(name, "GET", "/broken", "500") == 1
    assert _requests(name, "GET", "unmatched", "404") == 1
    labels = {"server": name, "method": "GET", "route": "/items/{id}"}
    assert REGISTRY.get_sample_value("bus_http_request_duration_seconds_count", labels) == 3


async def test_metrics_route_serves_the_exposition_format(server: tuple[str, str]) -> None:
    name, url = server
    async with aiohttp.ClientSession() as session:
        async with session.get(url + "/items/1") as response:
            await response.read()
        async with session.get(url + "/metrics") as response:
            assert response.headers["Content-Type"].startswith("text/plain")
            text = await response.text()
    families = {family.name: family for family in text_string_to_metric_families(text)}
    samples = families["bus_http_requests"].samples
    assert any(s.labels.get("server") == name and s.value == 1 for s in samples)


async def test_prometheus_gets_openmetrics_when_it_asks(server: tuple[str, str]) -> None:
    _name, url = server
    accept = {"Accept": "application/openmetrics-text; version=1.0.0"}
    async with (
        aiohttp.ClientSession() as session,
        session.get(url + "/metrics", headers=accept) as response,
    ):
        assert response.headers["Content-Type"].startswith("application/openmetrics-text")
        assert (await response.text()).endswith("# EOF\n")


def test_a_thread_serves_metrics_and_a_busy_port_is_reported_not_raised() -> None:
    port = free_port()
    assert serve_metrics("127.0.0.1", port)
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        assert b"# TYPE bus_events_consumed_total counter" in response.read()
    assert not serve_metrics("127.0.0.1", port)
