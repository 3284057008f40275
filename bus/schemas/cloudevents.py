"""CloudEvents 1.0 attributes in Kafka headers (the Kafka protocol binding, binary mode)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from bus.schemas.event import Event

SPECVERSION = "1.0"
CONTENT_TYPE = "application/avro"
Headers = list[tuple[str, bytes]]

HEADERS: dict[str, str] = {
    "ce_specversion": f"CloudEvents version, {SPECVERSION}.",
    "ce_id": "The event's id (header.event_id); consumers drop a repeated id.",
    "ce_source": "Who emitted it (header.source), e.g. assistant:tax-board.",
    "ce_type": "The full name of the event's Avro contract.",
    "ce_time": "When it happened (header.occurred_at), RFC 3339 in UTC with milliseconds.",
    "ce_dataschema": "The registry subject and version it was written with, as a URL.",
    "content-type": f"Always {CONTENT_TYPE}: the Confluent wire format.",
    "ce_subject": "The conversation id, else the service request id; also the Kafka key.",
}
"""Every binary-mode header an event carries, with its meaning (in the order written)."""
OPTIONAL_HEADERS = frozenset({"ce_subject"})
"""Left out when the event names neither a conversation nor a service request."""


@dataclass(frozen=True)
class CloudEventAttributes:
    id: str
    source: str
    type: str
    specversion: str
    time: str | None
    subject: str | None
    dataschema: str | None
    content_type: str | None


def dataschema(registry_url: str, subject: str, version: int) -> str:
    """The URI of the exact schema version, in the registry's REST API."""
    return f"{registry_url.rstrip('/')}/subjects/{subject}/versions/{version}"


def ce_headers(event: Event, schema_uri: str) -> Headers:
    """The binary-mode headers of an event; the header names its schema subject and version."""
    occurred = event.occurred_at or datetime.now(UTC)
    values = {
        "ce_specversion": SPECVERSION,
        "ce_id": event.id or "",
        "ce_source": event.source or "",
        "ce_type": event.type,
        "ce_time": _rfc3339(occurred),
        "ce_dataschema": schema_uri,
        "content-type": CONTENT_TYPE,
        "ce_subject": event.subject or "",
    }
    return [
        (name, values[name].encode())
        for name in HEADERS
        if values[name] or name not in OPTIONAL_HEADERS
    ]


def parse_ce_headers(headers: Iterable[tuple[str, bytes | None]]) -> CloudEventAttributes | None:
    """The CloudEvents attributes of a message, or None when it carries none."""
    values = {key: (value or b"").decode("utf-8", "replace") for key, value in headers}
    if "ce_specversion" not in values:
        return None
    return CloudEventAttributes(
        id=values.get("ce_id", ""),
        source=values.get("ce_source", ""),
        type=values.get("ce_type", ""),
        specversion=values["ce_specversion"],
        time=values.get("ce_time"),
        subject=values.get("ce_subject"),
        dataschema=values.get("ce_dataschema"),
        content_type=values.get("content-type"),
    )


def _rfc3339(moment: datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
