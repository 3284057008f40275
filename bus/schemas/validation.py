"""Find the first field of a record that does not fit its schema, as a dotted path.

Only used when an encode has already failed, so it favours a clear message
over speed. fastavro's own validator names fields by their record's name, not
by their path from the event, which is what the person fixing the data needs.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Any

from fastavro.validation import validate

_PRIMITIVES = {"null", "boolean", "int", "long", "float", "double", "bytes", "string"}


def first_invalid_field(
    schema: Any, datum: Any, names: dict[str, Any] | None = None, path: str = ""
) -> tuple[str, str] | None:
    """Return ``(path, problem)`` for the first part of ``datum`` that does not fit."""
    names = {} if names is None else names
    schema = _resolve(schema, names)
    if isinstance(schema, list):
        if any(_fits(branch, datum, names) for branch in schema):
            return None
        return path, f"{datum!r} matches none of {_describe(schema)}"
    kind = schema["type"] if isinstance(schema, dict) else schema
    if kind == "record":
        return _check_record(schema, datum, names, path)
    if kind == "enum":
        if datum in schema["symbols"]:
            return None
        return path, f"{datum!r} is not one of the symbols {schema['symbols']}"
    if kind == "array":
        if not isinstance(datum, list | tuple):
            return path, f"{datum!r} is not an array"
        for index, item in enumerate(datum):
            if found := first_invalid_field(schema["items"], item, names, f"{path}[{index}]"):
                return found
        return None
    if kind == "map":
        if not isinstance(datum, Mapping):
            return path, f"{datum!r} is not a map"
        for key, item in datum.items():
            if found := first_invalid_field(schema["values"], item, names, f"{path}[{key!r}]"):
                return found
        return None
    if validate(datum, schema, raise_errors=False):
        return None
    return path, f"{datum!r} is not a valid {_describe(schema)}"


def first_unknown_field(
    schema: Any, datum: Any, names: dict[str, Any] | None = None, path: str = ""
) -> tuple[str, str] | None:
    """``(path, problem)`` for the first key of ``datum`` its schema has no field for.

    fastavro writes a record's fields and ignores other keys, so a misspelt optional
    field (``langauge``) would go out as its default; whoever builds events by hand
    wants to hear about it instead.
    """
    names = {} if names is None else names
    schema = _resolve(schema, names)
    if isinstance(schema, list):
        branches = [
            first_unknown_field(branch, datum, names, path)
            for branch in schema
            if _may_hold(_resolve(branch, names), datum)
        ]
        return None if not branches or None in branches else branches[0]
    kind = schema["type"] if isinstance(schema, dict) else schema
    if isinstance(kind, dict | list):
        return first_unknown_field(kind, datum, names, path)
    if kind == "record" and isinstance(datum, Mapping):
        fields = {field["name"]: field["type"] for field in schema["fields"]}
        for key, value in datum.items():
            key_path = f"{path}.{key}" if path else str(key)
            if key not in fields:
                close = difflib.get_close_matches(str(key), list(fields), n=1)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                return key_path, f"is not a field of {schema['name']}{hint}"
            if found := first_unknown_field(fields[key], value, names, key_path):
                return found
    elif kind == "array" and isinstance(datum, list | tuple):
        for index, item in enumerate(datum):
            if found := first_unknown_field(schema["items"], item, names, f"{path}[{index}]"):
                return found
    elif kind == "map" and isinstance(datum, Mapping):
        for key, item in datum.items():
            if found := first_unknown_field(schema["values"], item, names, f"{path}[{key!r}]"):
                return found
    return None


def _may_hold(schema: Any, datum: Any) -> bool:
    """Whether a union branch is one ``datum`` may be written as (for unknown keys)."""
    kind = schema["type"] if isinstance(schema, dict) else schema
    if kind in ("record", "map"):
        return isinstance(datum, Mapping)
    if kind == "array":
        return isinstance(datum, list | tuple)
    return isinstance(kind, dict | list)


def _check_record(
    schema: dict[str, Any], datum: Any, names: dict[str, Any], path: str
) -> tuple[str, str] | None:
    if not isinstance(datum, Mapping):
        return path, f"{datum!r} is not a record {schema['name']}"
    for field in schema["fields"]:
        field_path = f"{path}.{field['name']}" if path else field["name"]
        if field["name"] not in datum:
            if "default" in field:
                continue
            return field_path, "is missing and has no default"
        if found := first_invalid_field(field["type"], datum[field["name"]], names, field_path):
            return found
    return None


def _fits(schema: Any, datum: Any, names: dict[str, Any]) -> bool:
    return first_invalid_field(schema, datum, names) is None


def _resolve(schema: Any, names: dict[str, Any]) -> Any:
    """Remember named types where they are defined; replace references by the definition."""
    if isinstance(schema, str):
        if schema in _PRIMITIVES:
            return schema
        return names.get(schema, schema)
    if isinstance(schema, dict) and schema.get("type") in ("record", "enum", "fixed"):
        name = schema["name"]
        namespace = schema.get("namespace")
        full = name if "." in name or not namespace else f"{namespace}.{name}"
        names.setdefault(full, schema)
        names.setdefault(name, schema)
    return schema


def _describe(schema: Any) -> str:
    if isinstance(schema, list):
        return "[" + ", ".join(_describe(branch) for branch in schema) + "]"
    if isinstance(schema, dict):
        logical = schema.get("logicalType")
        base = schema.get("name") or schema.get("type")
        return f"{base} ({logical})" if logical else str(base)
    return str(schema)
