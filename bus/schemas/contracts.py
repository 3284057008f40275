"""The event contracts: ``.avsc`` files turned into self-contained schemas to register and use.

Each file holds one named type so that a shared type (the header, an enum) is written once.
A registry subject, though, needs one schema that parses alone, so every contract is expanded:
a referenced type is inlined at its first use and named at later uses.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import avro.schema
import fastavro

from bus.errors import SchemaError
from bus.schemas.types import EVENT_HEADER as HEADER_TYPE

COMMON_FAMILY = "common"
"""Folder of shared named types: resolvable by name, never registered on their own."""


PRIMITIVES = frozenset({"null", "boolean", "int", "long", "float", "double", "bytes", "string"})
NAMED_KINDS = frozenset({"record", "enum", "fixed"})

_AVRO_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_FIELD_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


@dataclass(frozen=True)
class Contract:
    """One event type as the bus registers, encodes and audits it.

    ``schema`` is shared, not copied, on access: treat it as read-only.
    """

    name: str
    family: str
    schema: dict[str, Any]
    canonical: str
    pii_fields: tuple[str, ...]
    path: Path
    has_header: bool
    free_text_fields: tuple[str, ...] = ()
    """Fields marked ``"free_text": true``: what people type, where identifiers hide
    (``bus.privacy`` scrubs them); usually ``pii`` as well."""

    @property
    def subject(self) -> str:
        """The registry subject; the full name, as with Confluent's RecordNameStrategy."""
        return self.name


@dataclass(frozen=True)
class _Source:
    full_name: str
    family: str
    schema: dict[str, Any]
    path: Path


def load_contracts(directory: Path) -> dict[str, Contract]:
    """Read every ``.avsc`` under ``directory``; contracts by full name, shared types left out.

    Every file, shared types included, is checked and must parse as a standalone schema, so
    a broken contract fails here, naming its file, rather than at the first encode. Short
    names are unique across families too, so logs, dashboards and tools can use them alone.
    """
    directory = Path(directory)
    if not directory.is_dir():
        raise SchemaError(f"{directory}: not a directory of .avsc files")
    sources: dict[str, _Source] = {}
    short_names: dict[str, Path] = {}
    for path in sorted(directory.rglob("*.avsc")):
        source = _read(path, directory)
        short = source.schema["name"]
        if short in short_names:
            raise SchemaError(
                f"{path}: duplicate name {short}, already used in {short_names[short]}"
            )
        short_names[short] = path
        sources[source.full_name] = source

    contracts: dict[str, Contract] = {}
    for source in sources.values():
        schema = _Expander(sources).standalone(source)
        _check_parses(schema, source.path)
        if source.family == COMMON_FAMILY:
            continue
        contracts[source.full_name] = Contract(
            name=source.full_name,
            family=source.family,
            schema=schema,
            canonical=json.dumps(schema, separators=(",", ":")),
            pii_fields=pii_paths(schema),
            path=source.path,
            has_header=_has_header(schema),
            free_text_fields=marked_paths(schema, "free_text"),
        )
    return contracts


def pii_paths(schema: dict[str, Any]) -> tuple[str, ...]:
    """Dotted paths of the fields marked ``"pii": true``, in field order (see marked_paths)."""
    return marked_paths(schema, "pii")


def marked_paths(schema: dict[str, Any], mark: str) -> tuple[str, ...]:
    """Dotted paths of the fields marked ``"<mark>": true``, in field order.

    Nested records extend the path with ``.``; items of an array add ``[]`` and values of a
    map add ``{}`` (``headers[].value``), so pseudonymisation knows where to iterate.
    """
    found: list[str] = []
    _walk_marked(schema, mark, "", schema.get("namespace"), {}, frozenset(), found)
    return tuple(found)


PATH_TOKEN = re.compile(r"\[\]|\{\}|[^.\[\]{}]+")


def path_tokens(path: str) -> list[str]:
    """``headers[].value`` -> ``["headers", "[]", "value"]``: the steps of a marked path."""
    return PATH_TOKEN.findall(path)


def snake_case(name: str) -> str:
    """The file stem a type of this short name must live in: ``MessageSent`` -> ``message_sent``."""
    return _CAMEL_BOUNDARY.sub("_", name).lower()


def _read(path: Path, root: Path) -> _Source:
    relative = path.relative_to(root)
    if len(relative.parts) != 2:
        raise SchemaError(f"{path}: contracts live at <family>/<type>.avsc, one folder deep")
    family = relative.parts[0]
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise SchemaError(
            f"{path}: invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
        ) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise SchemaError(f"{path}: cannot read: {exc}") from exc
    if not isinstance(document, dict) or document.get("type") not in NAMED_KINDS:
        raise SchemaError(f"{path}: the file must hold one record, enum or fixed as a JSON object")

    name = document.get("name")
    namespace = document.get("namespace")
    if not isinstance(name, str) or not _AVRO_NAME.match(name):
        raise SchemaError(f"{path}: 'name' must be a short Avro name, got {name!r}")
    if not isinstance(namespace, str) or not namespace:
        raise SchemaError(f"{path}: {name} has no 'namespace'")
    if namespace.rsplit(".", 1)[-1] != family:
        raise SchemaError(f"{path}: namespace {namespace!r} does not end in its folder {family!r}")
    if snake_case(name) != path.stem:
        raise SchemaError(f"{path}: type {name} must be in a file named {snake_case(name)}.avsc")
    _check_named(document, path)
    return _Source(f"{namespace}.{name}", family, document, path)


def _check_named(schema: dict[str, Any], path: Path) -> None:
    name = schema["name"]
    if not _has_doc(schema):
        raise SchemaError(f"{path}: {name} has no 'doc'")
    kind = schema["type"]
    if kind == "enum":
        symbols = schema.get("symbols")
        if not isinstance(symbols, list) or not symbols:
            raise SchemaError(f"{path}: enum {name} has no 'symbols'")
        default = schema.get("default")
        if default is not None and default not in symbols:
            raise SchemaError(f"{path}: enum {name} default {default!r} is not one of its symbols")
    elif kind == "record":
        fields = schema.get("fields")
        if not isinstance(fields, list):
            raise SchemaError(f"{path}: record {name} has no 'fields' list")
        seen: set[str] = set()
        for field in fields:
            _check_field(field, path, seen)


def _check_field(field: Any, path: Path, seen: set[str]) -> None:
    if not isinstance(field, dict) or not isinstance(field.get("name"), str):
        raise SchemaError(f"{path}: a field without a 'name': {field!r}")
    name = field["name"]
    if not _FIELD_NAME.match(name):
        raise SchemaError(f"{path}: field {name!r} is not snake_case")
    if name in seen:
        raise SchemaError(f"{path}: field {name!r} appears twice")
    seen.add(name)
    if "type" not in field:
        raise SchemaError(f"{path}: field {name!r} has no 'type'")
    if not _has_doc(field):
        raise SchemaError(f"{path}: field {name!r} has no 'doc'")
    _forbid_inline_named(field["type"], path, name)


def _forbid_inline_named(schema: Any, path: Path, field: str) -> None:
    """One named type per file keeps every shared type defined, documented and found once."""
    if isinstance(schema, list):
        for branch in schema:
            _forbid_inline_named(branch, path, field)
    elif isinstance(schema, dict):
        kind = schema.get("type")
        if kind in NAMED_KINDS:
            raise SchemaError(
                f"{path}: field {field!r} defines {kind} {schema.get('name')!r} inline; "
                "put it in its own file and refer to it by name"
            )
        for key in ("type", "items", "values"):
            if key in schema:
                _forbid_inline_named(schema[key], path, field)


def _has_doc(schema: dict[str, Any]) -> bool:
    doc = schema.get("doc")
    return isinstance(doc, str) and bool(doc.strip())


class _Expander:
    """Builds one contract's standalone schema; remembers which names it has defined."""

    def __init__(self, sources: dict[str, _Source]) -> None:
        self._sources = sources
        self._defined: set[str] = set()

    def standalone(self, source: _Source) -> dict[str, Any]:
        expanded = self.named(source.full_name, source.path, "")
        assert isinstance(expanded, dict), "a fresh expander has defined nothing yet"
        return copy.deepcopy(expanded)

    def named(self, full_name: str, path: Path, where: str) -> dict[str, Any] | str:
        if full_name in self._defined:
            return full_name
        source = self._sources.get(full_name)
        if source is None:
            raise SchemaError(f"{path}: field {where!r} refers to unknown type {full_name!r}")
        self._defined.add(full_name)
        expanded = dict(source.schema)
        if expanded["type"] == "record":
            namespace = expanded["namespace"]
            expanded["fields"] = [
                {**field, "type": self.any(field["type"], namespace, source.path, field["name"])}
                for field in expanded["fields"]
            ]
        return expanded

    def any(self, schema: Any, namespace: str, path: Path, where: str) -> Any:
        if isinstance(schema, str):
            if schema in PRIMITIVES:
                return schema
            return self.named(_full_name(schema, namespace), path, where)
        if isinstance(schema, list):
            return [self.any(branch, namespace, path, where) for branch in schema]
        if isinstance(schema, dict):
            kind = schema.get("type")
            if kind == "array" and "items" in schema:
                return {**schema, "items": self.any(schema["items"], namespace, path, where)}
            if kind == "map" and "values" in schema:
                return {**schema, "values": self.any(schema["values"], namespace, path, where)}
            if kind in PRIMITIVES:
                return dict(schema)
            if isinstance(kind, str | list | dict):
                return self.any(kind, namespace, path, where)
        raise SchemaError(f"{path}: field {where!r} has an invalid type: {schema!r}")


def _full_name(name: str, namespace: str | None) -> str:
    return name if "." in name or not namespace else f"{namespace}.{name}"


def _check_parses(schema: dict[str, Any], path: Path) -> None:
    """Both Avro libraries the bus uses must accept it; each catches mistakes the other misses."""
    try:
        fastavro.parse_schema(copy.deepcopy(schema), named_schemas={})
    except Exception as exc:
        raise SchemaError(f"{path}: fastavro rejects the schema: {exc}") from exc
    try:
        avro.schema.parse(json.dumps(schema))
    except Exception as exc:
        raise SchemaError(f"{path}: avro rejects the schema: {exc}") from exc
    _check_defaults(schema, schema["namespace"], {}, path)


def _check_defaults(
    schema: Any, namespace: str, named: dict[str, dict[str, Any]], path: Path
) -> None:
    """Neither library checks field defaults, but the registry and Java readers do."""
    if isinstance(schema, list):
        for branch in schema:
            _check_defaults(branch, namespace, named, path)
        return
    if not isinstance(schema, dict):
        return
    kind = schema.get("type")
    if kind in NAMED_KINDS:
        namespace = schema.get("namespace", namespace)
        named[_full_name(schema["name"], namespace)] = schema
        for field in schema.get("fields", []):
            _check_defaults(field["type"], namespace, named, path)
            if "default" in field and not _default_fits(
                field["default"], field["type"], namespace, named
            ):
                raise SchemaError(
                    f"{path}: field {field['name']!r} has default {field['default']!r}, "
                    "which its type does not accept (a union's default must fit its first branch)"
                )
    elif kind in ("array", "map"):
        _check_defaults(schema.get("items", schema.get("values")), namespace, named, path)


def _default_fits(
    value: Any, schema: Any, namespace: str, named: dict[str, dict[str, Any]]
) -> bool:
    if isinstance(schema, list):
        return bool(schema) and _default_fits(value, schema[0], namespace, named)
    if isinstance(schema, str):
        if schema in _JSON_TYPES:
            expected = _JSON_TYPES[schema]
            return isinstance(value, expected) and (schema == "boolean") == isinstance(value, bool)
        target = named.get(_full_name(schema, namespace))
        return target is not None and _default_fits(value, target, namespace, named)
    kind = schema.get("type")
    if kind == "enum":
        return value in schema["symbols"]
    if kind == "fixed":
        return isinstance(value, str) and len(value) == schema["size"]
    if kind == "array":
        return isinstance(value, list) and all(
            _default_fits(item, schema["items"], namespace, named) for item in value
        )
    if kind == "map":
        return isinstance(value, dict) and all(
            _default_fits(item, schema["values"], namespace, named) for item in value.values()
        )
    if kind == "record":
        return isinstance(value, dict) and all(
            _default_fits(value[field["name"]], field["type"], namespace, named)
            if field["name"] in value
            else "default" in field
            for field in schema["fields"]
        )
    return _default_fits(value, kind, namespace, named)


_JSON_TYPES: dict[str, type | tuple[type, ...]] = {
    "null": type(None),
    "boolean": bool,
    "int": int,
    "long": int,
    "float": (int, float),
    "double": (int, float),
    "bytes": str,
    "string": str,
}
"""How a default of each primitive type is written in JSON (bytes as a string of code points)."""


def _has_header(schema: dict[str, Any]) -> bool:
    fields = schema.get("fields") or []
    if not fields or fields[0].get("name") != "header":
        return False
    header = fields[0]["type"]
    if isinstance(header, dict):
        return _full_name(str(header.get("name")), header.get("namespace")) == HEADER_TYPE
    return isinstance(header, str) and header == HEADER_TYPE


def _walk_marked(
    schema: Any,
    mark: str,
    path: str,
    namespace: str | None,
    named: dict[str, dict[str, Any]],
    active: frozenset[str],
    found: list[str],
) -> None:
    if isinstance(schema, str):
        target = named.get(_full_name(schema, namespace))
        if target is not None:
            _walk_marked(target, mark, path, namespace, named, active, found)
    elif isinstance(schema, list):
        for branch in schema:
            _walk_marked(branch, mark, path, namespace, named, active, found)
    elif isinstance(schema, dict):
        kind = schema.get("type")
        if kind in NAMED_KINDS:
            namespace = schema.get("namespace", namespace)
            full_name = _full_name(str(schema.get("name")), namespace)
            named[full_name] = schema
            if kind != "record" or full_name in active:
                return
            for field in schema.get("fields", []):
                field_path = f"{path}.{field['name']}" if path else field["name"]
                if field.get(mark) is True:
                    found.append(field_path)
                inner = active | {full_name}
                _walk_marked(field["type"], mark, field_path, namespace, named, inner, found)
        elif kind == "array":
            _walk_marked(schema.get("items"), mark, f"{path}[]", namespace, named, active, found)
        elif kind == "map":
            _walk_marked(schema.get("values"), mark, f"{path}{{}}", namespace, named, active, found)
        elif isinstance(kind, str | list | dict) and kind not in PRIMITIVES:
            _walk_marked(kind, mark, path, namespace, named, active, found)
