"""Events as JSON for HTTP peers, and JSON back into Avro data a codec can encode.

Outgoing events are CloudEvents in structured mode (``application/cloudevents+json``)
whose ``data`` is the Avro record with timestamps as RFC 3339 strings. Incoming
JSON is plain JSON (union values unwrapped, timestamps as RFC 3339 strings or
epoch milliseconds); unknown fields are refused rather than silently dropped.
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from bus.schemas.cloudevents import SPECVERSION
from bus.schemas.event import Event
from connectors.base.errors import InvalidEventError

CLOUDEVENTS_JSON = "application/cloudevents+json"
_TIMESTAMPS = {"timestamp-millis", "timestamp-micros", "local-timestamp-millis"}
_NAMED = {"record", "enum", "fixed"}


def jsonable(value: Any) -> Any:
    """A decoded Avro value as JSON-compatible data."""
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
        return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    if isinstance(value, uuid.UUID | Decimal):
        return str(value)
    return value


def event_to_json(event: Event) -> dict[str, Any]:
    """The event as a structured-mode CloudEvent."""
    data = jsonable(event.data)
    cloudevent: dict[str, Any] = {
        "specversion": SPECVERSION,
        "id": event.id,
        "source": event.source,
        "type": event.type,
        "time": data.get("header", {}).get("occurred_at"),
        "datacontenttype": "application/json",
        "data": data,
    }
    if event.subject:
        cloudevent["subject"] = event.subject
    return cloudevent


def datum_from_json(schema: dict[str, Any], value: Any) -> Any:
    """``value`` shaped for fastavro: timestamps parsed, unknown fields refused.

    Raises InvalidEventError naming the field path; whether every value fits
    its type is left to the codec, which reports the same way.
    """
    names: dict[str, Any] = {}
    _collect(schema, schema.get("namespace"), names)
    name, namespace = str(schema.get("name")), schema.get("namespace")
    root = name if "." in name or not namespace else f"{namespace}.{name}"
    return _convert(schema, value, names, "", root)


def _collect(schema: Any, namespace: str | None, names: dict[str, Any]) -> None:
    if isinstance(schema, list):
        for branch in schema:
            _collect(branch, namespace, names)
    elif isinstance(schema, dict):
        kind = schema.get("type")
        if kind in _NAMED:
            namespace = schema.get("namespace", namespace)
            name = str(schema["name"])
            names[name if "." in name or not namespace else f"{namespace}.{name}"] = schema
            names.setdefault(name, schema)
            for field in schema.get("fields", []):
                _collect(field["type"], namespace, names)
        elif kind in ("array", "map"):
            _collect(schema.get("items", schema.get("values")), namespace, names)
        elif isinstance(kind, dict | list):
            _collect(kind, namespace, names)


def _convert(schema: Any, value: Any, names: dict[str, Any], path: str, root: str) -> Any:
    if isinstance(schema, str):
        schema = names.get(schema, schema)
        if isinstance(schema, str):
            return value
    if isinstance(schema, list):
        if value is None:
            return None
        branch = _branch(schema, value, names)
        return value if branch is None else _convert(branch, value, names, path, root)
    kind = schema.get("type")
    if isinstance(kind, dict | list):
        return _convert(kind, value, names, path, root)
    if schema.get("logicalType") in _TIMESTAMPS and isinstance(value, str):
        return _timestamp(value, path, root)
    if kind == "record" and isinstance(value, Mapping):
        fields = {f["name"]: f for f in schema["fields"]}
        unknown = sorted(set(value) - set(fields))
        if unknown:
            where = f"{path}.{unknown[0]}" if path else unknown[0]
            raise InvalidEventError(
                f"{root}: field {where!r} is not in the schema {schema['name']}",
                schema=root,
                field=where,
            )
        return {
            name: _convert(fields[name]["type"], item, names, _join(path, name), root)
            for name, item in value.items()
        }
    if kind == "array" and isinstance(value, list):
        return [
            _convert(schema["items"], item, names, f"{path}[{i}]", root)
            for i, item in enumerate(value)
        ]
    if kind == "map" and isinstance(value, Mapping):
        return {
            k: _convert(schema["values"], v, names, f"{path}[{k!r}]", root)
            for k, v in value.items()
        }
    return value


def _branch(union: list[Any], value: Any, names: dict[str, Any]) -> Any:
    """The first branch of a union whose kind suits the JSON value."""
    for branch in union:
        resolved = names.get(branch, branch) if isinstance(branch, str) else branch
        kind = resolved.get("type") if isinstance(resolved, dict) else resolved
        logical = resolved.get("logicalType") if isinstance(resolved, dict) else None
        if isinstance(value, Mapping) and kind in ("record", "map"):
            return branch
        if isinstance(value, list) and kind == "array":
            return branch
        if isinstance(value, str) and (kind in ("string", "enum") or logical in _TIMESTAMPS):
            return branch
        if isinstance(value, bool):
            if kind == "boolean":
                return branch
        elif isinstance(value, int | float) and kind in ("int", "long", "float", "double"):
            return branch
    return None


def _timestamp(value: str, path: str, root: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidEventError(
            f"{root}: field {path!r}: {value!r} is not an RFC 3339 time",
            schema=root,
            field=path,
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name
