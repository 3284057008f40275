"""Schema identity and compatibility rules, without a broker."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bus.errors import SchemaError
from bus.registry.compat import MAX_ID, Compatibility, check_compatibility, parse_schema


def record(*fields: dict[str, Any], doc: str | None = None) -> str:
    schema: dict[str, Any] = {"type": "record", "name": "Greeting", "namespace": "bus.test"}
    if doc:
        schema["doc"] = doc
    schema["fields"] = [{"name": "text", "type": "string"}, *fields]
    return json.dumps(schema)


V1 = record()
WITH_DEFAULT = record({"name": "lang", "type": "string", "default": "et"})
WITHOUT_DEFAULT = record({"name": "lang", "type": "string"})


def check(new: str, *old: str, level: Compatibility) -> list[str]:
    existing = [(n, parse_schema(text).avro) for n, text in enumerate(old, start=1)]
    return check_compatibility(parse_schema(new).avro, existing, level)


def test_adding_a_field_with_a_default_is_backward_compatible() -> None:
    assert check(WITH_DEFAULT, V1, level=Compatibility.BACKWARD) == []


def test_adding_a_field_without_a_default_is_not_backward_compatible() -> None:
    [message] = check(WITHOUT_DEFAULT, V1, level=Compatibility.BACKWARD)
    assert "version 1" in message
    assert "READER_FIELD_MISSING_DEFAULT_VALUE" in message
    assert "lang" in message


def test_removing_a_field_without_a_default_is_not_forward_compatible() -> None:
    assert check(V1, WITHOUT_DEFAULT, level=Compatibility.BACKWARD) == []
    [message] = check(V1, WITHOUT_DEFAULT, level=Compatibility.FORWARD)
    assert "version 1 cannot read data written with the new schema" in message
    assert check(V1, WITH_DEFAULT, level=Compatibility.FORWARD) == []


def test_full_needs_both_directions() -> None:
    assert check(WITH_DEFAULT, V1, level=Compatibility.FULL) == []
    assert len(check(WITHOUT_DEFAULT, V1, level=Compatibility.FULL)) == 1
    assert len(check(V1, WITHOUT_DEFAULT, level=Compatibility.FULL)) == 1


def test_transitive_checks_every_version_and_non_transitive_only_the_latest() -> None:
    # v3 reads v2's data (which has lang) but not v1's (which has none and v3 has no default)
    history = (V1, WITH_DEFAULT)
    assert check(WITHOUT_DEFAULT, *history, level=Compatibility.BACKWARD) == []
    [message] = check(WITHOUT_DEFAULT, *history, level=Compatibility.BACKWARD_TRANSITIVE)
    assert "version 1" in message
    assert len(check(WITHOUT_DEFAULT, *history, level=Compatibility.FULL_TRANSITIVE)) == 1


def test_none_and_a_first_version_accept_anything() -> None:
    assert check(record({"name": "text2", "type": "int"}), V1, level=Compatibility.NONE) == []
    assert check(WITHOUT_DEFAULT, level=Compatibility.FULL_TRANSITIVE) == []


def test_a_type_change_is_reported_with_its_location() -> None:
    changed = json.dumps({"type": "record", "name": "Greeting", "namespace": "bus.test",
                          "fields": [{"name": "text", "type": "int"}]})  # fmt: skip
    [message] = check(changed, V1, level=Compatibility.BACKWARD)
    assert "TYPE_MISMATCH" in message
    assert "/fields/0/type" in message


@pytest.mark.parametrize(
    "text",
    [
        "",
        "{",
        '{"type": "record", "name": "A"}',
        '"nope"',
        '{"type": "enum", "name": "E", "symbols": ["a", "a"]}',
    ],
)
def test_invalid_schemas_are_refused(text: str) -> None:
    with pytest.raises(SchemaError, match="invalid Avro schema"):
        parse_schema(text)


def test_levels_parse_in_any_case_and_name_the_valid_ones() -> None:
    assert Compatibility.parse("full_transitive") is Compatibility.FULL_TRANSITIVE
    with pytest.raises(ValueError, match="BACKWARD_TRANSITIVE"):
        Compatibility.parse("SIDEWAYS")


def test_identity_ignores_layout_but_keeps_defaults_docs_and_markers() -> None:
    spaced = json.dumps(json.loads(V1), indent=4)
    assert parse_schema(spaced).fingerprint == parse_schema(V1).fingerprint
    assert parse_schema(spaced).text == parse_schema(V1).text
    other_default = record({"name": "lang", "type": "string", "default": "en"})
    pii = record({"name": "lang", "type": "string", "default": "et", "pii": True})
    fingerprints = {
        parse_schema(text).fingerprint
        for text in (WITH_DEFAULT, other_default, pii, record(doc="Hello"))
    }
    assert len(fingerprints) == 4
    assert '"pii":true' in parse_schema(pii).text


def test_the_id_candidate_is_the_first_31_bits_of_the_fingerprint() -> None:
    parsed = parse_schema(V1)
    assert parsed.id_candidate == int(parsed.fingerprint[:8], 16) >> 1
    assert 1 <= parsed.id_candidate <= MAX_ID
