from typing import Any

from bus.schemas.validation import first_invalid_field, first_unknown_field

HEADER: dict[str, Any] = {
    "type": "record",
    "name": "H",
    "namespace": "t",
    "fields": [
        {"name": "event_id", "type": {"type": "string", "logicalType": "uuid"}},
        {"name": "at", "type": {"type": "long", "logicalType": "timestamp-millis"}},
    ],
}
SCHEMA: dict[str, Any] = {
    "type": "record",
    "name": "M",
    "namespace": "t",
    "fields": [
        {"name": "header", "type": HEADER},
        {"name": "role", "type": {"type": "enum", "name": "Role", "symbols": ["BOT", "END_USER"]}},
        {"name": "note", "type": ["null", "string"], "default": None},
        {"name": "tags", "type": {"type": "array", "items": "string"}},
        {"name": "other", "type": ["null", "H"], "default": None},
    ],
}


def _datum(**changes: Any) -> dict[str, Any]:
    datum: dict[str, Any] = {
        "header": {"event_id": "e", "at": 1},
        "role": "BOT",
        "tags": ["a"],
    }
    datum.update(changes)
    return datum


def test_a_valid_record_has_no_invalid_field() -> None:
    assert first_invalid_field(SCHEMA, _datum()) is None


def test_nested_field_is_named_by_its_path_from_the_event() -> None:
    found = first_invalid_field(SCHEMA, _datum(header={"event_id": "e", "at": "yesterday"}))
    assert found is not None
    assert found[0] == "header.at"
    assert "yesterday" in found[1]


def test_missing_field_without_default_is_reported() -> None:
    datum = _datum()
    del datum["role"]
    assert first_invalid_field(SCHEMA, datum) == ("role", "is missing and has no default")


def test_enum_symbol_outside_the_schema_is_reported_with_the_symbols() -> None:
    found = first_invalid_field(SCHEMA, _datum(role="ROBOT"))
    assert found is not None and found[0] == "role" and "END_USER" in found[1]


def test_array_item_is_named_by_index() -> None:
    found = first_invalid_field(SCHEMA, _datum(tags=["a", 5]))
    assert found is not None and found[0] == "tags[1]"


def test_union_with_a_named_type_referenced_by_name() -> None:
    assert first_invalid_field(SCHEMA, _datum(other={"event_id": "x", "at": 2})) is None
    found = first_invalid_field(SCHEMA, _datum(other={"event_id": "x"}))
    assert found is not None and found[0] == "other"


def test_a_record_with_only_its_schemas_fields_has_no_unknown_field() -> None:
    assert first_unknown_field(SCHEMA, _datum(note=None, other={"event_id": "x", "at": 2})) is None


def test_a_misspelt_field_is_unknown_and_the_field_meant_is_suggested() -> None:
    assert first_unknown_field(SCHEMA, _datum(nots="hi")) == (
        "nots",
        "is not a field of M; did you mean 'note'?",
    )


def test_an_unknown_field_inside_a_record_in_a_union_is_named_by_its_path() -> None:
    found = first_unknown_field(SCHEMA, _datum(other={"event_id": "x", "at": 2, "by": "me"}))
    assert found is not None and found[0] == "other.by"
    found = first_unknown_field(SCHEMA, _datum(header={"event_id": "e", "at": 1, "x": 0}))
    assert found == ("header.x", "is not a field of H")
