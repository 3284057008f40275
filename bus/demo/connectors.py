"""The demo's connectors leg: one assistant over the HTTP gateway, one agency service by webhook.

The assistant of the first authority with services speaks only HTTP: it posts
a conversation and a service request to ``bus gateway serve``. The router
puts them in the authority's inbox, ``bus webhooks run`` POSTs them, signed,
to the agency service (an HTTP server in this process), which checks the
signature and answers the request with status updates on Kafka; the router
takes those back to the assistant, which reads them from the gateway by
long-poll. Keys and secrets are made up per run and passed in the environment.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import uuid
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import yaml
from aiohttp import web
from aiokafka import AIOKafkaConsumer, TopicPartition

from bus.catalogue import Authority, Catalogue
from bus.client import Publisher, status_update
from bus.demo.scenario import status_updates
from bus.kafka.admin import admin_client, topic_partitions
from bus.kafka.local import free_port
from bus.schemas.event import Event
from bus.settings import Settings
from bus.supervise import Service, start_bus
from connectors.base.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify

TIMEOUT_S = 90.0
SR = "gov.agencybus.servicerequest."


@dataclass
class AgencyService:
    """The simulated agency service behind the webhook."""

    secret: str
    settings: Settings
    catalogue: Catalogue
    authority: Authority
    received: list[dict[str, Any]] = field(default_factory=list)
    unsigned: int = 0

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        stamp = request.headers.get(TIMESTAMP_HEADER)
        if not verify(self.secret, stamp, request.headers.get(SIGNATURE_HEADER), body):
            self.unsigned += 1
            return web.Response(status=401)
        cloudevent = json.loads(body)
        if cloudevent["id"] in {seen["id"] for seen in self.received}:
            return web.Response(status=204)  # a retry of what was handled
        if cloudevent["type"] == SR + "ServiceRequestCreated":
            await self._answer(Event(cloudevent["type"], cloudevent["data"]))
        self.received.append(cloudevent)
        return web.Response(status=204)

    async def _answer(self, created: Event) -> None:
        source = f"service:{self.authority.code}"
        updates = [
            status_update(created, type_name, source=source, **fields)
            for type_name, fields in status_updates(created, self.authority)
        ]
        async with Publisher(self.settings) as publisher:
            await publisher.publish_many(self.catalogue.topics.service_updates, updates)


def run_connectors_leg(
    settings: Settings, catalogue: Catalogue, started: ExitStack, workdir: Path
) -> int:
    """Run the leg, print what happened; 0 when every step arrived where it should."""
    authority = next(a for a in catalogue.authorities.values() if a.services and a.intents)
    workdir.mkdir(parents=True, exist_ok=True)
    print()
    print(f"connectors: the {authority.name} assistant over HTTP, its agency service by webhook")
    problems = asyncio.run(_leg(settings, catalogue, authority, started, workdir))
    for line in problems or ["every event through the gateway, webhook and replies: yes"]:
        print(f"  {line}")
    print("connectors: OK" if not problems else "connectors: FAILED")
    return 1 if problems else 0


async def _leg(
    settings: Settings,
    catalogue: Catalogue,
    authority: Authority,
    started: ExitStack,
    workdir: Path,
) -> list[str]:
    key, hook_secret = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
    service = AgencyService(hook_secret, settings, catalogue, authority)
    app = web.Application()
    app.router.add_post("/bus/events", service.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        hook_url = f"http://127.0.0.1:{runner.addresses[0][1]}/bus/events"
        env = _environment(settings, catalogue, authority, hook_url, workdir)
        env.update(BUS_DEMO_GATEWAY_KEY=key, BUS_DEMO_WEBHOOK_SECRET=hook_secret)
        group = f"{settings.app_id}.webhooks.{authority.code}"
        await _from_the_end(settings, authority.inbox, group)
        port = free_port()
        clients = workdir / "gateway-clients.yaml"
        clients.write_text(
            "clients:\n"
            f"  - {{name: demo-assistant, authority: {authority.code}, "
            "api_keys: ['${BUS_DEMO_GATEWAY_KEY}']}\n"
        )
        args = ["gateway", "serve", "--port", str(port), "--clients", str(clients)]
        gateway = start_bus("gateway", args, env, workdir)
        started.callback(gateway.stop)
        webhooks = start_bus("webhooks", ["webhooks", "run"], env, workdir)
        started.callback(webhooks.stop)
        print(f"  gateway   http://127.0.0.1:{port}, log {gateway.log_file}")
        print(f"  webhooks  {authority.code} -> {hook_url}, log {webhooks.log_file}")
        async with asyncio.timeout(TIMEOUT_S):
            url = f"http://127.0.0.1:{port}"
            return await _converse(url, key, authority, service, [gateway, webhooks])
    except TimeoutError:
        return [f"not done after {TIMEOUT_S:.0f}s; received by webhook: {len(service.received)}"]
    finally:
        await runner.cleanup()


def _environment(
    settings: Settings, catalogue: Catalogue, authority: Authority, hook_url: str, workdir: Path
) -> dict[str, str]:
    """The demo catalogue with a webhook for ``authority``; the same topics and rules."""
    document = yaml.safe_load(settings.catalogue.read_text(encoding="utf-8"))
    for entry in document["authorities"]:
        if entry["code"] == authority.code:
            entry.update(webhook=hook_url, webhook_secret="${BUS_DEMO_WEBHOOK_SECRET}")
    path = workdir / "catalogue-with-webhook.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    return {
        "BUS_BOOTSTRAP_SERVERS": settings.bootstrap_servers,
        "BUS_SCHEMA_REGISTRY_URL": settings.schema_registry_url,
        "BUS_APP_ID": settings.app_id,
        "BUS_CATALOGUE": str(path),
        "BUS_WEBHOOK_BACKOFF_S": "0.2",
    }


async def _from_the_end(settings: Settings, topic: str, group_id: str) -> None:
    """Commit the webhook group at the inbox's end, so only this run's events are delivered."""
    async with admin_client(settings.bootstrap_servers) as admin:
        found = (await topic_partitions(admin)).get(topic, set())
    partitions = [TopicPartition(topic, p) for p in sorted(found)]
    consumer = AIOKafkaConsumer(
        bootstrap_servers=settings.bootstrap_servers, group_id=group_id, enable_auto_commit=False
    )
    await consumer.start()
    try:
        consumer.assign(partitions)
        ends = await consumer.end_offsets(partitions)
        await consumer.commit({tp: offset for tp, offset in ends.items()})
    finally:
        await consumer.stop()


async def _converse(
    url: str, key: str, authority: Authority, service: AgencyService, processes: list[Service]
) -> list[str]:
    conversation, request = str(uuid.uuid4()), str(uuid.uuid4())
    header = {"conversation_id": conversation}
    posts = [
        ("Greeting", {"header": header, "text": "Hello! How can I help?"}),
        (
            "MessageSent",
            {
                "header": header,
                "message_id": "m-1",
                "author_role": "END_USER",
                "text": f"I would like a {authority.services[0]}.",
            },
        ),
        ("IntentClassified", {"header": header, "intent": authority.intents[0], "confidence": 0.9}),
        (
            "ServiceRequestCreated",
            {
                "header": {**header, "request_id": request},
                "service_code": authority.services[0],
                "provider": authority.code,
            },
        ),
    ]
    sent: list[str] = []
    async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {key}"}) as http:
        await _until_ready(http, url, processes)
        for type_name, body in posts:
            async with http.post(f"{url}/v1/events/{type_name}", json=body) as answer:
                reply = await answer.json()
                if answer.status != 202:
                    return [f"the gateway answered {answer.status} to {type_name}: {reply}"]
                sent.append(reply["id"])
        updates: list[str] = []
        after = 0
        while len(updates) < 2:
            params = {"conversation_id": conversation, "after": str(after), "wait": "10"}
            async with http.get(f"{url}/v1/replies", params=params) as answer:
                page = await answer.json()
            after = page["next"]
            updates += [e["type"].rpartition(".")[2] for e in page["events"]]
    while len(service.received) < len(sent):
        _alive(processes)
        await asyncio.sleep(0.1)
    print(f"  assistant posted {len(sent)} events to the gateway (202 each, after Kafka's ack)")
    print(f"  agency service got {len(service.received)} signed webhook calls, answered by Kafka")
    print(f"  assistant read back {', '.join(updates)} from the gateway's replies")
    problems = []
    if [e["id"] for e in service.received] != sent:
        problems.append("the webhook delivered the events out of order or not all of them")
    if service.unsigned:
        problems.append(f"{service.unsigned} webhook calls had a bad signature")
    return problems


async def _until_ready(http: aiohttp.ClientSession, url: str, processes: list[Service]) -> None:
    while True:
        _alive(processes)
        try:
            async with http.get(f"{url}/healthz") as answer:
                if answer.status == 200 and all((await answer.json())["replies"].values()):
                    return
        except aiohttp.ClientConnectionError:
            pass
        await asyncio.sleep(0.2)


def _alive(processes: list[Service]) -> None:
    for process in processes:
        if not process.running:
            raise RuntimeError(f"{process.name} stopped:\n{process.log_tail()}")
