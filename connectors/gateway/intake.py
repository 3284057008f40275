"""Turn an HTTP request body into a bus event: plain JSON or a CloudEvent, binary or structured.

- plain JSON to ``/v1/events/{type}``: the body is the event's fields; an
  optional ``header`` object may give ``conversation_id``, ``request_id``,
  ``event_id``, ``occurred_at``, ``correlation_id``, ``causation_id``.
- CloudEvents binary mode to ``/v1/events``: ``ce-type``, ``ce-id``,
  ``ce-source``, ``ce-specversion`` (and ``ce-subject``, ``ce-time``) headers,
  the fields as a JSON body.
- CloudEvents structured mode to ``/v1/events``: ``Content-Type:
  application/cloudevents+json`` with the attributes and ``data`` in the body.

The gateway, not the caller, sets ``header.source`` (``assistant:<authority>``)
and ``header.authority``: the router trusts both, so a caller cannot speak for
another authority.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bus.schemas.contracts import Contract
from bus.schemas.event import Event
from connectors.base.errors import ConnectorError, InvalidEventError
from connectors.base.jsonable import CLOUDEVENTS_JSON, datum_from_json
from connectors.gateway.clients import GatewayClient

_HEADER_FIELDS = {
    "event_id",
    "occurred_at",
    "conversation_id",
    "request_id",
    "correlation_id",
    "causation_id",
    "authority",
    "schema_version",
}


class BadRequestError(ConnectorError):
    """The body is not JSON, or the request does not say which event it is (HTTP 400)."""


@dataclass(frozen=True)
class Incoming:
    """What the request says before validation: the type, the fields, CloudEvents attributes."""

    type: str
    fields: dict[str, Any]
    ce_id: str | None = None
    ce_source: str | None = None
    ce_subject: str | None = None
    ce_time: str | None = None


def parse_request(headers: Mapping[str, str], body: bytes, path_type: str | None) -> Incoming:
    """Read the request in whichever of the three forms it comes; 400 when it fits none."""
    content_type = headers.get("Content-Type", "").split(";")[0].strip().lower()
    if content_type == CLOUDEVENTS_JSON:
        document = _json_object(body, "the structured CloudEvent")
        data = document.get("data")
        if not isinstance(data, dict):
            raise BadRequestError("a structured CloudEvent needs a JSON object in 'data'")
        return Incoming(
            _required(document.get("type"), "type", path_type),
            data,
            ce_id=_str(document.get("id")),
            ce_source=_str(document.get("source")),
            ce_subject=_str(document.get("subject")),
            ce_time=_str(document.get("time")),
        )
    if content_type not in ("application/json", ""):
        raise BadRequestError(
            f"Content-Type {content_type!r} is not supported; send application/json "
            f"or {CLOUDEVENTS_JSON}"
        )
    fields = _json_object(body, "the body")
    if "ce-specversion" in {key.lower() for key in headers}:
        return Incoming(
            _required(headers.get("ce-type"), "ce-type header", path_type),
            fields,
            ce_id=headers.get("ce-id"),
            ce_source=headers.get("ce-source"),
            ce_subject=headers.get("ce-subject"),
            ce_time=headers.get("ce-time"),
        )
    if path_type is None:
        raise BadRequestError(
            "name the event type in the path (/v1/events/MessageSent) or send a CloudEvent"
        )
    return Incoming(path_type, fields)


def build_event(
    incoming: Incoming,
    client: GatewayClient,
    contracts: Mapping[str, Contract],
    signature: str | None = None,
) -> Event:
    """The event, checked against its contract; raises InvalidEventError (HTTP 422).

    Without an event id from the caller, a signed request's id derives from its
    signature, so a replayed request repeats the id and consumers drop it.
    """
    contract = resolve_type(incoming.type, contracts)
    fields = dict(incoming.fields)
    given = fields.pop("header", None) or {}
    if not isinstance(given, dict):
        raise InvalidEventError(
            f"{contract.name}: field 'header' must be an object",
            schema=contract.name,
            field="header",
        )
    unknown = sorted(set(given) - _HEADER_FIELDS - {"source"})
    if unknown:
        raise InvalidEventError(
            f"{contract.name}: field 'header.{unknown[0]}' is not in the schema EventHeader",
            schema=contract.name,
            field=f"header.{unknown[0]}",
        )
    if given.get("authority") not in (None, client.authority):
        raise InvalidEventError(
            f"{contract.name}: field 'header.authority' is {given['authority']!r}, but this "
            f"caller is the assistant of {client.authority!r}; leave it out",
            schema=contract.name,
            field="header.authority",
        )
    header: dict[str, Any] = {
        "event_id": given.get("event_id") or _event_id(incoming, client, signature),
        "occurred_at": given.get("occurred_at") or incoming.ce_time or _now_ms(),
        "source": client.source,
        "authority": client.authority,
        "conversation_id": given.get("conversation_id") or incoming.ce_subject,
        "request_id": given.get("request_id"),
        "correlation_id": given.get("correlation_id"),
        "causation_id": given.get("causation_id"),
        "schema_version": given.get("schema_version", 1),
    }
    data = datum_from_json(contract.schema, {"header": header, **fields})
    return Event(contract.name, data)


def resolve_type(name: str, contracts: Mapping[str, Contract]) -> Contract:
    """The contract of a full (``gov.agencybus.conversation.MessageSent``) or short name."""
    contract = contracts.get(name)
    if contract is None:
        short = [c for full, c in contracts.items() if full.rpartition(".")[2] == name]
        contract = short[0] if len(short) == 1 else None
    if contract is None:
        raise InvalidEventError(
            f"unknown event type {name!r}; the types are the contracts in schemas/, "
            "e.g. gov.agencybus.conversation.MessageSent",
            schema=name,
            field="type",
        )
    return contract


def _event_id(incoming: Incoming, client: GatewayClient, signature: str | None) -> str:
    """The CloudEvent's id when it is a UUID, else one derived from source and id.

    Either way a retried CloudEvent keeps its event id, so consumers drop the repeat.
    """
    if not incoming.ce_id:
        if signature:
            return str(uuid.uuid5(uuid.NAMESPACE_URL, f"bus-gateway/{client.name}/{signature}"))
        return str(uuid.uuid4())
    try:
        return str(uuid.UUID(incoming.ce_id))
    except ValueError:
        return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{incoming.ce_source}#{incoming.ce_id}"))


def _now_ms() -> datetime:
    return datetime.now(UTC)


def _json_object(body: bytes, what: str) -> dict[str, Any]:
    try:
        document = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadRequestError(f"{what} is not valid JSON: {exc}") from None
    if not isinstance(document, dict):
        raise BadRequestError(f"{what} must be a JSON object, not {type(document).__name__}")
    return document


def _required(value: Any, what: str, fallback: str | None) -> str:
    if isinstance(value, str) and value:
        return value
    if fallback:
        return fallback
    raise BadRequestError(f"the CloudEvent has no {what}")


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None
