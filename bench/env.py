"""Everything a bench run needs on the broker: Kafka, a registry, catalogues, workers, pipes.

It uses a broker that answers at --bootstrap-servers, or starts the
project's own (``bus.kafka.local``) on that loopback port. Every topic,
consumer group and registry topic it makes starts with one prefix, and is
deleted at the end, so runs never see each other's data.
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import sys
import time
import uuid
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import yaml
from confluent_kafka import Consumer, KafkaException, TopicPartition

from bench.audit import ROUTER_AGENTS
from bus.catalogue import Catalogue, load_catalogue
from bus.errors import BusError
from bus.kafka.admin import TopicSpec, admin_client, ensure_topics
from bus.kafka.jars import jars_dir, kafka_version
from bus.kafka.local import LocalKafka, answers_metadata, free_port
from bus.settings import Settings
from bus.supervise import Service, http_ok, start_bus
from bus.worker.build import worker_topics

ROOT = Path(__file__).resolve().parent.parent
WORKER_READY = "Worker ready"
PIPE_READY = "pipe ready"
PLAIN_PIPE = "bench.pipe"
CONFLUENT_PIPE = "bench.confluent_pipe"
PIPES = (PLAIN_PIPE, CONFLUENT_PIPE)
LEADERS_TIMEOUT_S = 60.0
"""The baseline pipe modules: each logs ``PIPE_READY`` once it consumes."""


class BenchEnv:
    """Use as ``with BenchEnv(...) as env``; stops and deletes what it started."""

    def __init__(self, bootstrap_servers: str, settings: Settings | None = None) -> None:
        base = settings or Settings()
        self.stamp = time.strftime("%Y%m%d%H%M%S") + uuid.uuid4().hex[:4]
        self.prefix = f"bench.{self.stamp}"
        self.work = base.home / "bench" / self.stamp
        self.settings = base.model_copy(update={"bootstrap_servers": bootstrap_servers})
        self.kafka_version = "unknown"
        self.kafka_note = ""
        self._stack = ExitStack()
        self._services: list[Service] = []

    def __enter__(self) -> BenchEnv:
        try:
            self._start()
        except BaseException:
            self._stack.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        for service in self._services:
            service.stop()
        try:
            asyncio.run(self._delete_topics())
        finally:
            self._stack.close()
            if exc[0] is None:
                shutil.rmtree(self.work, ignore_errors=True)

    def _start(self) -> None:
        self.work.mkdir(parents=True, exist_ok=True)
        bootstrap = self.settings.bootstrap_servers
        if asyncio.run(answers_metadata(bootstrap)):
            self.kafka_note = "broker already running"
            jars = jars_dir(self.settings.home)
            if jars.exists():
                self.kafka_version = kafka_version(jars)
                self.kafka_note += "; version from the project's jars"
        else:
            host, _, port = bootstrap.split(",")[0].rpartition(":")
            if host not in ("127.0.0.1", "localhost"):
                raise BusError(f"no Kafka answers at {bootstrap}; check --bootstrap-servers")
            node = LocalKafka(self.settings.home, port=int(port), data_dir=self.work / "kafka")
            status = node.start()
            self._stack.callback(node.stop)
            self.kafka_version = status.version
            self.kafka_note = "started for the bench"
        registry_port = free_port()
        registry = start_bus(
            "registry",
            ["registry", "serve", "--port", str(registry_port)],
            {**self.env(), "BUS_REGISTRY_TOPIC": f"{self.prefix}._schemas"},
            self.work / "logs",
        )
        self._stack.callback(registry.stop)
        url = f"http://127.0.0.1:{registry_port}"
        registry.wait_until(http_ok(url + "/subjects"), timeout_s=60)
        self.settings = self.settings.model_copy(update={"schema_registry_url": url})

    def name(self, what: str) -> str:
        return f"{self.prefix}.{what}"

    def env(self) -> dict[str, str]:
        return {
            "BUS_BOOTSTRAP_SERVERS": self.settings.bootstrap_servers,
            "BUS_SCHEMA_REGISTRY_URL": self.settings.schema_registry_url,
        }

    def catalogue(self, what: str, assistant_events: str, service_updates: str) -> Path:
        """The project's catalogue with every topic renamed under ``name(what)``."""
        document: dict[str, Any] = yaml.safe_load(self.settings.catalogue.read_text())
        prefix = self.name(what)
        topics = document["topics"]
        topics["assistant_events"] = assistant_events
        topics["service_updates"] = service_updates
        topics["dead_letters"] = f"{prefix}.deadletters"
        topics["audit"] = f"{prefix}.audit"  # the auditor's, when the bench runs it
        for key in ("escalations", "escalation_actions", "presence"):  # the escalator's
            topics[key] = f"{prefix}.{key.replace('_', '-')}"
        topics.pop("overrides", None)
        for authority in document["authorities"]:
            authority["inbox"] = f"{prefix}.inbox.{authority['code']}"
            authority["assistant_topic"] = f"{prefix}.assistant.{authority['code']}"
        path = self.work / f"{what}.yaml"
        path.write_text(yaml.safe_dump(document, sort_keys=False))
        return path

    def base_catalogue(self) -> Catalogue:
        return load_catalogue(self.settings.catalogue)

    async def create(self, *specs: TopicSpec) -> None:
        await ensure_topics(self.settings.bootstrap_servers, specs)

    async def start_worker(self, name: str, app_id: str, catalogue: Path, **env: str) -> Service:
        """A ``bus worker`` of the router (and echo) unless ``env`` says otherwise; its
        echo topics and metrics port are its own, so nothing outside the bench is touched.

        Its topics are made first and waited for until every partition has a
        leader: on a busy machine a worker that made them itself could find a
        changelog without a leader while restoring, and fail to start.
        """
        overrides = {f"BUS_{key.upper()}": value for key, value in env.items()}
        worker_env = {
            **self.env(),
            "BUS_APP_ID": app_id,
            "BUS_CATALOGUE": str(catalogue),
            "BUS_WORKER_DIR": str(self.work / "state" / name),
            "BUS_AGENTS": ",".join(ROUTER_AGENTS),  # the router is measured, alone
            "BUS_METRICS_PORT": str(free_port()),
            "BUS_HEARTBEAT_TOPIC": f"{app_id}.heartbeats",
            "BUS_ECHO_TOPIC": f"{app_id}.echoes",
            "BUS_DEAD_LETTER_TOPIC": f"{app_id}.echo-deadletters",
            **overrides,
        }
        names = ("app_id", "heartbeat_topic", "echo_topic", "dead_letter_topic")
        update: dict[str, Any] = {name: worker_env[f"BUS_{name.upper()}"] for name in names}
        update["agents"] = tuple(worker_env["BUS_AGENTS"].split(","))
        settings = self.settings.model_copy(update=update)
        specs = worker_topics(settings, load_catalogue(catalogue))
        await self.create(*specs)
        await asyncio.to_thread(_wait_for_leaders, settings.bootstrap_servers, specs)
        service = start_bus(name, ["worker"], worker_env, self.work / "logs")
        self._services.append(service)
        return service

    def start_pipe(
        self, name: str, source: str, sink: str, group: str, module: str = PLAIN_PIPE
    ) -> Service:
        """Run one of the ``PIPES``; each takes the same options."""
        log_file = self.work / "logs" / f"{name}.log"
        log_file.parent.mkdir(parents=True, exist_ok=True)
        args = ["--bootstrap-servers", self.settings.bootstrap_servers]
        args += ["--source", source, "--sink", sink, "--group", group]
        with log_file.open("ab") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", module, *args],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
                cwd=ROOT,  # where the bench package is, wherever the bench was started from
            )
        service = Service(name, process, log_file)
        self._services.append(service)
        return service

    async def stop(self, *services: Service) -> None:
        await asyncio.gather(*(asyncio.to_thread(s.stop) for s in services))
        for service in services:
            self._services.remove(service)

    async def ready(self, service: Service, text: str, timeout_s: float = 120.0) -> None:
        await asyncio.to_thread(service.wait_until, lambda: service.logged(text), timeout_s)

    async def _delete_topics(self) -> None:
        async with admin_client(self.settings.bootstrap_servers) as admin:
            mine = [t for t in await admin.list_topics() if t.startswith(self.prefix)]
            if mine:
                await admin.delete_topics(mine)


def _wait_for_leaders(bootstrap_servers: str, specs: list[TopicSpec]) -> None:
    """Until every partition of ``specs`` answers a watermark request (it has a leader)."""
    consumer = Consumer({"bootstrap.servers": bootstrap_servers, "group.id": "bench-probe"})
    deadline = time.monotonic() + LEADERS_TIMEOUT_S
    try:
        for spec in specs:
            for partition in range(spec.partitions):
                while True:
                    try:
                        consumer.get_watermark_offsets(TopicPartition(spec.name, partition), 10)
                        break
                    except KafkaException:
                        if time.monotonic() > deadline:
                            raise
                        time.sleep(0.2)
    finally:
        consumer.close()
