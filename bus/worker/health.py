"""The worker's HTTP side: ``/metrics``, ``/healthz`` (alive) and ``/readyz`` (ready).

Ready means: partitions assigned and their stores restored, the loop not
failed, and the cluster answered the last metadata check (the loop checks it itself,
between batches). The handlers and their JSON are ``bus.health``'s, as for
every other long-running process.
"""

from __future__ import annotations

import asyncio
import logging

from aiohttp import web

from bus.health import Check, add_health_routes
from bus.metrics.http import add_metrics_route

log = logging.getLogger(__name__)


def health_app(readiness: Check) -> web.Application:
    app = web.Application()
    add_metrics_route(app)
    add_health_routes(app, readiness)
    return app


async def serve_health(host: str, port: int, readiness: Check) -> web.AppRunner | None:
    """Serve on ``host:port``; a busy port is logged, not fatal (the worker still works)."""
    runner = web.AppRunner(health_app(readiness), access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port).start()
    except OSError as exc:
        log.error(
            "cannot serve /metrics, /healthz, /readyz on %s:%d (%s); set BUS_METRICS_PORT "
            "to a free port",
            host,
            port,
            exc,
        )
        await runner.cleanup()
        return None
    log.info("metrics and health at http://%s:%d/ (metrics, healthz, readyz)", host, port)
    return runner


async def stop_health(runner: web.AppRunner | None) -> None:
    if runner is not None:
        await asyncio.shield(runner.cleanup())
