"""Pipe throughput: the plain aiokafka pipe and the bus's router on the same prefilled events.

Both read one prefilled assistants' topic in a fresh consumer group; each
run writes to fresh output topics. A run's figure is the input events per
second over the window in which its outputs were written after its
process(es) were ready (``bench.offsets``).
"""

from __future__ import annotations

import time

from bench.env import PIPE_READY, WORKER_READY, BenchEnv
from bench.offsets import Offsets
from bench.workload import Workload
from bus.catalogue import load_catalogue
from bus.kafka.admin import TopicSpec

TIMEOUT_S = 600.0


async def pipe_run(env: BenchEnv, workload: Workload, source: str, run: str) -> float:
    sink = env.name(f"pipe-{run}.sink")
    spec = TopicSpec(sink, env.base_catalogue().topic_specs()[0].partitions)
    await env.create(spec)
    pipe = env.start_pipe(f"pipe-{run}", source, sink, env.name(f"pipe-{run}"))
    try:
        await env.ready(pipe, PIPE_READY)
        ready_ms = int(time.time() * 1000)
        async with Offsets(env.settings.bootstrap_servers) as offsets:
            await offsets.wait_for([sink], len(workload), TIMEOUT_S, lambda: pipe.running)
            window = await offsets.window([sink], ready_ms)
    finally:
        await env.stop(pipe)
    return window.count / window.seconds


async def router_run(
    env: BenchEnv,
    workload: Workload,
    source: str,
    updates: str,
    run: str,
    *,
    workers: int = 1,
    **worker_env: str,
) -> float:
    """Input events per second through ``workers`` router processes."""
    path = env.catalogue(f"router-{run}", source, updates)
    catalogue = load_catalogue(path)
    outputs = sorted(
        {a.inbox for a in catalogue.authorities.values()}
        | {a.assistant_topic for a in catalogue.authorities.values()}
        | {catalogue.topics.dead_letters}
    )
    app_id = env.name(f"router-{run}")
    running = [
        env.start_worker(f"router-{run}-{n}", app_id, path, **worker_env) for n in range(workers)
    ]
    try:
        for worker in running:
            await env.ready(worker, WORKER_READY)
        ready_ms = int(time.time() * 1000)

        def alive() -> bool:
            return all(worker.running for worker in running)

        async with Offsets(env.settings.bootstrap_servers) as offsets:
            await offsets.wait_for(outputs, workload.outputs, TIMEOUT_S, alive)
            window = await offsets.window(outputs, ready_ms)
    finally:
        await env.stop(*running)
    return window.count * len(workload) / workload.outputs / window.seconds
