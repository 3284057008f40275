"""The escalator's decisions over a catalogue, without Kafka: events in, events out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from bus.catalogue import Catalogue
from bus.escalation import ConversationState, PresenceBoard, due, on_action, on_conversation
from bus.escalation.desk import Output, check_deadlines
from bus.schemas.event import Event, new_event

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
CATALOGUE = Catalogue.model_validate(
    {
        "topics": {"assistant_events": "t.assistant-events"},
        "authorities": {
            "police": {
                "code": "police",
                "name": "Police",
                "intents": ["passport"],
                "escalation": {
                    "first_response_s": 60,
                    "service_levels": {"passport-application": 30},
                },
            },
            "tax-board": {"code": "tax-board", "name": "Tax", "intents": ["tax"]},
        },
    }
)


def board(*online: tuple[str, str]) -> PresenceBoard:
    presence = PresenceBoard()
    for official, authority in online:
        presence.apply(official, authority, "ONLINE")
    return presence


def handoff(authority: str = "police") -> Event:
    return new_event(
        "gov.agencybus.conversation.HandoffRequested",
        source=f"assistant:{authority}",
        conversation_id="c1",
        trigger="CITIZEN_REQUEST",
        requested_by="END_USER",
    )


def action(kind: str, case_id: str | None, official: str = "anna", **fields: Any) -> Event:
    return new_event(
        "gov.agencybus.escalation.CaseActionRequested",
        source="officials-api:police",
        conversation_id="c1",
        action=kind,
        case_id=case_id,
        official_id=official,
        official_authority="police" if official in ("anna", "bert") else "tax-board",
        **fields,
    )


def types(outputs: list[Output]) -> list[tuple[str, str]]:
    return [(out.topic, out.event.type.rsplit(".", 1)[1]) for out in outputs]


def opened(state: ConversationState, presence: PresenceBoard) -> str:
    on_conversation(handoff(), state, CATALOGUE, presence, NOW)
    assert state.case is not None
    return state.case.case_id


def test_a_handoff_opens_one_case_in_the_owners_queue() -> None:
    state = ConversationState()
    out = on_conversation(handoff(), state, CATALOGUE, board(("anna", "police")), NOW)
    assert types(out) == [("t.escalations", "CaseOpened")]
    event = out[0].event
    assert event.data["handling_authority"] == "police"
    assert event.data["first_response_due"] == NOW + timedelta(seconds=60)
    assert on_conversation(handoff(), state, CATALOGUE, board(("anna", "police")), NOW) == []


def test_with_no_one_online_the_citizens_assistant_is_told_and_the_case_waits() -> None:
    state = ConversationState()
    out = on_conversation(handoff(), state, CATALOGUE, board(), NOW)
    assert types(out) == [
        ("t.escalations", "CaseOpened"),
        ("t.escalations", "Unavailable"),
        ("bus.assistant.police", "Unavailable"),
    ]
    assert state.case is not None and state.case.waiting == "OFFICIALS"


def test_a_classified_intent_of_another_authority_moves_the_case_there() -> None:
    state = ConversationState()
    intent = new_event(
        "gov.agencybus.conversation.IntentClassified",
        source="assistant:police",
        conversation_id="c1",
        intent="tax.refund",
        confidence=0.9,
    )
    on_conversation(intent, state, CATALOGUE, board(), NOW)
    on_conversation(handoff(), state, CATALOGUE, board(), NOW)
    assert state.case is not None
    assert (state.case.authority, state.case.host) == ("tax-board", "police")


def test_claim_reply_and_resolve_write_case_events_and_the_officials_message() -> None:
    state, presence = ConversationState(), board(("anna", "police"))
    case_id = opened(state, presence)
    claimed = on_action(action("CLAIM", case_id), state, CATALOGUE, presence, NOW)
    assert types(claimed) == [
        ("t.escalations", "CaseClaimed"),
        ("bus.assistant.police", "TakenOver"),
    ]
    second = on_action(action("CLAIM", case_id, "bert"), state, CATALOGUE, presence, NOW)
    assert types(second) == [("t.escalations", "CaseActionRejected")]
    assert second[0].event.data["reason"] == "already-claimed"
    replied = on_action(action("REPLY", case_id, text="Hello"), state, CATALOGUE, presence, NOW)
    message = replied[0].event
    assert (message.data["author_role"], message.data["text"]) == ("BACKOFFICE_USER", "Hello")
    assert replied[0].topic == "bus.assistant.police"
    resolved = on_action(
        action("RESOLVE", case_id, resolution="ACCEPTED"), state, CATALOGUE, presence, NOW
    )
    assert types(resolved) == [("t.escalations", "CaseResolved")]


def test_every_outcome_names_the_action_that_caused_it() -> None:
    state, presence = ConversationState(), board()
    case_id = opened(state, presence)
    request = action("CLAIM", case_id)
    out = on_action(request, state, CATALOGUE, presence, NOW)
    assert {o.event.header["causation_id"] for o in out} == {request.id}


def test_an_action_on_an_unknown_case_or_authority_is_rejected() -> None:
    state, presence = ConversationState(), board()
    case_id = opened(state, presence)
    out = on_action(action("CLAIM", "case-nope"), state, CATALOGUE, presence, NOW)
    assert out[0].event.data["reason"] == "unknown-case"
    out = on_action(
        action("TRANSFER", case_id, to_authority="nowhere"), state, CATALOGUE, presence, NOW
    )
    assert out[0].event.data["reason"] == "unknown-authority"


def test_a_transfer_moves_the_case_and_checks_the_new_authoritys_availability() -> None:
    state, presence = ConversationState(), board(("anna", "police"))
    case_id = opened(state, presence)
    out = on_action(
        action("TRANSFER", case_id, to_authority="tax-board"), state, CATALOGUE, presence, NOW
    )
    assert types(out)[0] == ("t.escalations", "CaseTransferred")
    assert ("bus.assistant.police", "Unavailable") in types(out)
    assert state.owner == "tax-board"


def test_the_deadline_check_breaches_a_late_case_once() -> None:
    state, presence = ConversationState(), board()
    opened(state, presence)
    later = NOW + timedelta(seconds=61)
    assert not due(state, NOW) and due(state, later)
    out = check_deadlines(state, "c1", CATALOGUE, presence, later, None)
    assert types(out) == [("t.escalations", "ServiceLevelBreached")]
    assert not due(state, later)
    assert check_deadlines(state, "c1", CATALOGUE, presence, later, None) == []


def test_the_deadline_check_opens_a_case_for_a_request_not_accepted_in_time() -> None:
    state, presence = ConversationState(), board()
    created = new_event(
        "gov.agencybus.servicerequest.ServiceRequestCreated",
        source="assistant:police",
        conversation_id="c1",
        request_id="r1",
        service_code="passport-application",
    )
    assert on_conversation(created, state, CATALOGUE, presence, NOW) == []
    later = NOW + timedelta(seconds=30)
    assert due(state, later)
    out = check_deadlines(state, "c1", CATALOGUE, presence, later, None)
    assert types(out)[0] == ("t.escalations", "CaseOpened")
    assert state.case is not None and state.case.trigger == "SERVICE_LEVEL"


def test_the_state_survives_its_json_round_trip() -> None:
    state = ConversationState()
    opened(state, board())
    assert ConversationState.from_json(state.to_json()) == state


def test_an_ended_conversation_without_an_open_case_is_finished() -> None:
    state, presence = ConversationState(), board(("anna", "police"))
    case_id = opened(state, presence)
    ended = new_event(
        "gov.agencybus.conversation.ConversationEnded",
        source="assistant:police",
        conversation_id="c1",
        reason="ACCEPTED",
    )
    on_conversation(ended, state, CATALOGUE, presence, NOW)
    assert not state.finished  # the case is still open
    on_action(action("CLAIM", case_id), state, CATALOGUE, presence, NOW)
    on_action(action("RESOLVE", case_id, resolution="ACCEPTED"), state, CATALOGUE, presence, NOW)
    assert state.finished
