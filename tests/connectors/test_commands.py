"""``bus gateway serve``, ``bus webhooks run`` and ``bus rasa-bridge`` as an operator runs them."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from pathlib import Path

import aiohttp
import pytest
import yaml
from aiohttp import web
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from bus.client import Publisher, new_event
from bus.kafka.local import free_port
from bus.settings import Settings
from bus.supervise import http_ok, start_bus
from connectors.base.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify

pytestmark = [pytest.mark.broker, pytest.mark.slow]
NewTopic = Callable[..., Awaitable[str]]
Names = Callable[[str], str]


async def test_the_gateway_and_webhook_commands_serve_until_sigterm_then_exit_0(
    settings_with_registry: Settings, new_topic: NewTopic, unique_name: Names, tmp_path: Path
) -> None:
    received: list[tuple[bool, dict[str, object]]] = []

    async def hook(request: web.Request) -> web.Response:
        body = await request.read()
        signed = verify(
            "hook-secret",
            request.headers.get(TIMESTAMP_HEADER),
            request.headers.get(SIGNATURE_HEADER),
            body,
        )
        received.append((signed, json.loads(body)))
        return web.Response(status=204)

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    hook_url = f"http://127.0.0.1:{runner.addresses[0][1]}/hook"

    events, inbox = await new_topic("cmd.assistant-events"), await new_topic("cmd.inbox")
    assistant = await new_topic("cmd.assistant")
    catalogue = tmp_path / "catalogue.yaml"
    catalogue.write_text(
        yaml.safe_dump(
            {
                "topics": {"assistant_events": events},
                "authorities": [
                    {
                        "code": "tax-board",
                        "name": "Tax and Customs Board",
                        "inbox": inbox,
                        "assistant_topic": assistant,
                        "webhook": hook_url,
                        "webhook_secret": "${CMD_HOOK_SECRET}",
                    }
                ],
            }
        )
    )
    clients = tmp_path / "clients.yaml"
    clients.write_text(
        "clients:\n  - {name: bot, authority: tax-board, api_keys: ['${CMD_KEY}']}\n"
    )
    port = free_port()
    env = {
        "BUS_BOOTSTRAP_SERVERS": settings_with_registry.bootstrap_servers,
        "BUS_SCHEMA_REGISTRY_URL": settings_with_registry.schema_registry_url,
        "BUS_CATALOGUE": str(catalogue),
        "BUS_APP_ID": unique_name("cmd-app"),
        "CMD_KEY": "cmd-key",
        "CMD_HOOK_SECRET": "hook-secret",
    }
    logs = tmp_path / "logs"
    gateway = start_bus(
        "gateway", ["gateway", "serve", "--port", str(port), "--clients", str(clients)], env, logs
    )
    webhooks = start_bus("webhooks", ["webhooks", "run"], env, logs)
    try:
        await asyncio.to_thread(gateway.wait_until, http_ok(f"http://127.0.0.1:{port}/healthz"))
        async with (
            aiohttp.ClientSession() as http,
            http.post(
                f"http://127.0.0.1:{port}/v1/events/Greeting",
                json={"header": {"conversation_id": "cmd-1"}, "text": "Tere!"},
                headers={"Authorization": "Bearer cmd-key"},
            ) as answer,
        ):
            assert answer.status == 202, await answer.text()
            accepted = await answer.json()

        event = new_event(
            "gov.agencybus.conversation.Greeting",
            source="bus:router",
            conversation_id="cmd-1",
            text="forwarded to the service",
        )
        async with Publisher(settings_with_registry) as publisher:
            await publisher.publish(inbox, event)
        async with asyncio.timeout(60):
            while not received:
                assert webhooks.running, webhooks.log_tail()
                await asyncio.sleep(0.1)
    finally:
        gateway.stop()
        webhooks.stop()
        await runner.cleanup()

    assert accepted["id"]
    [(signed, body)] = received
    assert signed and body["id"] == event.id
    assert gateway.process.returncode == 0, gateway.log_tail()
    assert webhooks.process.returncode == 0, webhooks.log_tail()


async def test_the_rasa_bridge_command_publishes_what_rasa_wrote_and_exits_0_on_sigterm(
    settings_with_registry: Settings, new_topic: NewTopic, unique_name: Names, tmp_path: Path
) -> None:
    rasa_topic, events = await new_topic("cmd.rasa"), await new_topic("cmd.rasa.assistant-events")
    catalogue = tmp_path / "catalogue.yaml"
    catalogue.write_text(
        yaml.safe_dump(
            {
                "topics": {"assistant_events": events},
                "authorities": [{"code": "tax-board", "name": "Tax and Customs Board"}],
            }
        )
    )
    env = {
        "BUS_BOOTSTRAP_SERVERS": settings_with_registry.bootstrap_servers,
        "BUS_SCHEMA_REGISTRY_URL": settings_with_registry.schema_registry_url,
        "BUS_CATALOGUE": str(catalogue),
        "BUS_APP_ID": unique_name("cmd-rasa"),
        "BUS_RASA_TOPIC": rasa_topic,
    }
    said = {"sender_id": "s-1", "event": "bot", "timestamp": 1767225600.5, "text": "Tere!"}
    producer = AIOKafkaProducer(bootstrap_servers=settings_with_registry.bootstrap_servers)
    await producer.start()
    try:
        await producer.send_and_wait(rasa_topic, json.dumps(said).encode(), key=b"s-1")
    finally:
        await producer.stop()
    bridge = start_bus("rasa-bridge", ["rasa-bridge", "--authority", "tax-board"], env, tmp_path)
    consumer = AIOKafkaConsumer(
        events,
        bootstrap_servers=settings_with_registry.bootstrap_servers,
        auto_offset_reset="earliest",
    )
    await consumer.start()
    try:
        async with asyncio.timeout(60):
            while True:
                assert bridge.running, bridge.log_tail()
                if batches := await consumer.getmany(timeout_ms=500):
                    [record] = [r for batch in batches.values() for r in batch]
                    break
    finally:
        await consumer.stop()
        bridge.stop()
    async with Publisher(settings_with_registry) as publisher:
        event = await publisher.codec.decode_async(record.value)
    assert event.type == "gov.agencybus.conversation.MessageSent"
    assert (event.subject, event.data["text"], event.data["author_role"]) == ("s-1", "Tere!", "BOT")
    assert bridge.process.returncode == 0, bridge.log_tail()
