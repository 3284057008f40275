"""The sandbox feed in a real ``bus worker`` on the real broker: scrubbed, audited, dead letters."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from bus.audit.replay import Replayed
from bus.client import Publisher
from bus.sandbox.collect import collect
from bus.schemas.event import Event, new_event
from bus.schemas.types import INTENT_CLASSIFIED, MESSAGE_SENT
from bus.settings import Settings
from bus.supervise import Service
from tests.audit.broker import key_pair, read_audit, records
from tests.sandbox.catalogue import with_sandbox

pytestmark = [pytest.mark.broker, pytest.mark.slow]

CODE, PHONE = "37605030299", "+372 5123 4567"


def _turn(conversation: str, role: str = "END_USER", authority: str = "tax-board") -> Event:
    return new_event(
        MESSAGE_SENT,
        source=f"assistant:{authority}",
        authority=authority,
        conversation_id=conversation,
        message_id=f"m-{uuid.uuid4().hex[:6]}",
        author_role=role,
        author_id="citizen-42",
        author_display_name="Mari Maasikas",
        text=f"My code is {CODE}, call me at {PHONE}",
    )


def _answer(turn: str) -> Event:
    return new_event(
        INTENT_CLASSIFIED,
        source="candidate:tax-v2",
        conversation_id="c-1",
        causation_id=turn,
        intent="tax",
        confidence=0.9,
    )


async def _until(
    settings: Settings, topics: list[str], done: Callable[[list[Replayed]], bool]
) -> list[Replayed]:
    deadline = time.monotonic() + 120
    while True:
        found = await collect(settings, topics)
        if done(found):
            return found
        assert time.monotonic() < deadline, f"{topics}: only {len(found)} events"
        await asyncio.sleep(0.5)


async def _dead_letters(bootstrap: str, topic: str, count: int) -> list[tuple[str, str]]:
    """The first ``count`` dead letters' reasons, each with its error."""
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest")
    letters: list[tuple[str, str]] = []
    try:
        await consumer.start()
        for _ in range(count):
            message = await asyncio.wait_for(consumer.getone(), 120)
            headers = dict(message.headers or [])
            letters.append((headers["bus_dlq_reason"].decode(), headers["bus_dlq_error"].decode()))
    finally:
        await consumer.stop()
    return letters


async def test_citizen_turns_arrive_scrubbed_and_audited_and_bad_answers_are_dead_letters(
    settings_with_registry: Settings,
    start_worker: Callable[..., Service],
    tmp_path: Path,
    unique_name: Callable[[str], str],
) -> None:
    settings = settings_with_registry
    prefix = unique_name("sb")
    path, box = with_sandbox(tmp_path, prefix)
    private, _ = key_pair()
    worker = start_worker(
        "feed",
        catalogue=str(path),
        agents="sandbox,auditor",
        app_id=unique_name("app"),
        audit_signing_key=private,
        audit_pseudonym_key=uuid.uuid4().hex,
    )
    citizen = _turn("c-1")
    others = [_turn("c-1", role="BOT"), _turn("c-2", authority="police")]
    unnamed = new_event(
        INTENT_CLASSIFIED,
        source="candidate:tax-v2",
        conversation_id="c-1",
        intent="tax",
        confidence=0.9,
    )
    await asyncio.to_thread(worker.wait_until, lambda: worker.logged("Worker ready"), 90)
    async with Publisher(settings) as publisher:
        for event in (*others, citizen):
            await publisher.publish(f"{prefix}.assistant-events", event)
        fed = await _until(settings, [box["input"]], lambda found: len(found) >= 1)
        for answer in (_answer(citizen.id), _answer("no-such-turn"), unnamed):
            await publisher.publish(box["answers"], answer)
        codec = publisher.codec
    producer = AIOKafkaProducer(bootstrap_servers=settings.bootstrap_servers)
    await producer.start()
    try:
        await producer.send_and_wait(box["answers"], b"free text, not an event", key=b"c-1")
    finally:
        await producer.stop()
    assert [item.event.id for item in fed] == [citizen.id]
    seen = fed[0].event.data
    assert CODE not in seen["text"] and "5123 4567" not in seen["text"]
    assert "<isikukood:hmac:" in seen["text"] and "<phone:hmac:" in seen["text"]
    assert seen["author_id"].startswith("hmac:") and "Mari" not in seen["author_display_name"]

    _, raw = await read_audit(
        settings.bootstrap_servers,
        codec,
        f"{prefix}.audit",
        lambda found: any(
            r["topic"] == box["input"] and str(r["event_id"]) == citizen.id for r in records(found)
        ),
    )
    assert all(CODE.encode() not in value for value in raw)
    # The answer to the fed turn went first on the same partition: it would be among these.
    letters = await _dead_letters(settings.bootstrap_servers, f"{prefix}.deadletters", 3)
    reasons = dict(letters)
    assert sorted(reasons) == ["names-no-turn", "not-wire-format", "unknown-turn"], letters
    assert "'no-such-turn'" in reasons["unknown-turn"]
    assert worker.running, worker.log_tail()
