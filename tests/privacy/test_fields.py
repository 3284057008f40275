"""Scrubbing events by their contracts' ``pii`` and ``free_text`` marks (``bus.privacy.fields``)."""

from __future__ import annotations

from bus.audit.pseudonym import Pseudonymizer
from bus.privacy.fields import HIDDEN, identifier_pseudonyms, scrubbed
from bus.privacy.scrubber import Scrubber
from bus.schemas.contracts import load_contracts
from bus.schemas.event import new_event
from bus.settings import Settings

CONTRACTS = load_contracts(Settings().schemas_dir)
MS = "gov.agencybus.conversation.MessageSent"
SR = "gov.agencybus.servicerequest.ServiceRequestCreated"
DL = "gov.agencybus.deadletter.DeadLetter"
KEYED = Pseudonymizer(b"k" * 32)
CODE = "38001085718"


def _message(text: str) -> dict[str, object]:
    return new_event(
        MS,
        source="assistant:tax-board",
        conversation_id="c-1",
        message_id="m-1",
        author_role="END_USER",
        author_id="citizen-7",
        author_display_name="Mari Maasikas",
        text=text,
    ).data


def test_the_contracts_mark_what_people_type_as_free_text() -> None:
    assert CONTRACTS[MS].free_text_fields == ("text",)
    assert CONTRACTS[SR].free_text_fields == ()
    assert all(set(c.free_text_fields) <= set(c.pii_fields) for c in CONTRACTS.values())


def test_free_text_keeps_its_words_and_loses_its_identifiers_other_pii_is_pseudonymised() -> None:
    data = _message(f"Minu isikukood on {CODE}, tel +372 5123 4567. Aitäh!")
    clean = scrubbed(data, CONTRACTS[MS], Scrubber(KEYED))
    assert clean["text"] == (
        f"Minu isikukood on <isikukood:{KEYED.pseudonym(CODE)}>, "
        f"tel <phone:{KEYED.pseudonym('+37251234567')}>. Aitäh!"
    )
    assert clean["author_id"] == KEYED.pseudonym("citizen-7")
    assert clean["author_display_name"] == KEYED.pseudonym("Mari Maasikas")
    assert clean["message_id"] == "m-1" and clean["header"] == data["header"]
    assert data["text"].startswith("Minu isikukood on 3800")  # the original is left alone


def test_without_a_key_identifiers_become_placeholders_and_pii_a_mark() -> None:
    clean = scrubbed(_message(f"code {CODE}"), CONTRACTS[MS], Scrubber())
    assert clean["text"] == "code <isikukood>"
    assert clean["author_id"] == HIDDEN


def test_a_pii_map_has_keys_and_values_pseudonymised_and_pii_bytes_stay_bytes() -> None:
    request = new_event(
        SR,
        source="assistant:tax-board",
        request_id="r-1",
        authority="tax-board",
        service_code="income-tax-return",
        citizen_reference=CODE,
        fields={"Mari Maasikas": "EE382200221020145685"},
    ).data
    clean = scrubbed(request, CONTRACTS[SR], Scrubber(KEYED))
    assert clean["fields"] == {
        KEYED.pseudonym("Mari Maasikas"): KEYED.pseudonym("EE382200221020145685")
    }
    assert clean["citizen_reference"] == KEYED.pseudonym(CODE)
    letter = {"original_value": b"raw bytes with 38001085718", "reason": "x"}
    hidden = scrubbed(letter, CONTRACTS[DL], Scrubber(KEYED))["original_value"]
    assert isinstance(hidden, bytes) and CODE.encode() not in hidden


def test_each_identifier_in_free_text_gets_the_pseudonym_that_value_gets_in_a_pii_field() -> None:
    data = _message(f"{CODE} ja teine 49403136515, e-post mari@example.ee, {CODE}")
    found = identifier_pseudonyms(data, CONTRACTS[MS], Scrubber(KEYED))
    assert found == {
        "text#isikukood#1": KEYED.pseudonym(CODE),
        "text#isikukood#2": KEYED.pseudonym("49403136515"),
        "text#email#1": KEYED.pseudonym("mari@example.ee"),
        "text#isikukood#3": KEYED.pseudonym(CODE),
    }
    assert identifier_pseudonyms(data, CONTRACTS[MS], Scrubber()) == {}
