"""One bench run: set up, measure what the plan asks, print the table, save the JSON."""

from __future__ import annotations

import asyncio
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import audit, codec, latency, machine, profile, throughput
from bench.env import BenchEnv
from bench.report import Row, results_document, save, table, unavailable
from bench.workload import Workload, build_workload, produce
from bus.client import Publisher
from bus.kafka.admin import TopicSpec
from bus.schemas.contracts import load_contracts

MEASUREMENTS = ("throughput", "latency", "codec", "audit", "scaling")
CODEC_EVENTS = 20_000


@dataclass(frozen=True)
class Plan:
    bootstrap_servers: str
    events: int
    runs: int
    rates: tuple[float, ...]
    seconds: float
    router_seconds: float | None
    only: tuple[str, ...]
    save: bool = True
    profile: bool = False


def say(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", flush=True)


async def run(plan: Plan) -> int:
    started = datetime.now(UTC)
    env = await asyncio.to_thread(BenchEnv(plan.bootstrap_servers).__enter__)
    try:
        rows, context = await _measure(plan, env)
    except BaseException as exc:
        await asyncio.to_thread(env.__exit__, type(exc), exc, exc.__traceback__)
        print(f"the logs of this run are in {env.work}")
        raise
    await asyncio.to_thread(env.__exit__, None, None, None)
    finished = datetime.now(UTC)
    print()
    print(_header(context, finished - started))
    print(table(rows))
    if plan.save:
        path = save(results_document(rows, context, started, finished), started)
        print(f"\nsaved {path}")
    return 0


async def _measure(plan: Plan, env: BenchEnv) -> tuple[list[Row], dict[str, Any]]:
    catalogue = env.base_catalogue()
    say(f"kafka {env.kafka_version} at {env.settings.bootstrap_servers} ({env.kafka_note})")
    workload = await build_workload(env.settings, catalogue, plan.events)
    say(f"{len(workload)} events encoded, {len(workload.routed)} of them routable")
    context: dict[str, Any] = {
        "plan": asdict(plan),
        "machine": machine.describe(),
        "kafka": {"version": env.kafka_version, "note": env.kafka_note},
        "event_size": workload.sizes(),
        "router_outputs_per_event": round(workload.outputs / len(workload), 3),
    }
    rows: list[Row] = []
    one_worker: list[float] = []
    if {"throughput", "scaling", "audit"} & set(plan.only):
        source = await _prefill(env, workload)
        updates = env.name("input.service-updates")
        await env.create(TopicSpec(updates, catalogue.topic_specs()[0].partitions))
        if "throughput" in plan.only:
            profiled: list[tuple[str, float]] = []
            measured = await _throughput(plan, env, workload, source, updates, profiled)
            if profiled:
                context["router_profile"] = dict(profiled)
            one_worker = measured[0].bus_samples
            rows += measured
        if "audit" in plan.only:
            rows.append(await _audit(plan, env, workload, source, updates, one_worker))
        if "scaling" in plan.only:
            rows.append(await _scaling(plan, env, workload, source, updates, one_worker))
    if "latency" in plan.only:
        rows += await _latency(plan, env, workload)
    if "codec" in plan.only:
        rows += await _codec(plan, env, workload)
    return rows, context


async def _prefill(env: BenchEnv, workload: Workload) -> str:
    source = env.name("input.assistant-events")
    partitions = env.base_catalogue().topic_specs()[0].partitions
    await env.create(TopicSpec(source, partitions))
    began = time.monotonic()
    await produce(env.settings.bootstrap_servers, source, workload.records)
    say(f"prefilled {source} with {len(workload)} events in {time.monotonic() - began:.1f}s")
    return source


async def _throughput(
    plan: Plan,
    env: BenchEnv,
    workload: Workload,
    source: str,
    updates: str,
    profiled: list[tuple[str, float]],
) -> list[Row]:
    rate = Row("pipe throughput", "events/s", "router, 1 worker", "plain aiokafka pipe")
    cpu = Row(
        "CPU per event", "ms", "router, 1 worker", "plain aiokafka pipe", higher_is_better=False
    )
    routed: list[int] = []
    for n in range(plan.runs):
        pipe = await throughput.pipe_run(env, workload, source, f"t{n}")
        say(f"pipe run {n + 1}: {pipe.rate:,.0f} events/s, {pipe.cpu_ms:.3f} CPU ms/event")
        spy = env.work / "router-profile.txt" if plan.profile and n == 0 else None
        router = await throughput.router_run(
            env, workload, source, updates, f"t{n}", budget_s=plan.router_seconds, profile_to=spy
        )
        if spy is not None:
            profiled.extend(_profile(spy))
        say(f"router run {n + 1}: {router.rate:,.0f} events/s, {router.cpu_ms:.3f} CPU ms/event")
        rate.baseline_samples.append(pipe.rate)
        rate.bus_samples.append(router.rate)
        cpu.baseline_samples.append(pipe.cpu_ms)
        cpu.bus_samples.append(router.cpu_ms)
        routed.append(router.events)
    if min(routed) < len(workload):
        rate.note = cpu.note = (
            f"the pipe moved all {len(workload):,} events; the router was measured over the "
            f"{min(routed):,} to {max(routed):,} it routed in its first {plan.router_seconds:.0f}s "
            "(--router-seconds)"
        )
    return [rate, cpu]


def _profile(path: Path) -> list[tuple[str, float]]:
    if not path.exists():
        say(f"no router profile was written to {path} (py-spy needs ptrace rights)")
        return []
    shares = profile.summarise(path.read_text().splitlines())
    say("where the router's samples went (py-spy, first router run):")
    for name, share in shares:
        say(f"  {share:6.1%}  {name}")
    return shares


async def _scaling(
    plan: Plan, env: BenchEnv, workload: Workload, source: str, updates: str, one: list[float]
) -> Row:
    row = Row("router scaling", "events/s", "router, 2 workers", "router, 1 worker")
    row.baseline_samples = list(one)
    for n in range(plan.runs):
        if not one:
            single = await throughput.router_run(
                env, workload, source, updates, f"s1-{n}", budget_s=plan.router_seconds
            )
            row.baseline_samples.append(single.rate)
            say(f"router 1 worker run {n + 1}: {single.rate:,.0f} events/s")
        double = await throughput.router_run(
            env, workload, source, updates, f"s2-{n}", workers=2, budget_s=plan.router_seconds
        )
        row.bus_samples.append(double.rate)
        say(f"router 2 workers run {n + 1}: {double.rate:,.0f} events/s")
    return row


async def _audit(
    plan: Plan, env: BenchEnv, workload: Workload, source: str, updates: str, one: list[float]
) -> Row:
    """The router's own runs of the throughput row are the baseline when they were measured:
    they run the same agents (``audit.ROUTER_AGENTS``), and the budget has no room for more."""
    labels = ("audit overhead", "events/s", "router + auditor", "router, no auditor")
    if not audit.has_auditor():
        say(f"audit overhead: not available: {audit.why_unavailable()}")
        return unavailable(*labels, audit.why_unavailable())
    row = Row(*labels)
    row.baseline_samples = list(one)
    for n in range(plan.runs):
        runs = (
            ((True, row.bus_samples),)
            if one
            else ((False, row.baseline_samples), (True, row.bus_samples))
        )
        for audited, samples in runs:
            result = await throughput.router_run(
                env,
                workload,
                source,
                updates,
                f"a{'ny'[audited]}{n}",
                budget_s=plan.router_seconds,
                worker_env=audit.worker_env(audited),
            )
            samples.append(result.rate)
            say(f"BUS_AGENTS={audit.agents(audited)} run {n + 1}: {result.rate:,.0f} events/s")
    return row


async def _latency(plan: Plan, env: BenchEnv, workload: Workload) -> list[Row]:
    rows = []
    for rate in plan.rates:
        load = latency.Load(rate, plan.seconds)
        bus: list[dict[str, float]] = []
        pipe: list[dict[str, float]] = []
        for n in range(plan.runs):
            pipe.append(await latency.pipe_run(env, workload, load, f"{rate:.0f}-{n}"))
            say(f"pipe latency at {rate:,.0f}/s run {n + 1}: {_ms(pipe[-1])}")
            bus.append(await latency.bus_run(env, workload, load, f"{rate:.0f}-{n}"))
            say(f"bus latency at {rate:,.0f}/s run {n + 1}: {_ms(bus[-1])}")
        for key in ("p50", "p95", "p99", "max"):
            row = Row(
                f"latency {key} at {rate:,.0f}/s",
                "ms",
                "router + Subscriber",
                "plain pipe + consumer",
                [b[key] for b in bus],
                [p[key] for p in pipe],
                higher_is_better=False,
            )
            rows.append(row)
    return rows


def _ms(summary: dict[str, float]) -> str:
    return ", ".join(f"{k} {v:.1f} ms" for k, v in summary.items())


async def _codec(plan: Plan, env: BenchEnv, workload: Workload) -> list[Row]:
    events = workload.events[: min(len(workload), CODEC_EVENTS)]
    schemas = {name: c.schema for name, c in load_contracts(env.settings.schemas_dir).items()}
    async with Publisher(env.settings) as publisher:
        samples = [codec.measure(publisher.codec, schemas, events) for _ in range(plan.runs)]
    say(f"codec: {len(events)} events x {plan.runs} runs")
    rows = []
    for op in ("encode", "decode"):
        bus = [s[f"bus_{op}"] for s in samples]
        for name, label in (("avro", "Apache avro"), ("fastavro", "fastavro, no schema cache")):
            baseline = [s[f"{name}_{op}"] for s in samples]
            rows.append(Row(f"codec {op}", "events/s", "AvroCodec", label, list(bus), baseline))
    return rows


def _header(context: dict[str, Any], took: Any) -> str:
    m, k, size = context["machine"], context["kafka"], context["event_size"]
    return "\n".join(
        [
            "agency assistant bus: benchmarks",
            f"  machine   {m['cores']} cores, {m['memory_gib']} GiB, load {m['load_average']}, "
            f"Python {m['python']}, {m['system']}",
            f"  kafka     {k['version']} ({k['note']})",
            f"  events    {context['plan']['events']:,} per throughput run, "
            f"{size['value_bytes_mean']:.0f} B value (min {size['value_bytes_min']}, "
            f"max {size['value_bytes_max']}) + {size['headers_bytes_mean']:.0f} B headers; "
            f"the router writes {context['router_outputs_per_event']} records per event",
            f"  runs      {context['plan']['runs']} per figure (median); "
            f"took {took.total_seconds():.0f}s",
            "",
        ]
    )
