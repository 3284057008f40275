"""A dead letter keeps the original key, value and headers and adds headers saying why.

The value stays the original bytes, as Kafka Connect's dead-letter queues do,
so any tool can inspect or re-publish it unchanged.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

Headers = list[tuple[str, bytes]]

PREFIX = "bus_dlq_"
ERROR_LIMIT = 2000
CONTEXT: dict[str, str] = {
    "reason": "Why, as a stable code: not-wire-format, unknown-authority, wrong-key, ...",
    "error": f"What went wrong, for people (at most {ERROR_LIMIT} characters).",
    "topic": "The topic the record was read from.",
    "partition": "Its partition.",
    "offset": "Its offset.",
    "timestamp": "Its Kafka timestamp in milliseconds (empty if unknown).",
    "agent": "The processor or connector that gave up on it.",
}
"""The headers a dead letter adds (each ``PREFIX`` + name) and what they say."""


@dataclass(frozen=True)
class DeadLetter:
    reason: str
    error: str
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: Headers = field(default_factory=list)
    timestamp_ms: int | None = None
    agent: str = ""

    def kafka_headers(self) -> Headers:
        """The original headers followed by the dead-letter context."""
        context = {
            "reason": self.reason,
            "error": self.error[:ERROR_LIMIT],
            "topic": self.topic,
            "partition": str(self.partition),
            "offset": str(self.offset),
            "timestamp": "" if self.timestamp_ms is None else str(self.timestamp_ms),
            "agent": self.agent,
        }
        own = [(f"{PREFIX}{name}", context[name].encode()) for name in CONTEXT]
        originals = [(k, v) for k, v in self.headers if not k.startswith(PREFIX)]
        return originals + own

    @classmethod
    def of_record(
        cls, record: Any, reason: str, error: str, agent: str, timestamp_ms: int | None = None
    ) -> DeadLetter:
        """The dead letter of a Kafka record as it was read (aiokafka's or the worker's).

        ``timestamp_ms`` defaults to the record's own, which aiokafka gives in
        milliseconds, as the worker's ``Record`` does.
        """
        raw = record.headers
        pairs = raw.items() if isinstance(raw, dict) else raw or ()
        return cls(
            reason=reason,
            error=error,
            topic=record.topic,
            partition=record.partition,
            offset=record.offset,
            key=record.key,
            value=record.value,
            headers=[(str(k), bytes(v or b"")) for k, v in pairs],
            timestamp_ms=record.timestamp if timestamp_ms is None else timestamp_ms,
            agent=agent,
        )

    @classmethod
    def from_message(
        cls, key: bytes | None, value: bytes | None, headers: Iterable[tuple[str, bytes | None]]
    ) -> DeadLetter:
        """Read a dead letter back from the dead-letter topic."""
        pairs = [(k, v or b"") for k, v in headers]
        context = {k.removeprefix(PREFIX): v.decode() for k, v in pairs if k.startswith(PREFIX)}
        timestamp = context.get("timestamp")
        return cls(
            reason=context.get("reason", ""),
            error=context.get("error", ""),
            topic=context.get("topic", ""),
            partition=int(context.get("partition", "-1")),
            offset=int(context.get("offset", "-1")),
            key=key,
            value=value,
            headers=[(k, v) for k, v in pairs if not k.startswith(PREFIX)],
            timestamp_ms=int(timestamp) if timestamp else None,
            agent=context.get("agent", ""),
        )
