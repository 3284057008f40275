"""One bench run: set up, measure what the plan asks, print the table, save the JSON."""

from __future__ import annotations

import asyncio
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import audit, codec, latency, machine, profile, throughput
from bench.env import FAUST_FLOOR, BenchEnv
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

    @property
    def floor_seconds(self) -> float | None:
        """Half the router's budget: the Faust floor is steady within seconds, and the whole
        bench has to fit in 15 minutes."""
        return self.router_seconds / 2 if self.router_seconds else None


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


ROUTER = "router, 1 worker"
PIPE = "plain aiokafka pipe"
FLOOR = "Faust pass-through agent"


async def _throughput(
    plan: Plan,
    env: BenchEnv,
    workload: Workload,
    source: str,
    updates: str,
    profiled: list[tuple[str, float]],
) -> list[Row]:
    """The router beside the plain pipe, and beside the Faust floor between them: how much of
    the gap is Faust's and how much the bus's. The first row's router runs are reused by the
    audit and scaling rows."""
    runs: dict[str, list[throughput.Result]] = {PIPE: [], FLOOR: [], ROUTER: []}
    for n in range(plan.runs):
        pipe = await throughput.pipe_run(env, workload, source, f"t{n}")
        say(f"pipe run {n + 1}: {pipe.rate:,.0f} events/s, {pipe.cpu_ms:.3f} CPU ms/event")
        floor = await throughput.pipe_run(
            env, workload, source, f"t{n}", module=FAUST_FLOOR, budget_s=plan.floor_seconds
        )
        say(f"Faust floor run {n + 1}: {floor.rate:,.0f} events/s, {floor.cpu_ms:.3f} CPU ms/event")
        spy = env.work / "router-profile.txt" if plan.profile and n == 0 else None
        router = await throughput.router_run(
            env, workload, source, updates, f"t{n}", budget_s=plan.router_seconds, profile_to=spy
        )
        if spy is not None:
            profiled.extend(_profile(spy))
        say(f"router run {n + 1}: {router.rate:,.0f} events/s, {router.cpu_ms:.3f} CPU ms/event")
        runs[PIPE].append(pipe)
        runs[FLOOR].append(floor)
        runs[ROUTER].append(router)
    rate = {label: [r.rate for r in results] for label, results in runs.items()}
    cpu = {label: [r.cpu_ms for r in results] for label, results in runs.items()}
    router_cut = _measured_over("router", "routed", runs[ROUTER], plan.router_seconds)
    floor_cut = _measured_over(
        FLOOR, "passed", runs[FLOOR], plan.floor_seconds, "half of --router-seconds"
    )
    router_note = _note(router_cut, pipe_events=len(workload))
    floor_note = _note(floor_cut, pipe_events=len(workload))
    both_note = _note(router_cut, floor_cut)
    return [
        Row(
            "pipe throughput", "events/s", ROUTER, PIPE, rate[ROUTER], rate[PIPE], note=router_note
        ),
        Row("Faust floor", "events/s", FLOOR, PIPE, rate[FLOOR], rate[PIPE], note=floor_note),
        Row(
            "router vs Faust floor",
            "events/s",
            ROUTER,
            FLOOR,
            rate[ROUTER],
            rate[FLOOR],
            note=both_note,
        ),
        Row(
            "CPU per event",
            "ms",
            ROUTER,
            PIPE,
            cpu[ROUTER],
            cpu[PIPE],
            note=router_note,
            higher_is_better=False,
        ),
        Row(
            "CPU per event",
            "ms",
            FLOOR,
            PIPE,
            cpu[FLOOR],
            cpu[PIPE],
            note=floor_note,
            higher_is_better=False,
        ),
    ]


def _measured_over(
    who: str,
    verb: str,
    results: list[throughput.Result],
    seconds: float | None,
    flag: str = "--router-seconds",
) -> str:
    if not any(r.cut_off for r in results):
        return ""
    counts = [r.events for r in results]
    return (
        f"the {who} was measured over the {min(counts):,} to {max(counts):,} it {verb} "
        f"in its first {seconds or 0:g}s ({flag})"
    )


def _note(*cuts: str, pipe_events: int | None = None) -> str:
    """Which figures cover fewer events than the whole topic, and why; empty if none does."""
    cut = ", ".join(c for c in cuts if c)
    if not cut:
        return ""
    return f"the pipe moved all {pipe_events:,} events; {cut}" if pipe_events else cut


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
