"""Schema rules of the registry: parsing, identity and compatibility, as pure functions.

Compatibility is Apache Avro's own reader/writer check
(``avro.compatibility``), so the registry accepts exactly the evolutions that
Avro decoders can handle.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import avro.errors
import avro.schema
from avro.compatibility import ReaderWriterCompatibilityChecker, SchemaCompatibilityType

from bus.errors import SchemaError

MAX_ID = 2**31 - 1
"""Schema ids are positive signed 32-bit numbers, as in the Confluent wire format."""

_KEY_ORDER = {
    key: rank
    for rank, key in enumerate(
        ("name", "namespace", "type", "doc", "aliases", "fields", "symbols", "items", "values")
    )
}


class Compatibility(StrEnum):
    """Confluent's compatibility levels of a subject."""

    NONE = "NONE"
    BACKWARD = "BACKWARD"
    BACKWARD_TRANSITIVE = "BACKWARD_TRANSITIVE"
    FORWARD = "FORWARD"
    FORWARD_TRANSITIVE = "FORWARD_TRANSITIVE"
    FULL = "FULL"
    FULL_TRANSITIVE = "FULL_TRANSITIVE"

    @classmethod
    def parse(cls, text: object) -> Compatibility:
        """The level named by ``text`` (any case); ``ValueError`` names the valid ones."""
        try:
            return cls(str(text).upper())
        except ValueError:
            valid = ", ".join(level.value for level in cls)
            raise ValueError(f"invalid compatibility level {text!r}; use one of {valid}") from None

    @property
    def transitive(self) -> bool:
        return self.value.endswith("_TRANSITIVE")

    @property
    def backward(self) -> bool:
        """New schemas must read data written with the old ones."""
        return self.value.startswith(("BACKWARD", "FULL"))

    @property
    def forward(self) -> bool:
        """Old schemas must read data written with the new one."""
        return self.value.startswith(("FORWARD", "FULL"))


@dataclass(frozen=True, slots=True)
class ParsedSchema:
    """A valid Avro schema in the registry's normal form.

    ``text`` keeps everything readers may rely on (defaults, docs, aliases and
    custom attributes such as personal-data markers), which Avro's Parsing
    Canonical Form would drop: two schemas that differ only in a default are
    different schemas here, as in Confluent. ``fingerprint`` is the SHA-256 of
    ``text``.
    """

    text: str
    fingerprint: str
    avro: avro.schema.Schema

    @property
    def id_candidate(self) -> int:
        return id_candidate(self.fingerprint)


def id_candidate(fingerprint: str) -> int:
    """The first 31 bits of a fingerprint: the schema's id unless another schema holds it."""
    return max(1, int(fingerprint[:8], 16) >> 1)


def parse_schema(text: str) -> ParsedSchema:
    """Parse and normalise an Avro schema; ``SchemaError`` says what is wrong."""
    try:
        parsed = avro.schema.parse(text)
    except (avro.errors.AvroException, ValueError, TypeError) as exc:
        raise SchemaError(f"invalid Avro schema: {exc}") from exc
    normal = json.dumps(_ordered(parsed.to_json()), separators=(",", ":"), ensure_ascii=False)
    fingerprint = hashlib.sha256(normal.encode()).hexdigest()
    return ParsedSchema(normal, fingerprint, parsed)


def _ordered(node: Any) -> Any:
    """The same JSON with object keys in one fixed, readable order."""
    if isinstance(node, dict):
        keys = sorted(node, key=lambda key: (_KEY_ORDER.get(key, len(_KEY_ORDER)), key))
        return {key: _ordered(node[key]) for key in keys}
    if isinstance(node, list):
        return [_ordered(item) for item in node]
    return node


def check_compatibility(
    new: avro.schema.Schema,
    existing: Sequence[tuple[int, avro.schema.Schema]],
    level: Compatibility,
) -> list[str]:
    """Why ``new`` may not follow ``existing`` (``(version, schema)``, oldest first).

    An empty list means compatible. Non-transitive levels compare with the
    latest version only, transitive ones with every version given.
    """
    if level is Compatibility.NONE or not existing:
        return []
    against = existing if level.transitive else existing[-1:]
    messages: list[str] = []
    for version, old in against:
        if level.backward:
            messages += _incompatibilities(
                new, old, f"the new schema cannot read data written with version {version}"
            )
        if level.forward:
            messages += _incompatibilities(
                old, new, f"version {version} cannot read data written with the new schema"
            )
    return messages


def _incompatibilities(
    reader: avro.schema.Schema, writer: avro.schema.Schema, what: str
) -> list[str]:
    checker = ReaderWriterCompatibilityChecker()  # type: ignore[no-untyped-call]
    result = checker.get_compatibility(reader, writer)
    if result.compatibility is SchemaCompatibilityType.compatible:
        return []
    kinds = ", ".join(sorted({kind.name.upper() for kind in result.incompatibilities}))
    locations = ", ".join(sorted(result.locations))
    details = ", ".join(sorted(str(message) for message in result.messages))
    return [f"{what}: {kinds} at {locations}" + (f" ({details})" if details else "")]
