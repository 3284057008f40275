"""The event contracts in ``schemas/`` and the loader that turns them into registrable schemas."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import avro.schema
import fastavro
import pytest

from bus.errors import SchemaError
from bus.schemas.contracts import Contract, load_contracts, pii_paths
from bus.schemas.samples import sample_datum

SCHEMAS_DIR = Path(__file__).resolve().parents[2] / "schemas"
NS = "gov.agencybus"
EVENT_FAMILIES = {"conversation", "servicerequest", "escalation"}

CONTRACTS = load_contracts(SCHEMAS_DIR)
ALL = sorted(CONTRACTS.values(), key=lambda c: c.name)


def by_name(name: str) -> Contract:
    return CONTRACTS[f"{NS}.{name}"]


def named_types(schema: Any) -> Iterator[dict[str, Any]]:
    """Every inline definition of a record, enum or fixed in a standalone schema."""
    if isinstance(schema, list):
        for branch in schema:
            yield from named_types(branch)
    elif isinstance(schema, dict):
        if schema.get("type") in ("record", "enum", "fixed"):
            yield schema
        for field in schema.get("fields", []):
            yield from named_types(field["type"])
        for key in ("type", "items", "values"):
            if isinstance(schema.get(key), dict | list):
                yield from named_types(schema[key])


def enum_symbols(name: str) -> list[str]:
    for contract in ALL:
        for named in named_types(contract.schema):
            if f"{named['namespace']}.{named['name']}" == f"{NS}.common.{name}":
                return list(named["symbols"])
    raise AssertionError(f"no contract uses enum {name}")


def encode(schema: Any, datum: Any) -> bytes:
    out = io.BytesIO()
    fastavro.schemaless_writer(out, schema, datum)
    return out.getvalue()


@pytest.mark.parametrize("contract", ALL, ids=lambda c: c.name)
def test_every_contract_parses_alone_with_fastavro_and_avro(contract: Contract) -> None:
    fastavro.parse_schema(contract.schema, named_schemas={})
    parsed = avro.schema.parse(contract.canonical)
    assert parsed.fullname == contract.name


@pytest.mark.parametrize("contract", ALL, ids=lambda c: c.name)
def test_canonical_text_is_the_compact_json_of_the_schema(contract: Contract) -> None:
    assert contract.canonical == json.dumps(contract.schema, separators=(",", ":"))
    assert json.loads(contract.canonical) == contract.schema
    assert contract.subject == contract.name


@pytest.mark.parametrize("contract", ALL, ids=lambda c: c.name)
def test_every_record_and_field_has_a_doc_and_every_named_type_a_namespace(
    contract: Contract,
) -> None:
    for named in named_types(contract.schema):
        assert named.get("namespace", "").startswith(f"{NS}."), named["name"]
        assert named.get("doc"), named["name"]
        for field in named.get("fields", []):
            assert field.get("doc"), f"{named['name']}.{field['name']}"


@pytest.mark.parametrize("contract", ALL, ids=lambda c: c.name)
def test_contract_lives_in_the_folder_and_file_named_after_it(contract: Contract) -> None:
    assert contract.name.startswith(f"{NS}.{contract.family}.")
    assert contract.path.parent.name == contract.family


@pytest.mark.parametrize(
    "contract", [c for c in ALL if c.family in EVENT_FAMILIES], ids=lambda c: c.name
)
def test_every_event_carries_the_header_first(contract: Contract) -> None:
    first = contract.schema["fields"][0]
    assert contract.has_header
    assert first["name"] == "header"


def test_audit_and_dead_letter_records_have_no_header() -> None:
    assert not by_name("audit.AuditRecord").has_header
    assert not by_name("deadletter.DeadLetter").has_header


def test_shared_types_are_resolvable_but_not_contracts() -> None:
    assert not [c for c in ALL if c.family == "common"]
    header = by_name("conversation.MessageSent").schema["fields"][0]["type"]
    assert header["name"] == "EventHeader"
    assert header["namespace"] == f"{NS}.common"


def test_a_type_used_twice_is_inlined_once_then_named() -> None:
    fields = {
        f["name"]: f["type"]
        for f in by_name("conversation.ConversationStatusChanged").schema["fields"]
    }
    assert fields["status"]["name"] == "ConversationStatus"
    assert fields["previous_status"] == ["null", f"{NS}.common.ConversationStatus"]


def test_event_header_fields_match_the_envelope() -> None:
    header = by_name("conversation.Greeting").schema["fields"][0]["type"]
    fields = {f["name"]: f for f in header["fields"]}
    assert fields["event_id"]["type"] == {"type": "string", "logicalType": "uuid"}
    assert fields["occurred_at"]["type"] == {"type": "long", "logicalType": "timestamp-millis"}
    assert fields["source"]["type"] == "string"
    for optional in ("authority", "conversation_id", "request_id", "correlation_id"):
        assert fields[optional]["type"] == ["null", "string"]
        assert fields[optional]["default"] is None
    assert fields["schema_version"] == {**fields["schema_version"], "type": "int", "default": 1}


def test_the_brief_vocabulary_enums_have_its_symbols() -> None:
    assert {"OPEN", "REDIRECTED", "IDLE", "VALIDATING", "ENDED"} <= set(
        enum_symbols("ConversationStatus")
    )
    assert {"END_USER", "BACKOFFICE_USER", "BOT"} <= set(enum_symbols("AuthorRole"))
    assert {
        "CLIENT_LEFT_WITH_ANSWER",
        "CLIENT_LEFT_WITHOUT_RESOLUTION",
        "CLIENT_LEFT_FOR_UNKNOWN_REASONS",
        "ACCEPTED",
        "HATE_SPEECH",
        "OTHER",
        "RESPONSE_SENT_TO_EMAIL",
    } <= set(enum_symbols("EndReason"))
    assert {"ONLINE", "IDLE", "OFFLINE"} <= set(enum_symbols("OfficialPresence"))
    assert {"ACCEPTED", "REJECTED", "IGNORED"} <= set(enum_symbols("PermissionAnswer"))
    assert {"FULFILLED", "REJECTED", "SKIPPED"} <= set(enum_symbols("ContactInfoOutcome"))
    assert {"ORGANIZATION", "OFFICIALS", "HOLIDAY"} <= set(enum_symbols("UnavailabilityReason"))


@pytest.mark.parametrize(
    "name",
    [
        "conversation.Greeting",
        "conversation.MessageSent",
        "conversation.IntentClassified",
        "conversation.AuthenticationRequested",
        "conversation.AuthenticationCompleted",
        "conversation.PermissionAsked",
        "conversation.PermissionAnswered",
        "conversation.HandoffRequested",
        "conversation.TakenOver",
        "conversation.Redirected",
        "conversation.ContactInfoRequested",
        "conversation.ContactInfoAnswered",
        "conversation.Unavailable",
        "conversation.MessageRead",
        "conversation.ConversationRated",
        "conversation.ClientLeft",
        "conversation.ConversationEnded",
        "conversation.ConversationStatusChanged",
        "conversation.OfficialPresenceChanged",
        "servicerequest.ServiceRequestCreated",
        "servicerequest.ServiceRequestAccepted",
        "servicerequest.ServiceRequestInProgress",
        "servicerequest.ServiceRequestNeedsInformation",
        "servicerequest.ServiceRequestCompleted",
        "servicerequest.ServiceRequestRejected",
        "escalation.CaseOpened",
        "escalation.CaseClaimed",
        "escalation.CaseReleased",
        "escalation.CaseTransferred",
        "escalation.CaseResolved",
        "escalation.ServiceLevelBreached",
        "audit.AuditRecord",
        "audit.AuditCheckpoint",
        "deadletter.DeadLetter",
    ],
)
def test_every_event_type_of_the_vocabulary_has_a_contract(name: str) -> None:
    assert f"{NS}.{name}" in CONTRACTS


def test_redirect_keeps_both_authorities_and_the_other_sides_id() -> None:
    fields = {f["name"] for f in by_name("conversation.Redirected").schema["fields"]}
    assert {"forwarded_from", "forwarded_to", "external_id"} <= fields


def test_personal_data_fields_are_marked_pii() -> None:
    assert "text" in by_name("conversation.MessageSent").pii_fields
    assert "citizen_reference" in by_name("servicerequest.ServiceRequestCreated").pii_fields
    assert "citizen_reference" in by_name("conversation.AuthenticationCompleted").pii_fields
    assert {"contact.name", "contact.email", "contact.phone"} <= set(
        by_name("conversation.ContactInfoAnswered").pii_fields
    )
    assert "comment" in by_name("conversation.ConversationRated").pii_fields


def test_identifiers_and_envelope_are_not_pii() -> None:
    for contract in ALL:
        assert not [p for p in contract.pii_fields if p.startswith("header.")], contract.name
    assert "message_id" not in by_name("conversation.MessageSent").pii_fields


def test_pii_paths_walk_arrays_maps_and_named_references() -> None:
    schema = {
        "type": "record",
        "name": "Outer",
        "namespace": "t",
        "fields": [
            {"name": "id", "type": "string"},
            {
                "name": "people",
                "type": {
                    "type": "array",
                    "items": {
                        "type": "record",
                        "name": "Person",
                        "fields": [{"name": "email", "type": "string", "pii": True}],
                    },
                },
            },
            {"name": "by_role", "type": {"type": "map", "values": "Person"}},
            {"name": "owner", "type": ["null", "t.Person"], "pii": True},
        ],
    }
    assert pii_paths(schema) == ("people[].email", "by_role{}.email", "owner", "owner.email")


@pytest.mark.parametrize("contract", ALL, ids=lambda c: c.name)
def test_a_sample_datum_round_trips_through_fastavro(contract: Contract) -> None:
    schema = fastavro.parse_schema(contract.schema, named_schemas={})
    datum = sample_datum(contract.schema)
    written = encode(schema, datum)
    read = fastavro.schemaless_reader(io.BytesIO(written), schema, None)
    assert encode(schema, read) == written
    if contract.has_header:
        assert str(read["header"]["event_id"]) == datum["header"]["event_id"]


def test_sample_datum_uses_null_for_optional_and_first_symbol_for_enums() -> None:
    datum = sample_datum(by_name("conversation.ConversationStatusChanged").schema)
    assert datum["status"] == "OPEN"
    assert datum["previous_status"] is None
    assert datum["header"]["schema_version"] == 1
    assert isinstance(datum["header"]["occurred_at"], int)


# --- the loader's errors, on small broken trees ---------------------------------------------


def write(root: Path, relative: str, content: dict[str, Any] | str) -> Path:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    text = content if isinstance(content, str) else json.dumps(content, indent=2)
    path.write_text(text)
    return path


def event(
    name: str, fields: list[dict[str, Any]], namespace: str = "t.conversation"
) -> dict[str, Any]:
    return {"type": "record", "name": name, "namespace": namespace, "doc": "d", "fields": fields}


def test_loader_returns_a_valid_tree(tmp_path: Path) -> None:
    write(
        tmp_path,
        "common/role.avsc",
        {
            "type": "enum",
            "name": "Role",
            "namespace": "t.common",
            "doc": "d",
            "symbols": ["A"],
        },
    )
    write(
        tmp_path,
        "conversation/ping.avsc",
        event("Ping", [{"name": "role", "type": "t.common.Role", "doc": "d"}]),
    )
    contracts = load_contracts(tmp_path)
    assert list(contracts) == ["t.conversation.Ping"]
    assert contracts["t.conversation.Ping"].schema["fields"][0]["type"]["name"] == "Role"


def test_loader_names_the_file_and_line_of_invalid_json(tmp_path: Path) -> None:
    write(tmp_path, "conversation/ping.avsc", '{\n  "type": "record",\n  "name": Ping\n}\n')
    with pytest.raises(SchemaError, match=r"ping\.avsc: invalid JSON at line 3"):
        load_contracts(tmp_path)


def test_loader_reports_an_unknown_referenced_type(tmp_path: Path) -> None:
    write(
        tmp_path,
        "conversation/ping.avsc",
        event("Ping", [{"name": "role", "type": "t.common.Missing", "doc": "d"}]),
    )
    with pytest.raises(SchemaError, match=r"ping\.avsc: field 'role' refers to unknown type"):
        load_contracts(tmp_path)


def test_loader_reports_a_field_without_doc(tmp_path: Path) -> None:
    write(tmp_path, "conversation/ping.avsc", event("Ping", [{"name": "x", "type": "string"}]))
    with pytest.raises(SchemaError, match=r"ping\.avsc: field 'x' has no 'doc'"):
        load_contracts(tmp_path)


def test_loader_reports_a_record_without_doc(tmp_path: Path) -> None:
    schema = event("Ping", [])
    del schema["doc"]
    write(tmp_path, "conversation/ping.avsc", schema)
    with pytest.raises(SchemaError, match=r"ping\.avsc: Ping has no 'doc'"):
        load_contracts(tmp_path)


def test_loader_reports_a_record_whose_name_does_not_match_its_file(tmp_path: Path) -> None:
    write(tmp_path, "conversation/pong.avsc", event("Ping", []))
    with pytest.raises(SchemaError, match=r"pong\.avsc: type Ping must be in .*ping\.avsc"):
        load_contracts(tmp_path)


def test_loader_reports_a_name_used_in_two_families(tmp_path: Path) -> None:
    write(tmp_path, "conversation/ping.avsc", event("Ping", []))
    write(tmp_path, "escalation/ping.avsc", event("Ping", [], namespace="t.escalation"))
    with pytest.raises(SchemaError, match=r"escalation/ping\.avsc: duplicate name Ping, already"):
        load_contracts(tmp_path)


def test_loader_reports_a_namespace_that_does_not_match_its_folder(tmp_path: Path) -> None:
    write(tmp_path, "escalation/ping.avsc", event("Ping", []))
    with pytest.raises(
        SchemaError, match=r"namespace 't\.conversation' does not end in its folder"
    ):
        load_contracts(tmp_path)


def test_loader_rejects_a_named_type_defined_inline(tmp_path: Path) -> None:
    inner = {"type": "enum", "name": "Role", "doc": "d", "symbols": ["A"]}
    write(
        tmp_path,
        "conversation/ping.avsc",
        event("Ping", [{"name": "role", "type": inner, "doc": "d"}]),
    )
    with pytest.raises(SchemaError, match="defines enum 'Role' inline"):
        load_contracts(tmp_path)


def test_loader_rejects_a_default_its_type_does_not_accept(tmp_path: Path) -> None:
    write(
        tmp_path,
        "conversation/ping.avsc",
        event("Ping", [{"name": "n", "type": ["null", "string"], "default": "x", "doc": "d"}]),
    )
    with pytest.raises(SchemaError, match=r"ping\.avsc: field 'n' has default 'x'"):
        load_contracts(tmp_path)
