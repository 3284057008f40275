"""Typed events in and out of Faust streams, with bad input sent to the dead-letter topic."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any

from bus.app.runtime import Runtime
from bus.deadletters import DeadLetter
from bus.errors import DecodeError
from bus.metrics.agents import dead_lettered, observed
from bus.schemas.event import Event

log = logging.getLogger(__name__)


def events(stream: Any, agent: str) -> AsyncIterator[Any]:
    """The agent's events, measured."""
    return observed(stream.events(), agent)


async def decoded(
    stream: Any, runtime: Runtime, dead_letters: Any, agent: str
) -> AsyncIterator[Event]:
    """Yield each message of a raw-bytes Faust stream as an Event.

    A message that is not a bus event goes to ``dead_letters`` (a Faust topic)
    with its original bytes and the reason; the stream goes on with the next.
    """
    async for item in events(stream, agent):
        message = item.message
        try:
            event = await runtime.decode(message.value)
        except DecodeError as exc:
            await send_dead_letter(dead_letters, message, exc.reason, str(exc), agent)
            continue
        yield event


async def send_event(topic: Any, event: Event, runtime: Runtime) -> None:
    """Send an event keyed by its conversation (or request) with CloudEvents headers."""
    value, headers = await runtime.encode(event)
    await topic.send(key=event.key, value=value, headers=headers)


async def send_dead_letter(topic: Any, message: Any, reason: str, error: str, agent: str) -> None:
    dead_lettered(agent, message.topic, reason)
    seconds = message.timestamp
    letter = DeadLetter.of_record(
        message, reason, error, agent, int(seconds * 1000) if seconds else None
    )
    log.warning(
        "dead letter from %s[%s]@%s: %s: %s",
        letter.topic,
        letter.partition,
        letter.offset,
        reason,
        error,
    )
    await topic.send(key=letter.key, value=letter.value, headers=letter.kafka_headers())
