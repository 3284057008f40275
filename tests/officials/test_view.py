"""The officials' API's case view, folded from the escalator's events."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from bus.catalogue import Catalogue
from bus.escalation import ConversationState, PresenceBoard, on_action, on_conversation
from bus.officials.view import MAX_TURNS, CaseView
from bus.schemas.event import Event, new_event

CONV = "gov.agencybus.conversation."
NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
CATALOGUE = Catalogue.model_validate(
    {"authorities": {"police": {"code": "police", "name": "Police"}}}
)


def handoff() -> Event:
    return new_event(
        "gov.agencybus.conversation.HandoffRequested",
        source="assistant:police",
        conversation_id="c1",
        trigger="CITIZEN_REQUEST",
        requested_by="END_USER",
    )


def claim(case_id: str) -> Event:
    return new_event(
        "gov.agencybus.escalation.CaseActionRequested",
        source="officials-api:police",
        conversation_id="c1",
        action="CLAIM",
        case_id=case_id,
        official_id="anna",
        official_authority="police",
    )


async def test_the_view_follows_a_case_and_wakes_the_request_waiting_for_its_outcome() -> None:
    view, state, board = CaseView(), ConversationState(), PresenceBoard()
    for out in on_conversation(handoff(), state, CATALOGUE, board, NOW):
        view.apply(out.event)
    (case,) = view.queue("police")
    assert (case["status"], case["waiting"]) == ("open", "OFFICIALS")
    request = claim(case["case_id"])
    outcome = view.expect(str(request.id))
    outputs = on_action(request, state, CATALOGUE, board, NOW)
    for out in outputs:
        view.apply(out.event)
        view.apply(out.event)  # the same event read from a second topic counts once
    assert outcome.done() and outcome.result().type.endswith("CaseClaimed")
    assert view.cases[case["case_id"]]["official_id"] == "anna"
    assert view.queue("tax-board") == []


def in_c1(kind: str, **fields: Any) -> Event:
    """An event of the citizen's conversation c1, from the police assistant."""
    return new_event(CONV + kind, source="assistant:police", conversation_id="c1", **fields)


def said(role: str, text: str, message_id: str) -> Event:
    return in_c1("MessageSent", message_id=message_id, author_role=role, text=text)


def unsure(message_id: str, confidence: float) -> Event:
    return in_c1(
        "IntentClassified", message_id=message_id, intent="passport", confidence=confidence
    )


def presence(official: str, symbol: str, at: datetime | None = None) -> Event:
    return new_event(
        CONV + "OfficialPresenceChanged",
        source="officials-api:police",
        authority="police",
        occurred_at=at,
        official_id=official,
        presence=symbol,
    )


def test_the_transcript_is_the_whole_conversation_with_the_bots_turns_and_intents() -> None:
    view = CaseView()
    for event in (
        said("END_USER", "my papers  went\naway", "u1"),
        unsure("u1", 0.2),
        said("BOT", "Sorry, I did not understand.", "b1"),
        handoff(),
    ):
        view.apply(event)
        view.apply(event)  # forwarded to a second topic: once
    kinds = [(turn["kind"], turn.get("role")) for turn in view.turns["c1"]]
    assert kinds == [
        ("message", "END_USER"),
        ("intent", None),
        ("message", "BOT"),
        ("handoff", None),
    ]
    assert view.turns["c1"][1]["confidence"] == 0.2
    assert [m["role"] for m in view.messages("c1")] == ["END_USER", "BOT"]
    assert view.preview("c1") == "my papers went away"


def test_a_long_conversation_keeps_its_first_turn() -> None:
    view = CaseView()
    for number in range(MAX_TURNS + 10):
        view.apply(said("END_USER", f"turn {number}", f"m{number}"))
    turns = view.turns["c1"]
    assert len(turns) == MAX_TURNS
    assert (turns[0]["text"], turns[-1]["text"]) == ("turn 0", f"turn {MAX_TURNS + 9}")


def test_a_case_waits_for_officials_only_until_one_comes_online() -> None:
    view, state, board = CaseView(), ConversationState(), PresenceBoard()
    for out in on_conversation(handoff(), state, CATALOGUE, board, NOW):
        view.apply(out.event)
    (case,) = view.queue("police")
    assert view.waiting(case) == "OFFICIALS"
    view.apply(presence("anna", "IDLE"))
    assert view.waiting(case) == "OFFICIALS"
    view.apply(presence("anna", "ONLINE"))
    assert view.waiting(case) is None
    assert (view.online("police"), view.presence_of("anna"), view.presence_of("x")) == (
        ["anna"],
        "online",
        "offline",
    )


def test_an_official_whose_console_stopped_renewing_counts_as_offline_after_the_lease() -> None:
    view, state = CaseView(presence=PresenceBoard(timedelta(minutes=3))), ConversationState()
    for out in on_conversation(handoff(), state, CATALOGUE, PresenceBoard(), NOW):
        view.apply(out.event)
    (case,) = view.queue("police")
    view.apply(presence("anna", "ONLINE", NOW))
    soon, late = NOW + timedelta(minutes=2), NOW + timedelta(minutes=4)
    assert (view.waiting(case, soon), view.presence_of("anna", soon)) == (None, "online")
    assert (view.waiting(case, late), view.presence_of("anna", late)) == ("OFFICIALS", "offline")
    view.apply(presence("anna", "ONLINE", late))  # the console renewed it
    assert view.online("police", late) == ["anna"]


def test_a_case_waits_for_the_organisation_until_it_opens_again() -> None:
    view = CaseView()
    view.cases["k"] = {
        "case_id": "k",
        "authority": "police",
        "status": "open",
        "waiting": "ORGANIZATION",
        "available_again_at": "2026-11-26T07:00:00+00:00",
    }
    assert view.waiting(view.cases["k"], NOW) == "ORGANIZATION"
    later = datetime(2026, 11, 26, 7, 1, tzinfo=UTC)
    assert view.waiting(view.cases["k"], later) == "OFFICIALS"
    view.apply(presence("anna", "ONLINE"))
    assert view.waiting(view.cases["k"], later) is None
