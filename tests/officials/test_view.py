"""The officials' API's case view, folded from the escalator's events."""

from __future__ import annotations

from datetime import UTC, datetime

from bus.catalogue import Catalogue
from bus.escalation import ConversationState, PresenceBoard, on_action, on_conversation
from bus.officials.view import CaseView
from bus.schemas.event import Event, new_event

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
