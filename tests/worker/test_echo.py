"""The echo agent in a real ``bus worker`` process on the real broker."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Awaitable, Callable

import pytest
from aiokafka import AIOKafkaProducer

from bus.catalogue import load_catalogue
from bus.client import Publisher
from bus.deadletters import DeadLetter
from bus.demo.scenario import build
from bus.schemas.wire import frame
from bus.settings import Settings
from bus.supervise import Service
from tests.records import read_records

pytestmark = [pytest.mark.broker, pytest.mark.slow]

WORKER_S = 90.0
"""How long a worker that is starting may take to echo."""


@pytest.fixture
async def echo_topics(new_topic: Callable[..., Awaitable[str]]) -> dict[str, str]:
    return {
        "heartbeat_topic": await new_topic("heartbeats", 3),
        "echo_topic": await new_topic("echoes", 3),
        "dead_letter_topic": await new_topic("deadletters", 1),
    }


async def test_worker_echoes_every_event_typed_and_in_conversation_order(
    settings_with_registry: Settings,
    echo_topics: dict[str, str],
    start_worker: Callable[..., Service],
    unique_name: Callable[[str], str],
) -> None:
    worker = start_worker(app_id=unique_name("app"), **echo_topics)
    settings = settings_with_registry.model_copy(update=echo_topics)
    events = build(load_catalogue(settings.catalogue), 8).events
    async with Publisher(settings) as publisher:
        for event in events:
            await publisher.publish(settings.heartbeat_topic, event)
        messages = await read_records(
            settings.bootstrap_servers, settings.echo_topic, len(events), WORKER_S
        )
        assert worker.running, worker.log_tail()
        echoed = [await publisher.codec.decode_async(m.value) for m in messages]
    assert sorted(e.id or "" for e in echoed) == sorted(e.id or "" for e in events)
    by_conversation: dict[str | None, list[str | None]] = defaultdict(list)
    for message, event in zip(messages, echoed, strict=True):
        assert message.key == event.key
        assert dict(message.headers)["ce_id"] == (event.id or "").encode()
        by_conversation[event.subject].append(event.id)
    for event_ids in by_conversation.values():
        sent = [e.id for e in events if e.id in set(event_ids)]
        assert event_ids == sent


async def test_poison_messages_become_dead_letters_and_later_events_still_flow(
    settings_with_registry: Settings,
    echo_topics: dict[str, str],
    start_worker: Callable[..., Service],
    unique_name: Callable[[str], str],
) -> None:
    settings = settings_with_registry.model_copy(update=echo_topics)
    start_worker(app_id=unique_name("app"), **echo_topics)
    good = build(load_catalogue(settings.catalogue), 2).events
    async with Publisher(settings) as publisher:
        valid = publisher.codec.encode(good[0])
        poison = {
            "not-wire-format": b"\x7bgarbage, not avro",
            "unknown-schema-id": frame(0x7FFFFFF0, valid[5:]),
            "corrupt-record": valid[: len(valid) // 2],
        }
        producer = AIOKafkaProducer(bootstrap_servers=settings.bootstrap_servers, acks="all")
        await producer.start()
        try:
            for reason, value in poison.items():
                await producer.send_and_wait(
                    settings.heartbeat_topic,
                    value,
                    key=b"c-1",
                    headers=[("origin", reason.encode())],
                )
        finally:
            await producer.stop()
        for event in good:
            await publisher.publish(settings.heartbeat_topic, event)
    letters_raw, echoed = await asyncio.gather(
        read_records(settings.bootstrap_servers, settings.dead_letter_topic, 3, WORKER_S),
        read_records(settings.bootstrap_servers, settings.echo_topic, len(good), WORKER_S),
    )
    assert len(echoed) == len(good)
    letters = [DeadLetter.from_message(m.key, m.value, m.headers) for m in letters_raw]
    assert {letter.reason for letter in letters} == set(poison)
    for letter in letters:
        assert letter.value == poison[letter.reason]
        assert letter.key == b"c-1"
        assert ("origin", letter.reason.encode()) in letter.headers
        assert letter.topic == settings.heartbeat_topic
        assert letter.offset >= 0 and letter.error
