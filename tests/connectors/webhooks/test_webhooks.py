"""Webhook delivery against the real broker and real HTTP endpoints on loopback."""

from __future__ import annotations

import asyncio
import json
import random
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.partitioner import DefaultPartitioner
from prometheus_client import REGISTRY

from bus.client import Event, Publisher, new_event
from bus.deadletters import DeadLetter
from bus.settings import Settings
from connectors.base.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify
from connectors.webhooks import WebhookRunner, WebhookTarget
from connectors.webhooks.delivery import ATTEMPT_HEADER, EVENT_ID_HEADER
from tests.records import read_records

pytestmark = pytest.mark.broker
NewTopic = Callable[..., Awaitable[str]]
Names = Callable[[str], str]
SECRET = "webhook-test-secret"
Behaviour = Callable[["Request"], Awaitable[int]]


@dataclass
class Request:
    event_id: str
    attempt: int
    body: dict[str, Any]
    signed: bool


@dataclass
class Endpoint:
    """A real HTTP server on 127.0.0.1 whose answers the test decides."""

    behaviour: Behaviour
    requests: list[Request] = field(default_factory=list)
    delivered: list[Request] = field(default_factory=list)
    url: str = ""

    async def handle(self, http: web.Request) -> web.Response:
        raw = await http.read()
        request = Request(
            event_id=http.headers[EVENT_ID_HEADER],
            attempt=int(http.headers[ATTEMPT_HEADER]),
            body=json.loads(raw),
            signed=verify(
                SECRET, http.headers.get(TIMESTAMP_HEADER), http.headers.get(SIGNATURE_HEADER), raw
            ),
        )
        self.requests.append(request)
        status = await self.behaviour(request)
        if status < 300:
            self.delivered.append(request)
        return web.Response(status=status, text=f"answered {status}")


@pytest.fixture
async def serve() -> AsyncIterator[Callable[[Behaviour], Awaitable[Endpoint]]]:
    runners: list[web.AppRunner] = []

    async def start(behaviour: Behaviour) -> Endpoint:
        endpoint = Endpoint(behaviour)
        app = web.Application()
        app.router.add_post("/hook", endpoint.handle)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = runner.addresses[0][1]
        endpoint.url = f"http://127.0.0.1:{port}/hook"
        runners.append(runner)
        return endpoint

    yield start
    for runner in runners:
        await runner.cleanup()


@pytest.fixture
async def settings(
    settings_with_registry: Settings, new_topic: NewTopic, unique_name: Names
) -> Settings:
    return settings_with_registry.model_copy(
        update={
            "app_id": unique_name("webhooks-app"),
            "dead_letter_topic": await new_topic("webhooks.deadletters"),
            "webhook_max_attempts": 3,
            "webhook_backoff_s": 0.05,
            "webhook_backoff_max_s": 0.2,
            "webhook_timeout_s": 2.0,
        }
    )


def conversation_event(conversation: str, text: str) -> Event:
    return new_event(
        "gov.agencybus.conversation.MessageSent",
        source="assistant:tax-board",
        conversation_id=conversation,
        authority="tax-board",
        message_id=str(uuid.uuid4()),
        author_role="END_USER",
        text=text,
    )


async def publish(settings: Settings, topic: str, events: list[Event]) -> None:
    async with Publisher(settings) as publisher:
        await publisher.publish_many(topic, events)


async def until(condition: Callable[[], bool], what: str, timeout_s: float = 60) -> None:
    try:
        async with asyncio.timeout(timeout_s):
            while True:
                if condition():
                    return
                await asyncio.sleep(0.05)
    except TimeoutError:
        raise AssertionError(f"still waiting for: {what}") from None


async def committed(admin: AIOKafkaAdminClient, group: str) -> int:
    offsets = await admin.list_consumer_group_offsets(group)
    return sum(meta.offset for meta in offsets.values() if meta.offset > 0)


async def test_a_failing_endpoint_is_retried_with_signed_requests_until_it_accepts(
    settings: Settings, new_topic: NewTopic, serve: Any, kafka_admin: AIOKafkaAdminClient
) -> None:
    async def twice_down(request: Request) -> int:
        return 503 if request.attempt < 3 else 200

    endpoint = await serve(twice_down)
    inbox = await new_topic("webhooks.inbox.tax-board")
    event = conversation_event("conv-r", "please retry")
    await publish(settings, inbox, [event])

    target = WebhookTarget("retrying-board", inbox, endpoint.url, SECRET)
    async with WebhookRunner(settings, [target]) as runner:
        delivery = runner.deliveries["retrying-board"]
        await until(lambda: delivery.delivered == 1, "the event delivered")
        group = delivery.group_id
        await until_committed(kafka_admin, group, 1)

    assert [r.attempt for r in endpoint.requests] == [1, 2, 3]
    assert {r.event_id for r in endpoint.requests} == {event.id}
    assert all(r.signed for r in endpoint.requests)
    body = endpoint.delivered[0].body
    assert body["id"] == event.id and body["type"] == event.type
    assert body["subject"] == "conv-r" and body["data"]["text"] == "please retry"
    assert delivery.dead_lettered == 0
    attempts = {
        result: REGISTRY.get_sample_value(
            "bus_webhook_attempts_total", {"authority": "retrying-board", "result": result}
        )
        for result in ("failed", "delivered")
    }
    assert attempts == {"failed": 2.0, "delivered": 1.0}


async def until_committed(admin: AIOKafkaAdminClient, group: str, offset: int) -> None:
    async with asyncio.timeout(30):
        while True:
            if await committed(admin, group) >= offset:
                return
            await asyncio.sleep(0.1)


async def test_each_conversation_arrives_in_order_despite_retries(
    settings: Settings, new_topic: NewTopic, serve: Any
) -> None:
    chance = random.Random(7)

    async def flaky(request: Request) -> int:
        return 500 if request.attempt == 1 and chance.random() < 0.4 else 200

    endpoint = await serve(flaky)
    inbox = await new_topic("webhooks.inbox.ordered", 3)
    conversations = [f"conv-{n}" for n in range(4)]
    events = [conversation_event(c, f"{c} #{i}") for i in range(5) for c in conversations]
    await publish(settings, inbox, events)

    target = WebhookTarget("tax-board", inbox, endpoint.url, SECRET)
    async with WebhookRunner(settings, [target]) as runner:
        delivery = runner.deliveries["tax-board"]
        await until(lambda: delivery.delivered == len(events), "every event delivered")

    assert any(r.attempt > 1 for r in endpoint.requests), "the endpoint never failed"
    for conversation in conversations:
        received = [
            r.body["data"]["text"] for r in endpoint.delivered if r.body["subject"] == conversation
        ]
        assert received == [f"{conversation} #{i}" for i in range(5)]
    assert sorted(r.event_id for r in endpoint.delivered) == sorted(e.id or "" for e in events)


async def test_after_the_last_attempt_the_event_is_dead_lettered_with_the_last_error(
    settings: Settings, new_topic: NewTopic, serve: Any, kafka_admin: AIOKafkaAdminClient
) -> None:
    async def refuse(request: Request) -> int:
        return 422 if "malformed" in request.body["data"]["text"] else 500

    endpoint = await serve(refuse)
    inbox = await new_topic("webhooks.inbox.dead")
    failing = conversation_event("conv-d", "down for good")
    refused = conversation_event("conv-d", "malformed for the service")
    await publish(settings, inbox, [failing, refused])
    originals = await read_records(settings.bootstrap_servers, inbox, 2)

    target = WebhookTarget("tax-board", inbox, endpoint.url, SECRET)
    async with WebhookRunner(settings, [target]) as runner:
        delivery = runner.deliveries["tax-board"]
        await until(lambda: delivery.dead_lettered == 2, "both events dead-lettered")
        await until_committed(kafka_admin, delivery.group_id, 2)

    attempts = [(r.event_id, r.attempt) for r in endpoint.requests]
    assert attempts == [(failing.id, 1), (failing.id, 2), (failing.id, 3), (refused.id, 1)]
    records = await read_records(settings.bootstrap_servers, settings.dead_letter_topic, 2)
    letters = [DeadLetter.from_message(r.key, r.value, r.headers) for r in records]
    assert [letter.reason for letter in letters] == ["webhook-failed", "webhook-rejected"]
    assert "attempt 3: HTTP 500" in letters[0].error
    assert "attempt 1: HTTP 422" in letters[1].error
    assert [letter.value for letter in letters] == [r.value for r in originals]
    assert [letter.offset for letter in letters] == [0, 1]
    assert {letter.topic for letter in letters} == {inbox}
    assert letters[0].agent == "webhooks:tax-board"
    counted = {
        reason: REGISTRY.get_sample_value(
            "bus_events_dead_lettered_total",
            {"agent": "webhooks:tax-board", "topic": inbox, "reason": reason},
        )
        for reason in ("webhook-failed", "webhook-rejected")
    }
    assert counted == {"webhook-failed": 1.0, "webhook-rejected": 1.0}


async def test_a_dead_endpoint_of_one_authority_does_not_hold_up_another(
    settings: Settings, new_topic: NewTopic, serve: Any
) -> None:
    never = asyncio.Event()

    async def hang(request: Request) -> int:
        await never.wait()
        return 200

    async def accept(request: Request) -> int:
        return 200

    dead, alive = await serve(hang), await serve(accept)
    dead_inbox = await new_topic("webhooks.inbox.police")
    alive_inbox = await new_topic("webhooks.inbox.tax")
    await publish(settings, dead_inbox, [conversation_event("conv-p", "stuck")])
    events = [conversation_event("conv-t", f"answer {i}") for i in range(5)]
    await publish(settings, alive_inbox, events)

    slow = settings.model_copy(update={"webhook_timeout_s": 120.0})
    targets = [
        WebhookTarget("police", dead_inbox, dead.url, SECRET),
        WebhookTarget("tax-board", alive_inbox, alive.url, SECRET),
    ]
    async with WebhookRunner(slow, targets) as runner:
        await until(lambda: len(dead.requests) == 1, "the dead endpoint called")
        await until(lambda: runner.deliveries["tax-board"].delivered == 5, "tax-board delivered")
        assert len(dead.requests) == 1 and not dead.delivered  # still hanging on attempt 1
        assert runner.deliveries["police"].delivered == 0
    never.set()  # let the hung request finish, so the endpoint shuts down at once
    assert [r.body["data"]["text"] for r in alive.delivered] == [f"answer {i}" for i in range(5)]


async def test_a_stuck_conversation_holds_up_only_its_own_partition_of_the_inbox(
    settings: Settings, new_topic: NewTopic, serve: Any
) -> None:
    partitioner = DefaultPartitioner()
    stuck_key, free_key = "conv-a", "conv-b"
    assert partitioner(stuck_key.encode(), [0, 1], [0, 1]) != partitioner(
        free_key.encode(), [0, 1], [0, 1]
    ), "the two conversations must land in different partitions"
    never = asyncio.Event()

    async def stuck_for_one(request: Request) -> int:
        if request.body["subject"] == stuck_key:
            await never.wait()
        return 200

    endpoint = await serve(stuck_for_one)
    inbox = await new_topic("webhooks.inbox.lanes", 2)
    stuck = [conversation_event(stuck_key, f"stuck {i}") for i in range(2)]
    free = [conversation_event(free_key, f"free {i}") for i in range(4)]
    await publish(settings, inbox, [stuck[0], free[0], stuck[1], *free[1:]])

    slow = settings.model_copy(update={"webhook_timeout_s": 120.0})
    async with WebhookRunner(slow, [WebhookTarget("tax-board", inbox, endpoint.url, SECRET)]):
        await until(lambda: len(endpoint.delivered) == 4, "the other conversation delivered")
        waiting = [r.body["data"]["text"] for r in endpoint.requests if r not in endpoint.delivered]
        assert waiting == ["stuck 0"]  # its next event waits behind it, in order
    never.set()
    assert [r.body["data"]["text"] for r in endpoint.delivered] == [f"free {i}" for i in range(4)]
