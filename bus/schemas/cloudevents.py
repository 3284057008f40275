"""CloudEvents 1.0 attributes in Kafka headers (the Kafka protocol binding, binary mode)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from bus.schemas.event import Event

SPECVERSION = "1.0"
CONTENT_TYPE = "application/avro"
Headers = list[tuple[str, bytes]]


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
    headers: Headers = [
        ("ce_specversion", SPECVERSION.encode()),
        ("ce_id", (event.id or "").encode()),
        ("ce_source", (event.source or "").encode()),
        ("ce_type", event.type.encode()),
        ("ce_time", _rfc3339(occurred).encode()),
        ("ce_dataschema", schema_uri.encode()),
        ("content-type", CONTENT_TYPE.encode()),
    ]
    if event.subject:
        headers.append(("ce_subject", event.subject.encode()))
    return headers


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
