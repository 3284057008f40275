"""A sandbox's replayed range on the real broker: past turns in the range, once, scrubbed."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from aiokafka import AIOKafkaProducer

from bus.client import Publisher
from bus.kafka.admin import TopicSpec, ensure_topics
from bus.sandbox.collect import collect
from bus.schemas.event import Event, new_event
from bus.schemas.types import MESSAGE_SENT
from bus.settings import Settings
from bus.supervise import run_bus
from tests.sandbox.catalogue import with_sandbox

pytestmark = [pytest.mark.broker, pytest.mark.slow]

DAY_MS = 24 * 3600 * 1000


def _turn(text: str) -> Event:
    return new_event(
        MESSAGE_SENT,
        source="assistant:tax-board",
        authority="tax-board",
        conversation_id=f"c-{uuid.uuid4().hex[:8]}",
        message_id="m1",
        author_role="END_USER",
        text=text,
    )


def _iso(ms: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ms / 1000))


async def test_replay_feeds_the_turns_of_the_range_once_and_scrubbed(
    settings_with_registry: Settings, tmp_path: Path, unique_name: Callable[[str], str]
) -> None:
    settings = settings_with_registry
    prefix = unique_name("sbr")
    start = (int(time.time() * 1000) // 1000) * 1000 - 2 * DAY_MS
    path, box = with_sandbox(
        tmp_path,
        prefix,
        live=False,
        replay=[{"from": _iso(start), "to": _iso(start + 3600_000)}],
    )
    topic = f"{prefix}.assistant-events"
    await ensure_topics(
        settings.bootstrap_servers, [TopicSpec(topic, 2), TopicSpec(box["input"], 2)]
    )
    inside = [_turn("My code is 37605030299"), _turn("a question")]
    before, after = _turn("too early"), _turn("too late")
    async with Publisher(settings) as publisher:
        producer = AIOKafkaProducer(bootstrap_servers=settings.bootstrap_servers)
        await producer.start()
        try:
            for event, at in (
                (before, start - DAY_MS),
                (inside[0], start + 1000),
                (inside[1], start + 2000),
                (after, start + 7200_000),
            ):
                value = publisher.codec.encode(event)
                await producer.send_and_wait(topic, value, key=event.key, timestamp_ms=at)
        finally:
            await producer.stop()
    env = {
        "BUS_BOOTSTRAP_SERVERS": settings.bootstrap_servers,
        "BUS_SCHEMA_REGISTRY_URL": settings.schema_registry_url,
        "BUS_CATALOGUE": str(path),
        "BUS_AUDIT_PSEUDONYM_KEY": uuid.uuid4().hex,
    }
    first = await asyncio.to_thread(run_bus, "sandbox", "replay", "tax-v2", env=env)
    assert first.returncode == 0, first.stderr
    assert "fed 2 new turn(s)" in first.stdout
    again = await asyncio.to_thread(run_bus, "sandbox", "replay", "tax-v2", env=env)
    assert "fed 0 new turn(s)" in again.stdout, again.stderr
    found = await collect(settings, [box["input"]])
    assert sorted(str(item.event.id) for item in found) == sorted(str(e.id) for e in inside)
    assert all("37605030299" not in item.event.data["text"] for item in found)
