"""Publisher batches and service-request status updates."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from bus.client import Delivery, Event, Publisher, Subscriber, new_event, status_update
from bus.errors import EncodeError, SchemaError
from bus.kafka.local import free_port
from bus.schemas.types import GREETING, MESSAGE_SENT
from bus.settings import Settings

NewTopic = Callable[..., Awaitable[str]]
Names = Callable[[str], str]
NS = "gov.agencybus.servicerequest."


def _created(**header: Any) -> Event:
    ids = {
        "conversation_id": "c-1",
        "request_id": "r-1",
        "authority": "tax-board",
        "correlation_id": "flow-1",
        **header,
    }
    event = new_event(
        NS + "ServiceRequestCreated", source="assistant:tax-board", service_code="tax.refund", **ids
    )
    event.data["provider"] = "tax-board"
    return event


async def _first(inbox: Subscriber) -> Delivery:
    async with asyncio.timeout(30):
        async for delivery in inbox:
            return delivery
    raise AssertionError("the subscriber stopped before any delivery")


def test_status_update_copies_the_request_ids_and_names_the_created_event_as_cause() -> None:
    created = _created()
    accepted = status_update(
        created, NS + "ServiceRequestAccepted", source="service:tax-board", handled_by="unit 7"
    )
    header = accepted.header
    assert accepted.type == NS + "ServiceRequestAccepted"
    assert accepted.data["handled_by"] == "unit 7"
    assert (header["conversation_id"], header["request_id"]) == ("c-1", "r-1")
    assert (header["authority"], header["correlation_id"]) == ("tax-board", "flow-1")
    assert header["causation_id"] == created.id
    assert header["source"] == "service:tax-board"
    assert accepted.id != created.id


def test_status_update_takes_a_bare_name_and_keeps_a_missing_authority_missing() -> None:
    created = _created(authority=None)
    update = Publisher.status_update(created, "ServiceRequestInProgress", source="service:x")
    assert update.type == NS + "ServiceRequestInProgress"
    assert update.header["authority"] is None


def test_status_update_refuses_an_event_without_a_request_id() -> None:
    greeting = new_event(
        "gov.agencybus.conversation.Greeting", source="assistant:x", conversation_id="c", text="hi"
    )
    with pytest.raises(ValueError, match="request_id"):
        status_update(greeting, "ServiceRequestAccepted", source="service:x")


@pytest.mark.broker
async def test_published_status_update_arrives_with_the_request_ids_and_causation(
    settings_with_registry: Settings, new_topic: NewTopic, unique_name: Names
) -> None:
    topic = await new_topic("assistant", 1)
    created = _created()
    async with Publisher(settings_with_registry) as bus:
        sent = await bus.publish_status_update(
            topic, created, "ServiceRequestRejected", source="service:tax-board", reason="late"
        )
    async with Subscriber(
        settings_with_registry, topics=[topic], group_id=unique_name("group")
    ) as inbox:
        delivery = await _first(inbox)

    received = delivery.event
    assert received.type == NS + "ServiceRequestRejected" and received.id == sent.id
    assert received.header["causation_id"] == created.id
    assert received.header["request_id"] == "r-1"
    assert received.header["correlation_id"] == "flow-1"
    assert delivery.key == b"c-1"
    assert delivery.ce is not None and delivery.ce.subject == "c-1"


@pytest.mark.broker
async def test_publish_many_sends_nothing_when_one_event_does_not_fit_its_schema(
    settings_with_registry: Settings, new_topic: NewTopic, unique_name: Names
) -> None:
    topic = await new_topic("inbox", 1)
    good = _created()
    bad = _created()
    bad.data["service_code"] = 42
    async with Publisher(settings_with_registry) as bus:
        with pytest.raises(EncodeError, match="service_code"):
            await bus.publish_many(topic, [good, bad])
        await bus.publish(topic, good)
    async with Subscriber(
        settings_with_registry, topics=[topic], group_id=unique_name("group")
    ) as inbox:
        delivery = await _first(inbox)
    assert delivery.offset == 0 and delivery.event.id == good.id


def _message_fields(**more: Any) -> dict[str, Any]:
    return {
        "source": "assistant:tax-board",
        "conversation_id": "c-1",
        "message_id": "m-1",
        "author_role": "END_USER",
        "text": "tere",
        **more,
    }


@pytest.mark.broker
async def test_a_misspelt_field_raises_encode_error_naming_it_and_publishes_nothing(
    settings_with_registry: Settings, new_topic: NewTopic, unique_name: Names
) -> None:
    topic = await new_topic("assistant", 1)
    async with Publisher(settings_with_registry) as bus:
        with pytest.raises(EncodeError, match="did you mean 'language'") as raised:
            await bus.emit(topic, MESSAGE_SENT, **_message_fields(langauge="et"))
        assert raised.value.field == "langauge"
        with pytest.raises(EncodeError, match=r"header\.conversationid"):
            await bus.publish(topic, _with_header(new_event(MESSAGE_SENT, **_message_fields())))
        await bus.emit(topic, MESSAGE_SENT, **_message_fields(language="et"))
    async with Subscriber(
        settings_with_registry, topics=[topic], group_id=unique_name("group")
    ) as inbox:
        delivery = await _first(inbox)
    assert delivery.offset == 0 and delivery.event.data["language"] == "et"


def _with_header(event: Event) -> Event:
    event.header["conversationid"] = "c-2"
    return event


@pytest.mark.broker
async def test_short_type_names_are_published_as_the_full_type(
    settings_with_registry: Settings, new_topic: NewTopic, unique_name: Names
) -> None:
    topic = await new_topic("assistant", 1)
    async with Publisher(settings_with_registry) as bus:
        emitted = await bus.emit(topic, "Greeting", source="x", conversation_id="c-1", text="hi")
        await bus.publish(topic, new_event("MessageSent", **_message_fields()))
        with pytest.raises(SchemaError, match="did you mean Greeting"):
            await bus.emit(topic, "Greting", source="assistant:x", conversation_id="c-1")
    assert emitted.type == GREETING
    async with Subscriber(
        settings_with_registry, topics=[topic], group_id=unique_name("group")
    ) as inbox:
        received = [await _first(inbox), await _first(inbox)]
    assert [d.event.type for d in received] == [GREETING, MESSAGE_SENT]
    assert [d.ce.type if d.ce else None for d in received] == [GREETING, MESSAGE_SENT]


@pytest.mark.broker
def test_a_publisher_that_cannot_reach_kafka_closes_its_registry_session(
    registry_url: str, tmp_path: Path
) -> None:
    script = tmp_path / "publish.py"
    script.write_text(
        "import asyncio\n"
        "from bus.client import Publisher\n"
        "from bus.settings import Settings\n"
        "async def main():\n"
        "    async with Publisher(Settings()):\n"
        "        pass\n"
        "asyncio.run(main())\n"
    )
    env = {
        **os.environ,
        "BUS_BOOTSTRAP_SERVERS": f"127.0.0.1:{free_port()}",
        "BUS_SCHEMA_REGISTRY_URL": registry_url,
    }
    ran = subprocess.run(
        [sys.executable, str(script)], env=env, capture_output=True, text=True, timeout=120
    )
    assert "KafkaConnectionError" in ran.stderr, ran.stderr
    assert "Unclosed" not in ran.stderr, ran.stderr
