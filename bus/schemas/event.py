"""The typed record an agent receives and sends: an event of one contract."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any


@dataclass(slots=True)
class Event:
    """An event as the bus sees it: its contract's full name and its decoded fields.

    ``data`` is the Avro record as fastavro gives it (timestamps as aware
    ``datetime``); ``schema_id`` is the registry id it was written with, when
    it came off the wire.
    """

    type: str
    data: dict[str, Any]
    schema_id: int | None = field(default=None, compare=False)

    @property
    def header(self) -> dict[str, Any]:
        header: dict[str, Any] = self.data.get("header") or {}
        return header

    @property
    def id(self) -> str | None:
        value = self.header.get("event_id")
        return None if value is None else str(value)

    @property
    def source(self) -> str | None:
        value = self.header.get("source")
        return None if value is None else str(value)

    @property
    def occurred_at(self) -> datetime | None:
        value = self.header.get("occurred_at")
        return value if isinstance(value, datetime) else None

    @property
    def subject(self) -> str | None:
        """What the event is about: its conversation, else its service request."""
        value = self.header.get("conversation_id") or self.header.get("request_id")
        return None if value is None else str(value)

    @property
    def key(self) -> bytes | None:
        """The Kafka key that keeps one conversation's events in order."""
        subject = self.subject
        return None if subject is None else subject.encode()


def new_event(
    type_name: str,
    *,
    source: str,
    conversation_id: str | None = None,
    request_id: str | None = None,
    authority: str | None = None,
    correlation_id: str | None = None,
    causation_id: str | None = None,
    occurred_at: datetime | None = None,
    event_id: str | None = None,
    **fields: Any,
) -> Event:
    """A new event; a fresh id and the current time unless given."""
    header = {
        "event_id": event_id or str(uuid.uuid4()),
        "occurred_at": occurred_at or datetime.now(UTC),
        "source": source,
        "authority": authority,
        "conversation_id": conversation_id,
        "request_id": request_id,
        "correlation_id": correlation_id,
        "causation_id": causation_id,
        "schema_version": 1,
    }
    return Event(type_name, {"header": header, **fields})
