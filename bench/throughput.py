"""Pipe throughput: the two plain pipes and the router on the same prefilled events.

All read one prefilled assistants' topic in a fresh consumer group; each
run writes to fresh output topics. A run's figure is the input events per
second between the first and the last record it wrote (``bench.offsets``),
so start-up is not counted. A pipe writes one record per event; the router
writes one or more (deliveries, dead letters), so its events are those its
group committed, not its records divided by a guess.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from pathlib import Path

from bench import profile
from bench.env import PIPE_READY, PLAIN_PIPE, WORKER_READY, BenchEnv
from bench.machine import process_cpu_s
from bench.offsets import Committed, Offsets, wait
from bench.workload import Workload, produce
from bus.catalogue import load_catalogue
from bus.kafka.admin import TopicSpec

TIMEOUT_S = 600.0
SETTLE_S = 3.0
PROFILE_S = 20.0


@dataclass(frozen=True)
class Result:
    rate: float
    """Input events per second."""
    cpu_ms: float
    """CPU milliseconds the process(es) spent per input event: unlike the rate, this
    hardly changes when other programs compete for the cores."""
    events: int
    """How many input events the figures are taken over."""
    cut_off: bool = False
    """Whether ``budget_s`` ended the run before all the events were through."""
    outputs: int = 0
    """Records written over the window."""

    @property
    def outputs_per_event(self) -> float:
        return self.outputs / self.events if self.events else 0.0


async def pipe_run(
    env: BenchEnv,
    workload: Workload,
    source: str,
    run: str,
    *,
    module: str = PLAIN_PIPE,
    budget_s: float | None = None,
) -> Result:
    """Input events per second through one pipe process (one of ``bench.env.PIPES``).

    CPU is divided by the events written after the pipe was seen ready, the
    same span its CPU time is taken over; ``budget_s`` as for the router.
    """
    name = f"{module.rpartition('.')[2].replace('_', '-')}-{run}"
    sink = env.name(f"{name}.sink")
    spec = TopicSpec(sink, env.base_catalogue().topic_specs()[0].partitions)
    await env.create(spec)
    pipe = env.start_pipe(name, source, sink, env.name(name), module)
    try:
        await env.ready(pipe, PIPE_READY)
        ready_ms = int(time.time() * 1000)
        cpu = process_cpu_s(pipe.process.pid)
        async with Offsets(env.settings.bootstrap_servers) as offsets:
            through = await offsets.wait_for(
                [sink], len(workload), TIMEOUT_S, lambda: pipe.running, budget_s=budget_s
            )
            cpu = process_cpu_s(pipe.process.pid) - cpu
            window = await offsets.window([sink], ready_ms)
    finally:
        await env.stop(pipe)
    rate, cpu_ms = window.count / window.seconds, cpu * 1000 / window.count
    cut_off = through < len(workload)
    return Result(rate, cpu_ms, window.count, cut_off=cut_off, outputs=window.count)


async def router_run(
    env: BenchEnv,
    workload: Workload,
    source: str,
    updates: str,
    run: str,
    *,
    workers: int = 1,
    budget_s: float | None = None,
    worker_env: dict[str, str] | None = None,
    profile_to: Path | None = None,
) -> Result:
    """Input events per second through ``workers`` router processes.

    With ``budget_s`` the router is measured over the events it routes in that
    many seconds after it is ready, not necessarily all of them (the events
    committed by then: under at-least-once up to a commit interval behind
    the records counted, some 0.3% of a 30 s window). Several
    workers read a fresh topic, filled once they have all joined the group:
    on the prefilled one, the first to be ready would route a small workload
    alone before the others were in.
    """
    fresh = workers > 1
    if fresh:
        source = env.name(f"router-{run}.assistant-events")
    path = env.catalogue(f"router-{run}", source, updates)
    catalogue = load_catalogue(path)
    outputs = sorted(
        {a.inbox for a in catalogue.authorities.values()}
        | {a.assistant_topic for a in catalogue.authorities.values()}
        | {catalogue.topics.dead_letters}
    )
    app_id = env.name(f"router-{run}")
    running = [
        await env.start_worker(f"router-{run}-{n}", app_id, path, **(worker_env or {}))
        for n in range(workers)
    ]
    try:
        for worker in running:
            await env.ready(worker, WORKER_READY)
        if fresh:
            await asyncio.sleep(SETTLE_S)  # the group's last rebalance is not in the window
        cpu = sum(process_cpu_s(worker.process.pid) for worker in running)
        spy = profile.record(running[0].process.pid, PROFILE_S, profile_to) if profile_to else None
        filling = None
        if fresh:
            fill = produce(env.settings.bootstrap_servers, source, workload.records)
            filling = asyncio.create_task(fill)

        def alive() -> bool:
            return all(worker.running for worker in running)

        partitions = next(s.partitions for s in catalogue.topic_specs() if s.name == source)
        async with (
            Committed(env.settings.bootstrap_servers, app_id, source, partitions) as committed,
            Offsets(env.settings.bootstrap_servers) as offsets,
        ):
            what = f"events of {source} committed"
            events = await wait(committed.count, len(workload), what, TIMEOUT_S, alive, budget_s)
            cpu = sum(process_cpu_s(worker.process.pid) for worker in running) - cpu
            # All the run's records: the events committed count from its first one too,
            # and the window starts at the first record, after the start-up.
            window = await offsets.window(outputs, 0)
        if filling is not None:
            await filling
        if spy is not None:
            await asyncio.to_thread(spy.wait)
    finally:
        await env.stop(*running)
    rate, cpu_ms = events / window.seconds, cpu * 1000 / events
    return Result(rate, cpu_ms, events, cut_off=events < len(workload), outputs=window.count)
