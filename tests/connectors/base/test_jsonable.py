"""JSON in and out: timestamps, unions, unknown fields named by path."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bus.schemas.contracts import load_contracts
from bus.schemas.event import new_event
from bus.settings import Settings
from connectors.base.errors import InvalidEventError
from connectors.base.jsonable import datum_from_json, event_to_json

CONTRACTS = load_contracts(Settings().schemas_dir)
UNAVAILABLE = CONTRACTS["gov.agencybus.conversation.Unavailable"].schema
ANSWERED = CONTRACTS["gov.agencybus.conversation.ContactInfoAnswered"].schema


def test_rfc3339_strings_become_timestamps_in_the_header_and_in_unions() -> None:
    datum = datum_from_json(
        UNAVAILABLE,
        {
            "header": {"occurred_at": "2026-03-01T10:00:00Z", "source": "x", "event_id": "e"},
            "reason": "HOLIDAY",
            "available_again_at": "2026-03-02T08:00:00+02:00",
        },
    )
    assert datum["header"]["occurred_at"] == datetime(2026, 3, 1, 10, tzinfo=UTC)
    assert datum["available_again_at"] == datetime(2026, 3, 2, 6, tzinfo=UTC)


def test_an_unknown_field_inside_a_nested_record_is_named_by_its_path() -> None:
    with pytest.raises(InvalidEventError) as caught:
        datum_from_json(
            ANSWERED,
            {"header": {}, "outcome": "FULFILLED", "contact": {"email": "a@b.ee", "fax": "1"}},
        )
    assert caught.value.field == "contact.fax"
    assert caught.value.schema == "gov.agencybus.conversation.ContactInfoAnswered"


def test_an_event_goes_out_as_a_structured_cloudevent_with_rfc3339_times() -> None:
    event = new_event(
        "gov.agencybus.conversation.Greeting",
        source="assistant:police",
        conversation_id="c-1",
        occurred_at=datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=UTC),
        text="Tere",
    )
    cloudevent = event_to_json(event)
    assert cloudevent["specversion"] == "1.0"
    assert (cloudevent["id"], cloudevent["subject"]) == (event.id, "c-1")
    assert cloudevent["time"] == "2026-01-02T03:04:05.678Z"
    assert cloudevent["data"]["text"] == "Tere"
