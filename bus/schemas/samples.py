"""Valid sample data for any schema, so tests and benchmarks need no hand-written events.

Values are the simplest that encode (``"x"``, ``1``, the first enum symbol, null for optional
fields, empty collections); only ids are random, so samples published together stay distinct.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

SAMPLE_TIME_MS = 1_700_000_000_000
"""2023-11-14T22:13:20Z: fixed, so samples and their encodings are reproducible."""

PRIMITIVE_SAMPLES: dict[str, Any] = {
    "null": None,
    "boolean": True,
    "int": 1,
    "long": 1,
    "float": 1.0,
    "double": 1.0,
    "bytes": b"x",
    "string": "x",
}


def sample_datum(schema: dict[str, Any]) -> Any:
    """A datum that ``schema`` accepts; named types may be referenced by name after first use."""
    return _sample(schema, schema.get("namespace"), {})


def _sample(schema: Any, namespace: str | None, named: dict[str, dict[str, Any]]) -> Any:
    if isinstance(schema, str):
        if schema in PRIMITIVE_SAMPLES:
            return PRIMITIVE_SAMPLES[schema]
        full_name = schema if "." in schema or not namespace else f"{namespace}.{schema}"
        if full_name not in named:
            raise ValueError(f"unknown type {schema!r}")
        return _sample(named[full_name], namespace, named)
    if isinstance(schema, list):
        branch = "null" if "null" in schema else schema[0]
        return _sample(branch, namespace, named)
    kind = schema["type"]
    if kind in ("record", "enum", "fixed"):
        namespace = schema.get("namespace", namespace)
        name = schema["name"]
        named[name if "." in name or not namespace else f"{namespace}.{name}"] = schema
        if kind == "enum":
            return schema["symbols"][0]
        if kind == "fixed":
            return bytes(schema["size"])
        return {f["name"]: _sample(f["type"], namespace, named) for f in schema["fields"]}
    if kind == "array":
        return []
    if kind == "map":
        return {}
    return _logical(schema) if "logicalType" in schema else _sample(kind, namespace, named)


def _logical(schema: dict[str, Any]) -> Any:
    logical = schema["logicalType"]
    if logical == "uuid":
        return str(uuid.uuid4())
    if logical in ("timestamp-millis", "local-timestamp-millis"):
        return SAMPLE_TIME_MS
    if logical in ("timestamp-micros", "local-timestamp-micros"):
        return SAMPLE_TIME_MS * 1000
    if logical == "decimal":
        return Decimal(1)
    if schema["type"] == "fixed":
        return bytes(schema["size"])
    return PRIMITIVE_SAMPLES[schema["type"]]
