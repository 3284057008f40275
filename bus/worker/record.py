"""A consumed Kafka record as the processors see it: plain attributes, read once."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from confluent_kafka import TIMESTAMP_NOT_AVAILABLE

Headers = list[tuple[str, bytes]]


@dataclass(frozen=True, slots=True)
class Record:
    """What the pure code (dead letters, audit records, routing) needs of a Kafka record."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: Headers
    timestamp: int | None
    """Milliseconds since the epoch, as Kafka gives it (None if the record has none)."""

    @classmethod
    def of(cls, message: Any) -> Record:
        """The record of a confluent-kafka ``Message`` (one without an error)."""
        kind, timestamp = message.timestamp()
        return cls(
            topic=message.topic(),
            partition=message.partition(),
            offset=message.offset(),
            key=message.key(),
            value=message.value(),
            headers=[(k, v or b"") for k, v in message.headers() or ()],
            timestamp=None if kind == TIMESTAMP_NOT_AVAILABLE else timestamp,
        )

    @property
    def position(self) -> str:
        return f"{self.topic}:{self.partition}:{self.offset}"
