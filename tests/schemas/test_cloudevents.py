from datetime import UTC, datetime

from bus.schemas.cloudevents import ce_headers, dataschema, parse_ce_headers
from bus.schemas.event import new_event


def test_headers_carry_the_cloudevents_attributes_and_the_schema_version() -> None:
    event = new_event(
        "gov.agencybus.conversation.Greeting",
        source="assistant:police",
        conversation_id="c-1",
        occurred_at=datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=UTC),
        text="hi",
    )
    uri = dataschema("http://reg:8081/", "gov.agencybus.conversation.Greeting", 3)
    headers = dict(ce_headers(event, uri))
    assert headers["ce_specversion"] == b"1.0"
    assert headers["ce_id"] == (event.id or "").encode()
    assert headers["ce_source"] == b"assistant:police"
    assert headers["ce_type"] == b"gov.agencybus.conversation.Greeting"
    assert headers["ce_time"] == b"2026-01-02T03:04:05.678Z"
    assert headers["content-type"] == b"application/avro"
    assert headers["ce_subject"] == b"c-1"
    assert headers["ce_dataschema"] == (
        b"http://reg:8081/subjects/gov.agencybus.conversation.Greeting/versions/3"
    )


def test_parsing_headers_gives_the_attributes_back() -> None:
    event = new_event("t.T", source="s", request_id="r-9")
    attrs = parse_ce_headers(ce_headers(event, "u"))
    assert attrs is not None
    assert (attrs.id, attrs.source, attrs.type, attrs.subject) == (event.id, "s", "t.T", "r-9")


def test_messages_without_cloudevents_headers_parse_as_none() -> None:
    assert parse_ce_headers([("other", b"x")]) is None
