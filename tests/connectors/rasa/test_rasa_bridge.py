"""The Rasa bridge: a recorded Rasa conversation becomes the bus's conversation events.

``recorded_events.jsonl`` holds one conversation that touches every tracker
event type, in the shape Rasa 3's Kafka event broker publishes (one JSON
object per message: the event's ``as_dict()`` fields merged with
``sender_id``), a second sender, and ``flow_started``, a Rasa Pro type the
bridge does not know. It was written from Rasa's event classes, not captured
from a running Rasa (which this project does not install).
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer
from prometheus_client import REGISTRY

from bus.catalogue import Catalogue
from bus.deadletters import DeadLetter
from bus.schemas.event import Event
from bus.settings import Settings
from connectors.rasa import IGNORED, RasaBridge, translate
from tests.records import read_records

NewTopic = Callable[..., Awaitable[str]]
Names = Callable[[str], str]
RECORDED = Path(__file__).with_name("recorded_events.jsonl")
SENDER, OTHER = "7f3c9a52e1b44d0c", "a0e1d2c3b4a59687"

EXPECTED = [
    (SENDER, "ConversationStatusChanged", {"status": "OPEN", "previous_status": None}),
    (SENDER, "MessageSent", {"author_role": "END_USER", "text": "Hi", "language": "en"}),
    (SENDER, "IntentClassified", {"intent": "greet", "confidence": 0.9812, "classifier": "rasa"}),
    (SENDER, "MessageSent", {"author_role": "BOT", "text": "Hello! How can I help you?"}),
    (
        SENDER,
        "MessageSent",
        {"author_role": "END_USER", "text": "I need to file my tax return for 2025"},
    ),
    (SENDER, "IntentClassified", {"intent": "tax.return", "confidence": 0.8734}),
    (SENDER, "MessageSent", {"author_role": "BOT", "text": "What was your income?"}),
    (SENDER, "ConversationStatusChanged", {"status": "IDLE", "previous_status": "OPEN"}),
    (SENDER, "MessageSent", {"author_role": "BACKOFFICE_USER"}),
    (SENDER, "ConversationStatusChanged", {"status": "OPEN", "previous_status": "IDLE"}),
    (SENDER, "HandoffRequested", {"trigger": "CITIZEN_REQUEST", "requested_by": "END_USER"}),
    (SENDER, "ConversationEnded", {"reason": "OTHER", "ended_by": "END_USER"}),
    (OTHER, "MessageSent", {"author_role": "END_USER", "text": "Tere"}),
]


def recorded() -> list[dict[str, Any]]:
    return [json.loads(line) for line in RECORDED.read_text().splitlines()]


def assert_expected(events: list[Event]) -> None:
    assert len(events) == len(EXPECTED)
    for event, (sender, type_name, fields) in zip(events, EXPECTED, strict=True):
        assert event.type == f"gov.agencybus.conversation.{type_name}"
        assert event.subject == sender
        assert event.source == "assistant:tax-board"
        assert {name: event.data[name] for name in fields} == fields
    user, intent = events[1], events[2]
    assert intent.data["message_id"] == user.data["message_id"] == "b1a2c3d4e5f60718"
    assert events[0].occurred_at is not None and events[0].occurred_at.year == 2026


def test_the_recorded_fixture_covers_every_rasa_event_type() -> None:
    types = {row["event"] for row in recorded()}
    mapped = {"user", "bot", "agent", "session_started", "pause", "resume", "restart"}
    rasa_names = (IGNORED | mapped) - {"user_utterance_reverted", "action_reverted"}
    rasa_names -= {"session_ended", "routing_session_ended"}  # Rasa Pro only
    assert rasa_names <= types
    assert "flow_started" in types and "flow_started" not in IGNORED


def test_recorded_rasa_events_translate_into_the_expected_conversation_events() -> None:
    events: list[Event] = []
    skipped: Counter[str] = Counter()
    for index, row in enumerate(recorded()):
        translation = translate(row, authority="tax-board", origin=f"fixture/{index}")
        events += translation.events
        if translation.skipped:
            skipped[translation.skipped] += 1
    assert_expected(events)
    assert skipped["unknown"] == 1
    again = translate(recorded()[3], authority="tax-board", origin="fixture/3").events
    assert [e.id for e in again] == [e.id for e in events[1:3]]


@pytest.mark.broker
async def test_the_bridge_publishes_recorded_rasa_events_and_dead_letters_what_it_cannot_read(
    settings_with_registry: Settings, new_topic: NewTopic, unique_name: Names
) -> None:
    rasa_topic = await new_topic("rasa-events")
    assistant_events = await new_topic("rasa.assistant-events", 3)
    settings = settings_with_registry.model_copy(
        update={
            "app_id": unique_name("rasa-app"),
            "dead_letter_topic": await new_topic("rasa.deadletters"),
        }
    )
    catalogue = Catalogue.model_validate(
        {
            "authorities": {"tax-board": {"code": "tax-board", "name": "Tax"}},
            "topics": {"assistant_events": assistant_events},
        }
    )
    lines = RECORDED.read_bytes().splitlines()
    poison = [
        b'{"sender_id": "x", "event": "user", "text": ',
        b'["not", "an", "event"]',
        b'{"sender_id": "x", "event": "user", "parse_data": {"intent": {"name": "a", '
        b'"confidence": "high"}}}',
    ]
    producer = AIOKafkaProducer(bootstrap_servers=settings.bootstrap_servers, acks="all")
    await producer.start()
    try:
        for line in [*lines[:5], poison[0], *lines[5:], poison[1], poison[2]]:
            sender = json.loads(line)["sender_id"].encode() if line not in poison else b"x"
            await producer.send_and_wait(rasa_topic, line, key=sender)
    finally:
        await producer.stop()

    async with RasaBridge(settings, catalogue, "tax-board", rasa_topic) as bridge:
        async with asyncio.timeout(60):
            while True:
                if bridge.published >= len(EXPECTED) and bridge.dead_lettered >= 3:
                    break
                await asyncio.sleep(0.1)
        assert bridge.unknown == Counter({"flow_started": 1})

    published = await read_records(settings.bootstrap_servers, assistant_events, len(EXPECTED))
    events = [await bridge.producer.runtime.decode(r.value) for r in published]
    events.sort(key=lambda e: (e.subject != SENDER, e.occurred_at))  # one partition per key
    assert_expected(events)
    letters = [
        DeadLetter.from_message(r.key, r.value, r.headers)
        for r in await read_records(settings.bootstrap_servers, settings.dead_letter_topic, 3)
    ]
    assert [(d.reason, d.value) for d in letters] == [
        ("not-json", poison[0]),
        ("not-rasa-event", poison[1]),
        ("not-translatable", poison[2]),
    ]
    assert "could not convert string to float" in letters[2].error
    assert all(d.topic == rasa_topic and d.agent == "rasa-bridge:tax-board" for d in letters)
    counted = {
        reason: REGISTRY.get_sample_value(
            "bus_events_dead_lettered_total",
            {"agent": "rasa-bridge:tax-board", "topic": rasa_topic, "reason": reason},
        )
        for reason in ("not-json", "not-rasa-event", "not-translatable")
    }
    assert counted == {"not-json": 1.0, "not-rasa-event": 1.0, "not-translatable": 1.0}
