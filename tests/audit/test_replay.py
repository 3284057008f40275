"""``bus replay`` on the real broker: time ranges, filters, output formats, re-publishing."""

from __future__ import annotations

import asyncio
import json
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

import fastavro
import pytest
from aiokafka import AIOKafkaConsumer

from bus.audit.pseudonym import Pseudonymizer
from bus.audit.record import REPLAY_HEADER
from bus.client import Publisher
from bus.schemas.event import Event, new_event
from bus.settings import Settings
from bus.supervise import run_bus

pytestmark = [pytest.mark.broker]

MS = "gov.agencybus.conversation.MessageSent"
GREETING = "gov.agencybus.conversation.Greeting"


def _batch(tag: str, count: int) -> list[Event]:
    events = []
    for i in range(count):
        ids = {"conversation_id": f"c-{i % 4}", "authority": "tax-board" if i % 2 else "police"}
        if i % 3 == 0:
            events.append(new_event(GREETING, source="assistant:x", text=f"hi {tag}", **ids))
        else:
            events.append(
                new_event(
                    MS,
                    source="assistant:x",
                    message_id=f"{tag}-{i}",
                    author_role="END_USER",
                    text=f"{tag} {i}",
                    **ids,
                )
            )
    return events


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


def _replay(settings: Settings, *args: str) -> tuple[str, str]:
    env = {
        "BUS_BOOTSTRAP_SERVERS": settings.bootstrap_servers,
        "BUS_SCHEMA_REGISTRY_URL": settings.schema_registry_url,
    }
    result = run_bus("replay", *args, env=env)
    assert result.returncode == 0, result.stderr
    return result.stdout, result.stderr


async def _publish(publisher: Publisher, topic: str, events: list[Event]) -> dict[str, int]:
    """Publish in order; the partition each event landed in, by event id."""
    sent = await publisher.publish_many(topic, events)
    return {e.id or "": meta.partition for e, meta in zip(events, sent, strict=True)}


async def test_a_time_range_replays_exactly_the_events_produced_in_it_in_partition_order(
    settings_with_registry: Settings,
    new_topic: Callable[..., Awaitable[str]],
    tmp_path: Path,
) -> None:
    settings = settings_with_registry
    topic = await new_topic("events", 3)
    before, inside, after = _batch("before", 30), _batch("inside", 40), _batch("after", 30)
    async with Publisher(settings) as publisher:
        await _publish(publisher, topic, before)
        start = _now_ms() + 1
        await asyncio.sleep(0.02)
        partitions = await _publish(publisher, topic, inside)
        end = _now_ms() + 1
        await asyncio.sleep(0.02)
        await _publish(publisher, topic, after)
    out = tmp_path / "replay.jsonl"
    args = ["--topic", topic, "--from", str(start), "--to", str(end), "--out", str(out)]
    _, stderr = await asyncio.to_thread(_replay, settings, *args, "--progress")
    assert "events/s" in stderr and f"replayed {len(inside)} of {len(inside)}" in stderr
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert sorted(line["event"]["header"]["event_id"] for line in lines) == sorted(
        e.id or "" for e in inside
    )
    by_partition: dict[int, list[str]] = defaultdict(list)
    for line in lines:
        assert start <= line["timestamp"] < end
        by_partition[line["partition"]].append(line["event"]["header"]["event_id"])
    for partition, replayed in by_partition.items():
        assert replayed == [e.id for e in inside if partitions[e.id or ""] == partition]
    texts = {line["event"].get("text") for line in lines if line["type"] == MS}
    assert texts == {e.data["text"] for e in inside if e.type == MS}  # decoded, not bytes

    moment = datetime.fromtimestamp(start / 1000, UTC).isoformat(timespec="milliseconds")
    iso_start = moment.replace("+00:00", "Z")
    narrowed, _ = await asyncio.to_thread(
        _replay,
        settings,
        *["--topic", topic, "--from", iso_start, "--conversation", "c-1", "--type", "MessageSent"],
        "--authority",
        "tax-board",
    )
    got = [json.loads(line) for line in narrowed.splitlines()]
    wanted = [e for e in inside + after if e.type == MS and e.header["conversation_id"] == "c-1"]
    assert sorted(g["event"]["header"]["event_id"] for g in got) == sorted(
        e.id or "" for e in wanted
    )


async def test_replay_to_a_topic_round_trips_bytes_keys_and_order_marked_as_replays(
    settings_with_registry: Settings,
    new_topic: Callable[..., Awaitable[str]],
) -> None:
    settings = settings_with_registry
    source, target = await new_topic("events", 2), await new_topic("replayed", 2)
    events = _batch("round", 24)
    async with Publisher(settings) as publisher:
        await _publish(publisher, source, events)
        originals = {e.id: publisher.codec.encode(e) for e in events}
    await asyncio.to_thread(_replay, settings, "--topic", source, "--target-topic", target)
    consumer = AIOKafkaConsumer(
        target, bootstrap_servers=settings.bootstrap_servers, auto_offset_reset="earliest"
    )
    await consumer.start()
    messages = []
    try:
        while len(messages) < len(events):
            batch = await asyncio.wait_for(consumer.getmany(timeout_ms=500), 60)
            for found in batch.values():
                messages.extend(found)
    finally:
        await consumer.stop()
    assert sorted(m.value for m in messages) == sorted(originals.values())
    per_key: dict[bytes, list[bytes]] = defaultdict(list)
    for message in sorted(messages, key=lambda m: (m.partition, m.offset)):
        headers = dict(message.headers)
        assert REPLAY_HEADER in headers and "ce_id" in headers
        per_key[message.key].append(message.value)
    for key, values in per_key.items():
        assert values == [originals[e.id] for e in events if e.key == key]


async def test_avro_output_is_one_plain_container_file_per_event_type(
    settings_with_registry: Settings,
    new_topic: Callable[..., Awaitable[str]],
    tmp_path: Path,
) -> None:
    topic = await new_topic("events", 1)
    events = _batch("avro", 9)
    async with Publisher(settings_with_registry) as publisher:
        await _publish(publisher, topic, events)
    out = tmp_path / "avro"
    await asyncio.to_thread(
        _replay, settings_with_registry, "--topic", topic, "--format", "avro", "--out", str(out)
    )
    for type_name in (MS, GREETING):
        with (out / f"{type_name}.avro").open("rb") as file:
            rows = list(fastavro.reader(file))
        assert [str(r["header"]["event_id"]) for r in rows] == [  # type: ignore[index]
            e.id for e in events if e.type == type_name
        ]


async def test_a_scrubbed_replay_shows_the_words_and_no_identifier_nor_other_personal_data(
    settings_with_registry: Settings,
    new_topic: Callable[..., Awaitable[str]],
) -> None:
    settings = settings_with_registry
    topic = await new_topic("events", 1)
    typed = new_event(
        MS,
        source="assistant:x",
        conversation_id="c-9",
        message_id="m-9",
        author_role="END_USER",
        author_id="citizen-9",
        text="Minu isikukood on 38001085718, tel +372 5123 4567",
    )
    async with Publisher(settings) as publisher:
        await publisher.publish(topic, typed)
    key = "ab" * 32
    env = {
        "BUS_BOOTSTRAP_SERVERS": settings.bootstrap_servers,
        "BUS_SCHEMA_REGISTRY_URL": settings.schema_registry_url,
        "BUS_AUDIT_PSEUDONYM_KEY": key,
    }
    result = await asyncio.to_thread(run_bus, "replay", "--topic", topic, "--scrub", env=env)
    assert result.returncode == 0, result.stderr
    [line] = [json.loads(text) for text in result.stdout.splitlines()]
    pseudonyms = Pseudonymizer(bytes.fromhex(key))
    assert line["event"]["text"] == (
        f"Minu isikukood on <isikukood:{pseudonyms.pseudonym('38001085718')}>, "
        f"tel <phone:{pseudonyms.pseudonym('+37251234567')}>"
    )
    assert line["event"]["author_id"] == pseudonyms.pseudonym("citizen-9")
    assert "38001085718" not in result.stdout and "citizen-9" not in result.stdout
    both = await asyncio.to_thread(
        run_bus, "replay", "--topic", topic, "--scrub", "--target-topic", topic, env=env
    )
    assert both.returncode == 2 and "--scrub changes events" in both.stderr
