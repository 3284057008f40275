"""The data map computed from the example catalogue, the contracts and the principals."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from bus.catalogue import load_catalogue
from bus.datamap import DataMap, Form, Passage, PersonalField, Reader, Topic, data_map
from bus.datamap.model import field_doc, retention_text
from bus.schemas.contracts import load_contracts
from bus.security.principals import principals
from bus.settings import Settings

SETTINGS = Settings(app_id="agency-bus")
CATALOGUE = load_catalogue(SETTINGS.catalogue)
CONTRACTS = load_contracts(SETTINGS.schemas_dir)
MAP = data_map(CATALOGUE, CONTRACTS, SETTINGS)
T = CATALOGUE.topics
INBOXES = [a.inbox for a in CATALOGUE.authorities.values()]
ASSISTANTS = [a.assistant_topic for a in CATALOGUE.authorities.values()]


def test_every_personal_data_field_of_a_carried_contract_is_on_the_map() -> None:
    marked = {
        f"{name.rsplit('.', 1)[1]}.{path}"
        for name, contract in CONTRACTS.items()
        for path in contract.pii_fields
    }
    assert {f.label for f in MAP.fields} | set(MAP.unplaced) == marked
    assert MAP.unplaced == ("DeadLetter.original_value",)  # only inside a dead letter's bytes


def test_a_citizens_message_travels_in_clear_to_every_inbox_and_assistant_and_is_audited() -> None:
    text = MAP.field("MessageSent.text")
    assert text.free_text
    assert set(text.topics(Form.CLEAR)) == {T.assistant_events, *INBOXES, *ASSISTANTS}
    assert text.topics(Form.PSEUDONYMISED) == (T.audit, f"{T.audit}-intake")
    assert text.topics(Form.DEAD_LETTER) == (T.dead_letters,)
    assert text.topics(Form.SCRUBBED) == ()
    assert text.doc == "The message text as written."


def test_a_service_request_goes_to_inboxes_and_its_status_updates_to_assistants() -> None:
    created = MAP.field("ServiceRequestCreated.citizen_reference")
    assert set(created.topics(Form.CLEAR)) == {T.assistant_events, *INBOXES}
    assert not MAP.field("ServiceRequestCreated.citizen_reference").free_text
    update = MAP.field("ServiceRequestRejected.message")
    assert set(update.topics(Form.CLEAR)) == {T.service_updates, *ASSISTANTS}


def test_only_records_whose_reader_may_write_dead_letters_can_end_up_there() -> None:
    # the officials read the escalations and write no dead letters; the escalator reads actions
    assert MAP.field("CaseOpened.summary").topics(Form.DEAD_LETTER) == ()
    assert MAP.field("CaseActionRequested.text").topics(Form.DEAD_LETTER) == (T.dead_letters,)


def test_each_topics_readers_are_exactly_the_principals_its_acls_let_read_it() -> None:
    found = principals(CATALOGUE, SETTINGS)
    for topic in MAP.topics:
        assert topic.readers == tuple(p.name for p in found if p.may_read(topic.name))
    assert MAP.topic("bus.inbox.police").readers == (
        "service-police",
        "auditor",
        "audit-reader",
        "gateway",
    )
    assert MAP.topic(f"{T.audit}-intake").readers == ("auditor",)
    assert [r.name for r in MAP.readers] == [p.name for p in found]


def test_retention_comes_from_the_catalogues_topic_settings() -> None:
    assert MAP.topic(T.audit).retention == "forever"
    assert MAP.topic(T.dead_letters).retention == "30 days"
    assert MAP.topic(T.assistant_events).retention_ms == 604_800_000
    assert MAP.topic(f"{T.audit}-intake").retention == "broker default"


def test_access_is_the_most_exposed_form_a_principal_may_read_a_field_in() -> None:
    text = MAP.field("MessageSent.text")
    assert MAP.access(text, "service-police") == Form.CLEAR
    assert MAP.access(text, "registry") is None
    assert MAP.access(MAP.field("ServiceRequestCreated.fields"), "assistant-police") is None
    assert MAP.access(MAP.field("CaseOpened.summary"), "officials") == Form.CLEAR
    assert MAP.access(MAP.field("CaseOpened.summary"), "escalator") is None


def test_a_principal_that_reads_only_the_audit_log_sees_pseudonyms() -> None:
    field = PersonalField(
        "t.Ping",
        "name",
        "d",
        False,
        (
            Passage("in", Form.CLEAR),
            Passage("dlq", Form.DEAD_LETTER),
            Passage("log", Form.PSEUDONYMISED),
        ),
    )
    topics = tuple(
        Topic(name, "s", None, "delete", readers)
        for name, readers in (("in", ("a",)), ("dlq", ("a", "b")), ("log", ("a", "b", "c")))
    )
    small = DataMap(topics, tuple(Reader(n, "r") for n in "abcd"), (field,), ())
    assert [small.access(field, r) for r in "abcd"] == [
        Form.CLEAR,
        Form.DEAD_LETTER,
        Form.PSEUDONYMISED,
        None,
    ]


def test_a_topic_left_out_of_the_audit_has_its_fields_pseudonymised_nowhere(
    tmp_path: Path,
) -> None:
    document = yaml.safe_load(SETTINGS.catalogue.read_text())
    document["topics"]["audited"] = [T.assistant_events]
    path = tmp_path / "catalogue.yaml"
    path.write_text(yaml.safe_dump(document))
    narrow = data_map(load_catalogue(path), CONTRACTS, SETTINGS)
    assert narrow.field("CaseOpened.summary").topics(Form.PSEUDONYMISED) == ()
    assert narrow.field("MessageSent.text").topics(Form.PSEUDONYMISED) != ()
    assert narrow.topic(T.escalations).readers == ("officials",)


def test_fields_that_travel_alike_share_one_route() -> None:
    routes = MAP.routes()
    assert sum(len(fields) for fields, _ in routes) == len(MAP.fields)
    conversation = next(fields for fields, _ in routes if MAP.field("MessageSent.text") in fields)
    assert MAP.field("ContactInfoAnswered.contact.email") in conversation
    assert MAP.field("ServiceRequestCreated.fields") not in conversation


def test_the_json_form_lists_each_fields_access_by_principal() -> None:
    document = json.loads(json.dumps(MAP.to_json()))
    text = next(f for f in document["fields"] if f["field"] == "MessageSent.text")
    assert text["access"]["service-tax-board"] == "clear"
    assert "registry" not in text["access"]
    assert text["pseudonymised_on"] == [T.audit, f"{T.audit}-intake"]
    assert text["free_text"] is True
    audit = next(t for t in document["topics"] if t["name"] == T.audit)
    assert audit["retention_ms"] == -1 and audit["readers"] == ["auditor", "audit-reader"]


def test_a_nested_fields_doc_is_its_own() -> None:
    schema = CONTRACTS["gov.agencybus.conversation.ContactInfoAnswered"].schema
    assert field_doc(schema, "contact.email") == "E-mail address."
    contact = next(f for f in schema["fields"] if f["name"] == "contact")
    assert field_doc(schema, "contact.nothing") == contact["doc"]


def test_retention_reads_as_a_person_says_it() -> None:
    assert retention_text(-1) == "forever"
    assert retention_text(None) == "broker default"
    assert retention_text(86_400_000) == "1 day"
    assert retention_text(2_592_000_000) == "30 days"
    assert retention_text(7_200_000) == "2 hours"
    assert retention_text(1_500) == "1500 ms"


def test_a_sandbox_candidate_reads_citizens_free_text_scrubbed_and_nothing_in_clear(
    tmp_path: Path,
) -> None:
    document = yaml.safe_load(SETTINGS.catalogue.read_text())
    document["sandboxes"] = [
        {
            "name": "police-v2",
            "authority": "police",
            "principal": "candidate-police-v2",
            "ends": "2099-01-01T00:00:00Z",
        }
    ]
    path = tmp_path / "catalogue.yaml"
    path.write_text(yaml.safe_dump(document))
    found = data_map(load_catalogue(path), CONTRACTS, SETTINGS)
    text, author = found.field("MessageSent.text"), found.field("MessageSent.author_id")
    assert found.access(text, "candidate-police-v2") is Form.SCRUBBED
    assert found.access(author, "candidate-police-v2") is Form.PSEUDONYMISED
    assert Passage("bus.sandbox.police-v2.input", Form.SCRUBBED) in text.passages
    clear = [f.label for f in found.fields if found.access(f, "candidate-police-v2") is Form.CLEAR]
    assert clear == []


def test_every_other_topic_of_the_bus_is_listed_without_personal_data_with_its_readers() -> None:
    quiet = {topic.name: topic for topic in MAP.quiet}
    assert set(quiet) == {
        T.presence,
        "agency-bus-router-subjects-changelog",
        "escalator-escalator-conversations-changelog",  # the escalator's own app id under ACLs
        "_schemas",
    }
    assert not set(quiet) & {topic.name for topic in MAP.topics}
    assert quiet["agency-bus-router-subjects-changelog"].readers == ("router",)
    assert quiet["escalator-escalator-conversations-changelog"].readers == ("escalator",)
    assert quiet["_schemas"].readers == ("registry",)
    assert quiet["_schemas"].cleanup_policy == "compact"
    listed = MAP.to_json()["without_personal_data"]
    assert [topic["name"] for topic in listed] == [topic.name for topic in MAP.quiet]
