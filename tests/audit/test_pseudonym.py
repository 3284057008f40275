"""Pseudonyms: keyed, stable, per concrete path, and no raw value kept."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bus.audit.auditor import record_of
from bus.audit.pseudonym import Pseudonymizer, pseudonym_key
from bus.audit.record import new_record
from bus.errors import ConfigurationError
from bus.schemas.event import Event, new_event
from bus.settings import Settings

from .chains import CONTRACTS, PSEUDONYMS, T0, avro_bytes, message_event

SR = "gov.agencybus.servicerequest.ServiceRequestCreated"
CONTACT = "gov.agencybus.conversation.ContactInfoAnswered"


def test_the_same_value_gets_the_same_pseudonym_in_any_field_and_another_key_another() -> None:
    assert PSEUDONYMS.pseudonym("38001010000") == PSEUDONYMS.pseudonym("38001010000")
    assert PSEUDONYMS.pseudonym("38001010000") != PSEUDONYMS.pseudonym("38001010001")
    other = Pseudonymizer(b"another key of 32 bytes, exactly")
    assert other.pseudonym("38001010000") != PSEUDONYMS.pseudonym("38001010000")
    assert PSEUDONYMS.pseudonym("x").startswith("hmac:")


def test_map_entries_and_nested_fields_get_one_pseudonym_per_concrete_path() -> None:
    event = new_event(
        SR,
        source="assistant:tax-board",
        service_code="income-tax-return",
        citizen_reference="38001010000",
        fields={"iban": "EE382200221020145685", "reason": "refund"},
    )
    found = PSEUDONYMS.pseudonyms(event.data, CONTRACTS[SR].pii_fields)
    iban, reason = (f"fields{{{PSEUDONYMS.pseudonym(key)}}}" for key in ("iban", "reason"))
    assert set(found) == {"citizen_reference", iban, reason}
    assert found["citizen_reference"] == PSEUDONYMS.pseudonym("38001010000")
    assert found[iban] == PSEUDONYMS.pseudonym("EE382200221020145685")
    contact = new_event(
        CONTACT,
        source="assistant:police",
        outcome="FULFILLED",
        contact={"name": "Mari Maasikas", "email": "mari@example.ee", "phone": None},
    )
    found = PSEUDONYMS.pseudonyms(contact.data, CONTRACTS[CONTACT].pii_fields)
    assert {"contact.name", "contact.email"} <= set(found)
    assert "contact.phone" not in found  # null stays absent, it is not personal data


def test_an_audit_record_holds_no_raw_personal_data_in_its_bytes() -> None:
    message, event = message_event(3)
    pii = CONTRACTS[event.type].pii_fields
    record = new_record(message, event, PSEUDONYMS.pseudonyms(event.data, pii), audited_at=T0)
    data = avro_bytes(record)
    assert event.data["text"].encode() not in data
    assert event.data["author_id"].encode() not in data
    assert PSEUDONYMS.pseudonym(event.data["author_id"]).encode() in data


def test_the_keys_of_a_personal_data_map_are_pseudonymised_like_its_values() -> None:
    data = {"fields": {"Mari Maasikas": "38001010000"}}
    found = PSEUDONYMS.pseudonyms(data, ["fields"])
    assert found == {
        f"fields{{{PSEUDONYMS.pseudonym('Mari Maasikas')}}}": PSEUDONYMS.pseudonym("38001010000")
    }
    nested = {"contacts": {"Jaan Tamm": {"name": "Jaan Tamm", "city": "Tartu"}}}
    [path] = PSEUDONYMS.pseudonyms(nested, ["contacts{}.name"])
    assert path == f"contacts{{{PSEUDONYMS.pseudonym('Jaan Tamm')}}}.name"


def test_an_audit_record_holds_no_raw_key_of_a_personal_data_map_in_its_bytes() -> None:
    message, _ = message_event(4)
    event = new_event(
        SR,
        source="assistant:tax-board",
        service_code="income-tax-return",
        fields={"Mari Maasikas": "spouse", "38001010000": "child"},
    )
    pii = CONTRACTS[SR].pii_fields
    data = avro_bytes(
        new_record(message, event, PSEUDONYMS.pseudonyms(event.data, pii), audited_at=T0)
    )
    for key in ("Mari Maasikas", "38001010000"):
        assert key.encode() not in data
        assert PSEUDONYMS.pseudonym(key).encode() in data


def test_a_short_key_is_refused_with_how_to_make_one() -> None:
    with pytest.raises(ConfigurationError, match="at least 16"):
        Pseudonymizer(b"short")


def test_the_key_comes_from_the_settings_or_is_generated_once_and_kept(tmp_path: Path) -> None:
    given = Settings(audit_pseudonym_key="00" * 32, home=tmp_path)
    assert pseudonym_key(given) == bytes(32)
    generated = Settings(home=tmp_path)
    first = pseudonym_key(generated)
    assert len(first) == 32 and pseudonym_key(generated) == first
    assert (tmp_path / "audit" / "pseudonym.key").stat().st_mode & 0o077 == 0


def test_an_identifier_typed_into_free_text_is_recorded_as_a_field_of_it_would_be() -> None:
    message, event = message_event(5)
    event.data["text"] = "my code is 38001085718, write to mari@example.ee"

    async def decode(value: bytes) -> Event:
        return event

    record = asyncio.run(record_of(message, decode, CONTRACTS, PSEUDONYMS))
    assert record["pseudonyms"]["text#isikukood#1"] == PSEUDONYMS.pseudonym("38001085718")
    assert record["pseudonyms"]["text#email#1"] == PSEUDONYMS.pseudonym("mari@example.ee")
    data = avro_bytes(record)
    assert b"38001085718" not in data and b"mari@example.ee" not in data
