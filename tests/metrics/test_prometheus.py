"""A real Prometheus scrapes a real worker and registry with the project's scrape config.

Traffic goes through the router of a ``bus worker`` process (the demo's harness
plays the assistants and agency services); Prometheus' query API must then
report what the harness itself read from Kafka, the dead-letter alert of
``deploy/prometheus/alerts.yml`` must fire, and the worker-down alert must
start once the worker stops.
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from bus.catalogue import Catalogue, load_catalogue
from bus.demo.harness import Harness
from bus.demo.scenario import build
from bus.kafka.local import free_port
from bus.settings import Settings
from bus.supervise import Service, http_ok

pytestmark = [pytest.mark.broker, pytest.mark.slow]

DEPLOY = Path(__file__).resolve().parents[2] / "deploy" / "prometheus"
READY = "Worker ready"
Vector = dict[tuple[str, ...], float]


def render_config(targets: dict[str, str], directory: Path) -> Path:
    """The project's prometheus.yml with these jobs' targets, scraping every second."""
    config = yaml.safe_load((DEPLOY / "prometheus.yml").read_text())
    config["global"].update(scrape_interval="1s", evaluation_interval="1s")
    config["rule_files"] = [str(DEPLOY / name) for name in config["rule_files"]]
    jobs = [job for job in config["scrape_configs"] if job["job_name"] in targets]
    assert {job["job_name"] for job in jobs} == set(targets), "jobs missing from prometheus.yml"
    for job in jobs:
        job["static_configs"] = [{"targets": [targets[job["job_name"]]]}]
    config["scrape_configs"] = jobs
    path = directory / "prometheus.yml"
    path.write_text(yaml.safe_dump(config))
    return path


@pytest.fixture
def start_prometheus(tmp_path: Path) -> Iterator[Callable[[dict[str, str]], str]]:
    """Start the Debian ``prometheus`` binary (``make system-deps``) on a loopback port."""
    started: list[Service] = []

    def start(targets: dict[str, str]) -> str:
        binary = shutil.which("prometheus")
        assert binary, "prometheus is not installed: run `make system-deps`"
        port = free_port()
        config = render_config(targets, tmp_path)
        log = tmp_path / "prometheus.log"
        with log.open("ab") as out:
            process = subprocess.Popen(
                [
                    binary,
                    f"--config.file={config}",
                    f"--storage.tsdb.path={tmp_path / 'tsdb'}",
                    f"--web.listen-address=127.0.0.1:{port}",
                    "--log.level=warn",
                ],
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        service = Service("prometheus", process, log)
        started.append(service)
        url = f"http://127.0.0.1:{port}"
        service.wait_until(http_ok(url + "/-/ready"), timeout_s=60)
        return url

    yield start
    for service in started:
        service.stop()


class PrometheusApi:
    def __init__(self, url: str, session: aiohttp.ClientSession) -> None:
        self.url = url
        self.session = session

    async def get(self, path: str, **params: str) -> Any:
        async with self.session.get(self.url + path, params=params) as response:
            body = await response.json()
        assert body["status"] == "success", body
        return body["data"]

    async def query(self, expr: str, *by: str) -> Vector:
        """An instant vector as {values of the ``by`` labels: value}."""
        data = await self.get("/api/v1/query", query=expr)
        return {
            tuple(sample["metric"].get(label, "") for label in by): float(sample["value"][1])
            for sample in data["result"]
        }

    async def until(self, expected: dict[str, tuple[tuple[str, ...], Vector]]) -> None:
        """Poll until every query gives its expected vector, then compare once more."""
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            results = {e: await self.query(e, *by) for e, (by, _) in expected.items()}
            if all(results[e] == want for e, (_, want) in expected.items()):
                break
            await asyncio.sleep(1)
        for expr, (by, want) in expected.items():
            assert await self.query(expr, *by) == want, expr


def _authorities(catalogue: Catalogue) -> dict[str, str]:
    codes = {}
    for authority in catalogue.authorities.values():
        codes[authority.inbox] = codes[authority.assistant_topic] = authority.code
    return codes


async def _registry_requests(registry_url: str, session: aiohttp.ClientSession) -> float:
    """GET /subjects answered so far, from the registry's own /metrics."""
    async with session.get(registry_url + "/metrics") as response:
        text = await response.text()
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            wanted = {"route": "/subjects", "method": "GET", "status": "200"}
            if sample.name == "bus_http_requests_total" and wanted.items() <= sample.labels.items():
                return sample.value
    return 0.0


async def test_prometheus_reports_what_the_worker_routed_and_alerts_on_dead_letters_and_its_stop(
    settings_with_registry: Settings,
    registry_url: str,
    catalogue_path: Path,
    start_worker: Callable[..., Service],
    start_prometheus: Callable[[dict[str, str]], str],
    new_topic: Callable[..., Awaitable[str]],
    unique_name: Callable[[str], str],
) -> None:
    catalogue = load_catalogue(catalogue_path)
    topics = catalogue.topics
    own = {
        "heartbeat_topic": await new_topic("heartbeats", 1),
        "echo_topic": await new_topic("echoes", 1),
        "dead_letter_topic": topics.dead_letters,
    }
    metrics_port = free_port()
    worker = start_worker(
        app_id=unique_name("app"),
        catalogue=str(catalogue_path),
        metrics_port=str(metrics_port),
        metrics_lag_interval_s="1",
        **own,
    )
    registry = urlsplit(registry_url).netloc
    url = start_prometheus({"bus-worker": f"127.0.0.1:{metrics_port}", "bus-registry": registry})
    scenario = build(catalogue, 12)
    async with Harness(settings_with_registry, catalogue, scenario) as harness:
        await asyncio.to_thread(worker.wait_until, lambda: worker.logged(READY), 90)
        await harness.publish(scenario.events)
        await harness.publish_poison()
        await harness.read_until_done([worker], 120)
    assert harness.problems() == []
    seen = harness.observed

    routed: Counter[tuple[str, ...]] = Counter()
    authorities = _authorities(catalogue)
    for (topic, eid), count in seen.counts.items():
        if topic != topics.dead_letters:
            short_type = seen.types[eid].rsplit(".", 1)[-1]
            routed[(authorities[topic], short_type)] += count
    reasons = Counter(seen.reasons.values())
    assert reasons["not-wire-format"] == 1 and len(reasons) > 1  # the scenario's too
    consumed = len(scenario.events) + 1 + len(seen.updates)
    router = '{agent="router"}'
    async with aiohttp.ClientSession() as session:
        before = await _registry_requests(registry_url, session)
        for _ in range(3):
            async with session.get(registry_url + "/subjects") as response:
                assert response.status == 200
        api = PrometheusApi(url, session)
        await api.until(
            {
                'up{job="bus-worker"}': (("job",), {("bus-worker",): 1.0}),
                f"sum(bus_events_consumed_total{router})": ((), {(): float(consumed)}),
                f"sum by (authority, event_type) (bus_events_routed_total{router})": (
                    ("authority", "event_type"),
                    {key: float(n) for key, n in routed.items()},
                ),
                f"sum by (reason) (bus_events_dead_lettered_total{router})": (
                    ("reason",),
                    {(reason,): float(n) for reason, n in reasons.items()},
                ),
                f"sum(bus_event_delivery_latency_seconds_count{router})": (
                    (),
                    {(): float(sum(routed.values()))},
                ),
                f"sum(bus_event_processing_seconds_count{router})": ((), {(): float(consumed)}),
                f'sum(bus_consumer_lag_messages{{topic="{topics.assistant_events}"}})': (
                    (),
                    {(): 0.0},
                ),
                f'count(bus_consumer_lag_messages{{topic="{topics.assistant_events}"}})': (
                    (),
                    {(): 4.0},
                ),
                'bus_http_requests_total{job="bus-registry",method="GET",route="/subjects",'
                'status="200"}': (("server",), {("registry",): before + 3}),
            }
        )
        # Every delivery took less than the whole test has taken so far.
        latency = await api.query(f"sum(bus_event_delivery_latency_seconds_sum{router})")
        elapsed = time.time() - min(
            e.occurred_at.timestamp() for e in scenario.events if e.occurred_at
        )
        assert 0 < latency[()] < elapsed * sum(routed.values())

        rules = await api.get("/api/v1/rules")
        health = {r["name"]: r["health"] for g in rules["groups"] for r in g["rules"]}
        assert health and set(health.values()) == {"ok"}, health
        for _ in range(30):  # the rule sees the scraped counters at its next evaluation
            alerts = await api.get("/api/v1/alerts")
            firing = {
                a["labels"]["reason"]
                for a in alerts["alerts"]
                if a["labels"]["alertname"] == "BusDeadLettersAppearing"
                and a["labels"]["topic"] == topics.assistant_events
                and a["state"] == "firing"
            }
            if firing == set(reasons):
                break
            await asyncio.sleep(1)
        assert firing == set(reasons)

        worker.stop()
        await api.until({'up{job="bus-worker"}': (("job",), {("bus-worker",): 0.0})})
        for _ in range(30):  # rules are evaluated every second
            states = await _alert_states(api, "BusWorkerDown")
            if states:
                break
            await asyncio.sleep(1)
        assert states and states <= {"pending", "firing"}


async def _alert_states(api: PrometheusApi, name: str) -> set[str]:
    alerts = (await api.get("/api/v1/alerts"))["alerts"]
    return {a["state"] for a in alerts if a["labels"]["alertname"] == name}
