"""The Subscriber on the real broker and registry; its id window without either."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient

from bus.client import Delivery, Event, Publisher, RecentIds, Subscriber, new_event
from bus.deadletters import DeadLetter
from bus.errors import NotWireFormatError
from bus.schemas.wire import frame
from bus.settings import Settings
from tests.records import read_records

NewTopic = Callable[..., Awaitable[str]]
Names = Callable[[str], str]
GREETING = "gov.agencybus.conversation.Greeting"
CREATED = "gov.agencybus.servicerequest.ServiceRequestCreated"


def _events(conversations: int, per_conversation: int) -> list[Event]:
    """Interleaved conversations whose events alternate between two types."""
    events = []
    for step in range(per_conversation):
        for n in range(conversations):
            common: dict[str, Any] = {"source": "assistant:test", "conversation_id": f"c-{n}"}
            if step % 2:
                event = new_event(
                    CREATED, request_id=f"r-{n}-{step}", service_code="tax.refund", **common
                )
                event.data["provider"] = "tax-board"
                events.append(event)
            else:
                events.append(new_event(GREETING, text=f"step {step}", **common))
    return events


async def _take(inbox: Subscriber, count: int, timeout_s: float = 30) -> list[Delivery]:
    taken: list[Delivery] = []
    async with asyncio.timeout(timeout_s):
        async for delivery in inbox:
            taken.append(delivery)
            if len(taken) == count:
                break
    return taken


@pytest.mark.broker
async def test_publish_many_arrives_typed_and_in_order_per_conversation(
    settings_with_registry: Settings, new_topic: NewTopic, unique_name: Names
) -> None:
    topic = await new_topic("inbox", 3)
    events = _events(conversations=4, per_conversation=6)
    async with Publisher(settings_with_registry) as bus:
        await bus.publish_many(topic, events)
    async with Subscriber(
        settings_with_registry, topics=[topic], group_id=unique_name("group")
    ) as inbox:
        received = await _take(inbox, len(events))

    sent_by_key: dict[str | None, list[tuple[str | None, str]]] = defaultdict(list)
    got_by_key: dict[str | None, list[tuple[str | None, str]]] = defaultdict(list)
    for event in events:
        sent_by_key[event.subject].append((event.id, event.type))
    for delivery in received:
        got_by_key[delivery.event.subject].append((delivery.event.id, delivery.event.type))
        assert delivery.key == delivery.event.key
        assert delivery.ce is not None and delivery.ce.type == delivery.event.type
    assert got_by_key == sent_by_key
    assert inbox.duplicates_dropped == inbox.dead_lettered == 0


@pytest.mark.broker
async def test_new_member_resumes_after_the_committed_offset_and_rereceives_uncommitted(
    settings_with_registry: Settings,
    new_topic: NewTopic,
    unique_name: Names,
    kafka_admin: AIOKafkaAdminClient,
) -> None:
    topic = await new_topic("inbox", 1)
    group = unique_name("group")
    async with Publisher(settings_with_registry) as bus:
        await bus.publish_many(topic, _events(conversations=1, per_conversation=10))

    def member() -> Subscriber:
        return Subscriber(settings_with_registry, topics=[topic], group_id=group)

    async with member() as first:
        half = await _take(first, 5)
        await first.commit(half[-1])
    async with member() as second:
        uncommitted = await _take(second, 2)
    async with member() as third:
        rest = await _take(third, 5)
        await third.commit()

    assert [d.offset for d in half] == [0, 1, 2, 3, 4]
    assert [d.offset for d in uncommitted] == [5, 6]
    assert [d.offset for d in rest] == [5, 6, 7, 8, 9]
    committed = await kafka_admin.list_consumer_group_offsets(group)
    assert [meta.offset for meta in committed.values()] == [10]


@pytest.mark.broker
async def test_repeated_event_id_is_dropped_and_counted_unless_deduplication_is_off(
    settings_with_registry: Settings, new_topic: NewTopic, unique_name: Names
) -> None:
    topic = await new_topic("inbox", 1)
    once, twice, after = _events(conversations=1, per_conversation=3)
    async with Publisher(settings_with_registry) as bus:
        await bus.publish_many(topic, [once, twice, twice, after])

    async with Subscriber(
        settings_with_registry, topics=[topic], group_id=unique_name("group")
    ) as inbox:
        deduplicated = await _take(inbox, 3)
    async with Subscriber(
        settings_with_registry, topics=[topic], group_id=unique_name("group"), deduplicate=False
    ) as raw:
        everything = await _take(raw, 4)

    assert [d.event.id for d in deduplicated] == [once.id, twice.id, after.id]
    assert [d.offset for d in deduplicated] == [0, 1, 3]
    assert inbox.duplicates_dropped == 1
    assert len(everything) == 4 and raw.duplicates_dropped == 0


@pytest.mark.broker
async def test_undecodable_messages_become_dead_letters_and_later_events_still_arrive(
    settings_with_registry: Settings, new_topic: NewTopic, unique_name: Names
) -> None:
    topic = await new_topic("inbox", 1)
    settings = settings_with_registry.model_copy(
        update={"dead_letter_topic": await new_topic("deadletters", 1)}
    )
    good = _events(conversations=1, per_conversation=1)[0]
    async with Publisher(settings) as bus:
        truncated = bus.codec.encode(good)[:-3]
        poison = [b"not avro at all", frame(987_654, b"\x02x"), truncated]
        producer = AIOKafkaProducer(bootstrap_servers=settings.bootstrap_servers)
        await producer.start()
        try:
            for value in poison:
                await producer.send_and_wait(topic, value, key=b"c-0", headers=[("h", b"v")])
        finally:
            await producer.stop()
        await bus.publish(topic, good)

    group = unique_name("group")
    async with Subscriber(settings, topics=[topic], group_id=group) as inbox:
        (delivery,) = await _take(inbox, 1)
        await inbox.commit()
    letters = [
        DeadLetter.from_message(m.key, m.value, m.headers)
        for m in await read_records(settings.bootstrap_servers, settings.dead_letter_topic, 3)
    ]

    assert delivery.event.id == good.id and delivery.offset == 3
    assert inbox.dead_lettered == 3
    assert [letter.reason for letter in letters] == [
        "not-wire-format",
        "unknown-schema-id",
        "corrupt-record",
    ]
    assert [letter.value for letter in letters] == poison
    assert [(letter.topic, letter.offset) for letter in letters] == [(topic, n) for n in range(3)]
    assert all(letter.key == b"c-0" and letter.headers == [("h", b"v")] for letter in letters)
    assert {letter.agent for letter in letters} == {f"subscriber:{group}"}


@pytest.mark.broker
async def test_on_error_raise_raises_and_keeps_the_bad_message_unconsumed(
    settings_with_registry: Settings, new_topic: NewTopic, unique_name: Names
) -> None:
    topic = await new_topic("inbox", 1)
    producer = AIOKafkaProducer(bootstrap_servers=settings_with_registry.bootstrap_servers)
    await producer.start()
    try:
        await producer.send_and_wait(topic, b"garbage")
    finally:
        await producer.stop()

    async with Subscriber(
        settings_with_registry, topics=[topic], group_id=unique_name("group"), on_error="raise"
    ) as inbox:
        for _ in range(2):
            with pytest.raises(NotWireFormatError):
                await _take(inbox, 1)
    assert inbox.dead_lettered == 0


@pytest.mark.broker
async def test_stop_from_another_task_ends_the_iteration(
    settings_with_registry: Settings, new_topic: NewTopic, unique_name: Names
) -> None:
    topic = await new_topic("inbox", 1)
    inbox = Subscriber(settings_with_registry, topics=[topic], group_id=unique_name("group"))
    await inbox.start()
    reading = asyncio.create_task(_take(inbox, 1))
    await asyncio.sleep(0.5)
    await inbox.stop()
    assert await asyncio.wait_for(reading, 5) == []


def test_recent_ids_report_repeats_within_the_window() -> None:
    recent = RecentIds(capacity=3)
    assert [recent.seen(i) for i in ["a", "b", "a", "c"]] == [False, False, True, False]
    assert len(recent) == 3


def test_recent_ids_evict_the_least_recently_seen_beyond_capacity() -> None:
    recent = RecentIds(capacity=2)
    recent.seen("a")
    recent.seen("b")
    recent.seen("a")
    recent.seen("c")
    assert "b" not in recent and "a" in recent and "c" in recent
    assert recent.seen("b") is False


def test_recent_ids_need_room_for_one_id() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        RecentIds(capacity=0)
