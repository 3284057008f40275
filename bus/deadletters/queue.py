"""The dead-letter topic as an operator works it: pick letters, count them, send them back.

Pure: ``bus.deadletters.read`` reads the letters off Kafka. A letter goes
back to the topic it was read from, with its original key, value and
headers and one more header, ``bus_redriven_from``, naming the letter
(``topic:partition:offset``), so what was sent back can be told apart. Sending
a letter back twice sends its event twice; the bus's consumers drop an event
id they have handled, so it is harmless, but ``--dry-run`` first is wise.
"""

from __future__ import annotations

import base64
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bus.deadletters.letter import DeadLetter, Headers

REDRIVEN_FROM = "bus_redriven_from"


@dataclass(frozen=True)
class Found:
    """A letter where it lies on the dead-letter topic."""

    topic: str
    partition: int
    offset: int
    letter: DeadLetter

    @property
    def position(self) -> str:
        return f"{self.topic}:{self.partition}:{self.offset}"


@dataclass(frozen=True)
class LetterFilter:
    """Letters with any of the reasons, from any of the source topics, by any of the agents;
    an empty tuple does not filter."""

    reasons: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    agents: tuple[str, ...] = ()

    def matches(self, letter: DeadLetter) -> bool:
        return (
            (not self.reasons or letter.reason in self.reasons)
            and (not self.sources or letter.topic in self.sources)
            and (not self.agents or letter.agent in self.agents)
        )


def counted(found: Iterable[Found]) -> Counter[tuple[str, str]]:
    """How many letters per (source topic, reason)."""
    return Counter((item.letter.topic, item.letter.reason) for item in found)


def why_not_redriven(item: Found, to: str | None = None) -> str | None:
    """Why a letter cannot go back (to its source, or to ``to``), or None if it can."""
    letter = item.letter
    if to is not None:
        return "that is the dead-letter topic itself" if to == item.topic else None
    if not letter.topic:
        return "it names no source topic"
    if letter.topic == item.topic:
        return "it came from the dead-letter topic itself"
    if letter.value is None:
        return "it has no value"
    return None


def redriven(item: Found, to: str | None = None) -> tuple[str, bytes | None, bytes | None, Headers]:
    """The record that sends ``item`` back: topic (its source, or ``to``), key, value and
    headers."""
    letter = item.letter
    headers = [(k, v) for k, v in letter.headers if k != REDRIVEN_FROM]
    headers.append((REDRIVEN_FROM, item.position.encode()))
    return to or letter.topic, letter.key, letter.value, headers


def to_json(item: Found) -> dict[str, Any]:
    """A letter for tools: where it lies, where it came from, why, and its bytes (base64)."""
    letter = item.letter
    when = (
        datetime.fromtimestamp(letter.timestamp_ms / 1000, UTC).isoformat()
        if letter.timestamp_ms is not None
        else None
    )
    return {
        "position": item.position,
        "source": {"topic": letter.topic, "partition": letter.partition, "offset": letter.offset},
        "source_time": when,
        "reason": letter.reason,
        "error": letter.error,
        "agent": letter.agent,
        "key": letter.key.decode(errors="replace") if letter.key is not None else None,
        "headers": {k: v.decode(errors="replace") for k, v in letter.headers},
        "value_base64": base64.b64encode(letter.value).decode() if letter.value else None,
        "value_bytes": len(letter.value or b""),
    }


def line(item: Found, width: int = 100) -> str:
    """One letter on one line, for people."""
    letter = item.letter
    error = letter.error if len(letter.error) <= width else letter.error[: width - 1] + "…"
    source = f"{letter.topic}@{letter.partition}:{letter.offset}"
    return f"{item.partition}:{item.offset}  {source}  {letter.agent}  {letter.reason}  {error}"
