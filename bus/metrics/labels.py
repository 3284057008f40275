"""Bounded label values: what a message says is only a label if the bus knows it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from bus.metrics.definitions import NONE, UNKNOWN

HTTP_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


@dataclass
class Vocabulary:
    """The worker's known event types, authority topics and dead-letter topics."""

    event_types: Mapping[str, str] = field(default_factory=dict)  # full name -> short name
    authority_of_topic: Mapping[str, str] = field(default_factory=dict)
    dead_letter_topics: frozenset[str] = frozenset()

    def event_type(self, value: str | None) -> str:
        """The contract's short name (unique across families), or ``unknown``."""
        return self.event_types.get(value or "", UNKNOWN)

    def authority(self, topic: str) -> str:
        return self.authority_of_topic.get(topic, NONE)


def http_method(method: str) -> str:
    return method if method in HTTP_METHODS else "other"


def header_values(headers: Any) -> dict[str, bytes]:
    """Kafka headers (a list of pairs or a mapping) as a dict."""
    pairs: Iterable[tuple[Any, Any]] = (
        headers.items() if isinstance(headers, Mapping) else headers or []
    )
    values: dict[str, bytes] = {}
    for key, value in pairs:
        if isinstance(value, bytes):
            values[str(key)] = value
        elif isinstance(value, str):
            values[str(key)] = value.encode()
    return values


def event_time(headers: Mapping[str, bytes]) -> float | None:
    """The event's own time from its CloudEvents ``ce_time`` header, as Unix seconds."""
    raw = headers.get("ce_time")
    if not raw:
        return None
    try:
        moment = datetime.fromisoformat(raw.decode())
    except (UnicodeDecodeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()
