"""``/metrics`` for every long-running command, and request metrics for aiohttp servers."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable

from aiohttp import web
from aiohttp.typedefs import Middleware
from prometheus_client import REGISTRY, start_http_server
from prometheus_client.exposition import choose_encoder

from bus.metrics.definitions import HTTP_REQUEST_SECONDS, HTTP_REQUESTS
from bus.metrics.labels import http_method

log = logging.getLogger(__name__)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
UNMATCHED = "unmatched"


def http_metrics(server: str) -> Middleware:
    """An aiohttp middleware counting and timing requests by route pattern (not by URL).

    Put it first in ``middlewares`` so it sees the status of error responses too.
    """

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        started = time.perf_counter()
        status = 500
        try:
            response = await handler(request)
            status = response.status
            return response
        except web.HTTPException as exc:
            status = exc.status
            raise
        finally:
            resource = request.match_info.route.resource
            route = resource.canonical if resource is not None else UNMATCHED
            method = http_method(request.method)
            HTTP_REQUESTS.labels(server, method, route, str(status)).inc()
            HTTP_REQUEST_SECONDS.labels(server, method, route).observe(
                time.perf_counter() - started
            )

    return middleware


async def metrics_handler(request: web.Request) -> web.Response:
    """The exposition format the scraper asks for (OpenMetrics for Prometheus)."""
    encode, content_type = choose_encoder(request.headers.get("Accept", ""))
    return web.Response(body=encode(REGISTRY), headers={"Content-Type": content_type})


def add_metrics_route(app: web.Application) -> None:
    """Serve the process's metrics at ``GET /metrics`` of an aiohttp app."""
    app.router.add_get("/metrics", metrics_handler)


def serve_metrics(host: str, port: int) -> bool:
    """Serve ``/metrics`` from a background thread, for commands without a web server.

    A busy port is logged, not raised: metrics must never stop the bus from working.
    """
    try:
        start_http_server(port, addr=host)
    except OSError as exc:
        log.error(
            "cannot serve metrics on %s:%d (%s); set BUS_METRICS_PORT to a free port",
            host,
            port,
            exc,
        )
        return False
    log.info("metrics at http://%s:%d/metrics", host, port)
    return True
