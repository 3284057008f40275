"""One bench run: set up, measure what the plan asks, print the table, save the JSON."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import aims, audit, codec, latency, machine, privacy, profile, soak, throughput
from bench.env import CONFLUENT_PIPE, PLAIN_PIPE, BenchEnv
from bench.report import Row, results_document, save, table, unavailable
from bench.stats import median
from bench.workload import Workload, build_workload, produce
from bus.client import Publisher
from bus.kafka.admin import TopicSpec
from bus.schemas.contracts import load_contracts

MEASUREMENTS = (
    "throughput",
    "exactly-once",
    "latency",
    "codec",
    "audit",
    "scaling",
    "soak",
    "privacy",
)
NOT_QUICK = ("soak",)
"""What ``--quick`` leaves out unless ``--only`` names it."""
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
    soak_events: int = 1_000_000
    save: bool = True
    profile: bool = False


def say(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", flush=True)


class Walls:
    """Wall time spent on each kind of run, added up over the runs, to size the defaults."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    @contextmanager
    def timing(self, what: str) -> Iterator[None]:
        began = time.monotonic()
        try:
            yield
        finally:
            self.seconds[what] = self.seconds.get(what, 0.0) + time.monotonic() - began

    def summary(self) -> str:
        return "; ".join(f"{what} {s:.0f}s" for what, s in self.seconds.items())


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
    walls = Walls()
    say(f"kafka {env.kafka_version} at {env.settings.bootstrap_servers} ({env.kafka_note})")
    with walls.timing("workload"):
        workload = await build_workload(env.settings, catalogue, plan.events)
    say(f"{len(workload)} events encoded, {len(workload.routed)} of them routable")
    context: dict[str, Any] = {
        "plan": asdict(plan),
        "machine": machine.describe(),
        "kafka": {"version": env.kafka_version, "note": env.kafka_note},
        "event_size": workload.sizes(),
        "commit_interval_s": env.settings.commit_interval_s,
        "wall_s": walls.seconds,
    }
    rows: list[Row] = []
    one_worker: list[float] = []
    if {"throughput", "exactly-once", "scaling", "audit"} & set(plan.only):
        with walls.timing("prefill"):
            source = await _prefill(env, workload)
        updates = env.name("input.service-updates")
        await env.create(TopicSpec(updates, catalogue.topic_specs()[0].partitions))
        if {"throughput", "exactly-once"} & set(plan.only):
            profiled: list[tuple[str, float]] = []
            measured, one_worker, per_event = await _throughput(
                plan, env, workload, source, updates, profiled, walls
            )
            context["router_outputs_per_event"] = per_event
            if profiled:
                context["router_profile"] = dict(profiled)
            rows += measured
        if "audit" in plan.only:
            with walls.timing("audit"):
                rows.append(await _audit(plan, env, workload, source, updates, one_worker))
        if "scaling" in plan.only:
            with walls.timing("scaling"):
                rows.append(await _scaling(plan, env, workload, source, updates, one_worker))
    if "latency" in plan.only:
        rows += await _latency(plan, env, workload, walls)
    if "codec" in plan.only:
        with walls.timing("codec"):
            rows += await _codec(plan, env, workload)
    if "privacy" in plan.only:
        with walls.timing("privacy"):
            rows += privacy.rows()
            say("privacy: the scrubber and plain regexes scored on the labelled corpus")
    if "soak" in plan.only:
        with walls.timing("soak"):
            rows.append(await _soak(plan, env))
    say(f"wall time: {walls.summary()}")
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
EXACTLY_ONCE = "router, exactly-once"
PIPE = "plain aiokafka pipe"
CONFLUENT = "confluent-kafka pipe"
PIPES = {PIPE: PLAIN_PIPE, CONFLUENT: CONFLUENT_PIPE}


async def _throughput(
    plan: Plan,
    env: BenchEnv,
    workload: Workload,
    source: str,
    updates: str,
    profiled: list[tuple[str, float]],
    walls: Walls,
) -> tuple[list[Row], list[float], float | None]:
    """The router beside both plain pipes, and under exactly-once beside itself. Returns the
    rows the plan asks for, the router's rates, which the audit and scaling rows reuse, and
    the records it wrote per event."""
    eos = "exactly-once" in plan.only
    runs: dict[str, list[throughput.Result]] = {PIPE: [], CONFLUENT: [], ROUTER: []}
    if eos:
        runs[EXACTLY_ONCE] = []
    for n in range(plan.runs):
        for label, module in PIPES.items():
            with walls.timing(label):
                result = await throughput.pipe_run(env, workload, source, f"t{n}", module=module)
            say(f"{label} run {n + 1}: {_rate(result)}")
            runs[label].append(result)
        spy = env.work / "router-profile.txt" if plan.profile and n == 0 else None
        with walls.timing("router"):
            router = await throughput.router_run(
                env,
                workload,
                source,
                updates,
                f"t{n}",
                budget_s=plan.router_seconds,
                profile_to=spy,
            )
        if spy is not None:
            profiled.extend(_profile(spy))
        say(f"router run {n + 1}: {_rate(router)}")
        runs[ROUTER].append(router)
        if eos:
            with walls.timing("router exactly-once"):
                result = await throughput.router_run(
                    env,
                    workload,
                    source,
                    updates,
                    f"e{n}",
                    budget_s=plan.router_seconds,
                    worker_env={"processing_guarantee": "exactly_once"},
                )
            say(f"router exactly-once run {n + 1}: {_rate(result)}")
            runs[EXACTLY_ONCE].append(result)
    rate = {label: [r.rate for r in results] for label, results in runs.items()}
    cpu = {label: [r.cpu_ms for r in results] for label, results in runs.items()}
    cut = {
        label: _measured_over(label, runs[label], plan.router_seconds)
        for label in (ROUTER, EXACTLY_ONCE)
        if label in runs
    }

    def pair(measure: str, bus: str, baseline: str, note: str, **more: Any) -> Row:
        figures = cpu if measure == "CPU per event" else rate
        unit = "ms" if measure == "CPU per event" else "events/s"
        return Row(measure, unit, bus, baseline, figures[bus], figures[baseline], note=note, **more)

    less = {"higher_is_better": False}
    rows: list[Row] = []
    if "throughput" in plan.only:
        note = _note(cut[ROUTER], pipe_events=len(workload))
        rows += [
            pair("pipe throughput", ROUTER, PIPE, note, aim=aims.ROUTER_VS_PIPE),
            pair("pipe throughput", ROUTER, CONFLUENT, note, aim=aims.ROUTER_VS_CONFLUENT),
            pair("CPU per event", ROUTER, PIPE, note, **less),
            pair("CPU per event", ROUTER, CONFLUENT, note, **less),
        ]
    if eos:
        note = _note(cut[EXACTLY_ONCE], pipe_events=len(workload))
        both = _note(cut[EXACTLY_ONCE], cut[ROUTER])
        rows += [
            pair("router exactly-once", EXACTLY_ONCE, ROUTER, both, aim=aims.EXACTLY_ONCE),
            pair("router exactly-once", EXACTLY_ONCE, PIPE, note),
            pair("router exactly-once", EXACTLY_ONCE, CONFLUENT, note),
            pair("CPU per event", EXACTLY_ONCE, ROUTER, both, **less),
        ]
    per_event = median([r.outputs_per_event for r in runs[ROUTER]])
    return rows, rate[ROUTER], None if per_event is None else round(per_event, 3)


def _rate(result: throughput.Result) -> str:
    return f"{result.rate:,.0f} events/s, {result.cpu_ms:.3f} CPU ms/event"


def _measured_over(who: str, results: list[throughput.Result], seconds: float | None) -> str:
    if not any(r.cut_off for r in results):
        return ""
    counts = [r.events for r in results]
    return (
        f"the {who} was measured over the {min(counts):,} to {max(counts):,} events it "
        f"routed in its first {seconds or 0:g}s (--router-seconds)"
    )


def _note(*cuts: str, pipe_events: int | None = None) -> str:
    """Which figures cover fewer events than the whole topic, and why; empty if none does."""
    cut = ", ".join(c for c in cuts if c)
    if not cut:
        return ""
    return f"the pipes moved all {pipe_events:,} events; {cut}" if pipe_events else cut


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
    row = Row("router scaling", "events/s", "router, 2 workers", ROUTER, aim=aims.SCALING)
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
    row = Row(*labels, aim=aims.AUDIT)
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


async def _latency(plan: Plan, env: BenchEnv, workload: Workload, walls: Walls) -> list[Row]:
    """Each load through the pipe and the router; the highest also under exactly-once."""
    rows = []
    eos_aim = aims.exactly_once_p99(env.settings.commit_interval_s)
    for rate in plan.rates:
        load = latency.Load(rate, plan.seconds)
        paths = {"pipe": "", "bus": ""} | ({"exactly-once": ""} if rate == max(plan.rates) else {})
        found: dict[str, list[dict[str, float]]] = {path: [] for path in paths}
        for n in range(plan.runs):
            for path in found:
                with walls.timing(f"latency {rate:.0f}/s {path}"):
                    found[path].append(await _latency_run(env, workload, load, path, n))
                say(f"{path} latency at {rate:,.0f}/s run {n + 1}: {_ms(found[path][-1])}")
        for path, label, aim in (
            ("bus", "router + Subscriber", aims.P99_MS),
            ("exactly-once", "router (exactly-once) + Subscriber", eos_aim),
        ):
            if path not in found:
                continue
            suffix = ", exactly-once" if path == "exactly-once" else ""
            for key in ("p50", "p95", "p99", "max"):
                aimed = key == "p99" and rate == aims.AIMED_RATE
                rows.append(
                    Row(
                        f"latency {key} at {rate:,.0f}/s{suffix}",
                        "ms",
                        label,
                        "plain pipe + consumer",
                        [b[key] for b in found[path]],
                        [p[key] for p in found["pipe"]],
                        higher_is_better=False,
                        aim=aim if aimed else None,
                    )
                )
    return rows


async def _latency_run(
    env: BenchEnv, workload: Workload, load: latency.Load, path: str, n: int
) -> dict[str, float]:
    run = f"{load.rate:.0f}-{n}"
    if path == "pipe":
        return await latency.pipe_run(env, workload, load, run)
    if path == "exactly-once":
        return await latency.bus_run(
            env, workload, load, f"eos-{run}", processing_guarantee="exactly_once"
        )
    return await latency.bus_run(env, workload, load, run)


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


async def _soak(plan: Plan, env: BenchEnv) -> Row:
    say(f"soak: {plan.soak_events:,} events through {', '.join(soak.SOAK_AGENTS)} in one worker")
    result = await soak.soak_run(env, plan.soak_events)
    say(
        f"soak: RSS {result.rss_checkpoint_mib:.0f} MiB after {result.checkpoint:,} events, "
        f"{result.rss_end_mib:.0f} MiB after {result.events:,}"
    )
    return Row(
        "soak memory (RSS)",
        "MiB",
        f"worker after {result.events:,} events",
        f"after {result.events // 5:,}",
        [result.rss_end_mib],
        [result.rss_checkpoint_mib],
        higher_is_better=False,
        note=(
            f"one worker of {', '.join(soak.SOAK_AGENTS)}; the first reading after "
            f"{result.checkpoint:,} committed events; peak {result.peak_mib:.0f} MiB; "
            f"{result.rate:,.0f} events/s between the readings"
        ),
        aim=aims.SOAK,
    )


def _per_event(figure: float | None) -> str:
    return "" if figure is None else f"; the router wrote {figure} records per event"


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
            f"max {size['value_bytes_max']}) + {size['headers_bytes_mean']:.0f} B headers"
            + _per_event(context.get("router_outputs_per_event")),
            f"  runs      {context['plan']['runs']} per figure (median); "
            f"took {took.total_seconds():.0f}s",
            f"  commits   every {context['commit_interval_s']:g}s (BUS_COMMIT_INTERVAL_S)",
            "  wall time " + "; ".join(f"{k} {v:.0f}s" for k, v in context["wall_s"].items()),
            "",
        ]
    )
