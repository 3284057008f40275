"""Audit overhead: router throughput with and without the auditor in the same worker.

``BUS_AGENTS`` picks a worker's agents, so the bench runs the router (and
echo) alone, then the router with the auditor beside it in the same process,
which records every event the router reads and writes. Were the auditor
missing from the build, the row would say it is not available.
"""

from __future__ import annotations

from bus.settings import AGENTS

ROUTER_AGENTS = ("router", "echo")
"""What every bench worker runs unless told otherwise: the router alone is measured."""
WITH_AUDITOR = (*ROUTER_AGENTS, "auditor")


def has_auditor() -> bool:
    return "auditor" in AGENTS


def agents(audited: bool) -> str:
    """``BUS_AGENTS`` of a bench worker with or without the auditor."""
    return ",".join(WITH_AUDITOR if audited else ROUTER_AGENTS)


def worker_env(audited: bool) -> dict[str, str]:
    """The worker's settings (``BenchEnv.start_worker`` makes them ``BUS_*``)."""
    return {"agents": agents(audited)}


def why_unavailable() -> str:
    return (
        "this build's worker has no auditor agent (bus.settings.AGENTS lacks 'auditor'); "
        "it is measured as soon as one can be chosen with BUS_AGENTS"
    )
