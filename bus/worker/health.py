"""The worker's HTTP side: ``/metrics``, ``/healthz`` (alive) and ``/readyz`` (ready).

Ready means: partitions assigned and their stores restored, the loop not
failed, and the cluster answered the last metadata check. Kubernetes (or any
load balancer) takes a worker that is not ready out of its rotation and a
dead one (no answer on ``/healthz``) gets restarted.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from aiohttp import web

from bus.metrics.http import add_metrics_route

log = logging.getLogger(__name__)

Readiness = Callable[[], str | None]
"""None when ready, else why not (said in the 503's body)."""


def health_app(readiness: Readiness) -> web.Application:
    async def healthz(request: web.Request) -> web.Response:
        return web.json_response({"status": "alive"})

    async def readyz(request: web.Request) -> web.Response:
        reason = readiness()
        if reason is None:
            return web.json_response({"status": "ready"})
        return web.json_response({"status": "not ready", "reason": reason}, status=503)

    app = web.Application()
    add_metrics_route(app)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    return app


async def serve_health(host: str, port: int, readiness: Readiness) -> web.AppRunner | None:
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
