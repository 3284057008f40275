"""Routing decisions, without Kafka."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from bus.catalogue import Catalogue, load_catalogue
from bus.routing import SubjectState, route
from bus.routing.router import CREATED, INTENT, REDIRECTED
from bus.routing.state import RECENT_IDS
from bus.schemas.event import Event, new_event

CONV = "gov.agencybus.conversation."
SR = "gov.agencybus.servicerequest."

CATALOGUE = """
topics:
  defaults: {partitions: 3, replication_factor: 1}
  assistant_events: t.assistant-events
  service_updates: t.service-updates
  dead_letters: t.deadletters
authorities:
  - code: police
    name: Police and Border Guard Board
    services: [passport-renewal]
    intents: [passport]
  - code: tax-board
    name: Tax and Customs Board
    services: [income-tax-return]
    intents: [tax]
  - code: population-register
    name: Population Register
    services: [address-change]
    intents: [address]
routing:
  fallback: population-register
"""


@pytest.fixture(scope="module")
def catalogue(tmp_path_factory: pytest.TempPathFactory) -> Catalogue:
    path = tmp_path_factory.mktemp("cat") / "catalogue.yaml"
    path.write_text(CATALOGUE)
    return load_catalogue(Path(path))


def _msg(authority: str, cid: str = "c-1", text: str = "hi") -> Event:
    return new_event(
        CONV + "MessageSent",
        source=f"assistant:{authority}",
        conversation_id=cid,
        message_id="m",
        author_role="END_USER",
        text=text,
    )


def _intent(authority: str, intent: str, cid: str = "c-1") -> Event:
    return new_event(
        INTENT, source=f"assistant:{authority}", conversation_id=cid, intent=intent, confidence=0.9
    )


_positions = itertools.count()


def _pos() -> str:
    """A fresh position in the source topic, as for a newly read message."""
    return f"t.assistant-events:0:{next(_positions)}"


def _topics(decision: object) -> list[str]:
    return [d.topic for d in decision.deliveries]  # type: ignore[attr-defined]


def test_a_conversation_goes_to_the_inbox_of_the_hosting_assistants_authority(
    catalogue: Catalogue,
) -> None:
    state = SubjectState()
    decision = route(_msg("police"), "assistant", state, catalogue, _pos())
    assert _topics(decision) == ["bus.inbox.police"]
    assert decision.deliveries[0].event is None
    assert (state.host, state.owner) == ("police", "police")


def test_an_intent_of_another_authority_redirects_and_forwards_the_conversation(
    catalogue: Catalogue,
) -> None:
    state = SubjectState()
    route(_msg("police"), "assistant", state, catalogue, _pos())
    decision = route(
        _intent("police", "tax.income.deadline"), "assistant", state, catalogue, _pos()
    )
    redirected = [d for d in decision.deliveries if d.event is not None]
    assert [d.topic for d in redirected] == [
        "bus.inbox.police",
        "bus.inbox.tax-board",
        "bus.assistant.tax-board",
    ]
    event = redirected[0].event
    assert event is not None and event.type == REDIRECTED
    assert event.data["forwarded_from"] == "police"
    assert event.data["forwarded_to"] == "tax-board"
    assert event.data["external_id"] == "c-1"
    assert event.header["causation_id"] is not None
    originals = [d.topic for d in decision.deliveries if d.event is None]
    assert originals == ["bus.inbox.tax-board", "bus.assistant.tax-board"]
    assert state.owner == "tax-board" and state.host == "police"

    citizen = route(_msg("police", text="and the deadline?"), "assistant", state, catalogue, _pos())
    assert _topics(citizen) == ["bus.inbox.tax-board", "bus.assistant.tax-board"]
    reply = route(_msg("tax-board", text="May 1st"), "assistant", state, catalogue, _pos())
    assert _topics(reply) == ["bus.inbox.tax-board", "bus.assistant.police"]


def test_an_assistants_own_redirect_keeps_the_external_id(catalogue: Catalogue) -> None:
    state = SubjectState()
    route(_msg("police"), "assistant", state, catalogue, _pos())
    redirect = new_event(
        REDIRECTED,
        source="assistant:police",
        conversation_id="c-1",
        forwarded_from="police",
        forwarded_to="population-register",
        external_id="pr-77",
        reason=None,
    )
    decision = route(redirect, "assistant", state, catalogue, _pos())
    assert _topics(decision) == [
        "bus.inbox.police",
        "bus.inbox.population-register",
        "bus.assistant.population-register",
    ]
    assert state.owner == "population-register"
    assert state.external_ids == {"population-register": "pr-77"}


def test_a_redirect_to_an_unknown_authority_is_a_dead_letter_and_leaves_the_state_as_it_was(
    catalogue: Catalogue,
) -> None:
    """A batch routes a conversation's events against one state in memory: a dead letter
    among them must not change what the events after it see."""
    state = SubjectState()
    redirect = new_event(
        REDIRECTED,
        source="assistant:police",
        conversation_id="c-1",
        forwarded_from="police",
        forwarded_to="mars",
        external_id=None,
        reason=None,
    )
    decision = route(redirect, "assistant", state, catalogue, _pos())
    assert decision.dead_letter == "unknown-authority" and "mars" in decision.error
    assert state == SubjectState()


def test_a_service_request_goes_to_the_owner_of_its_service_and_updates_come_back(
    catalogue: Catalogue,
) -> None:
    state = SubjectState()
    created = new_event(
        CREATED,
        source="assistant:police",
        conversation_id="c-1",
        request_id="r-1",
        service_code="income-tax-return",
        provider="tax-board",
    )
    assert _topics(route(created, "assistant", state, catalogue, _pos())) == ["bus.inbox.tax-board"]
    accepted = new_event(
        SR + "ServiceRequestAccepted",
        source="service:tax-board",
        conversation_id="c-1",
        request_id="r-1",
    )
    assert _topics(route(accepted, "service", state, catalogue, _pos())) == ["bus.assistant.police"]


def test_a_status_update_for_an_unknown_request_is_a_dead_letter(catalogue: Catalogue) -> None:
    update = new_event(SR + "ServiceRequestRejected", source="service:x", request_id="r-404")
    decision = route(update, "service", SubjectState(), catalogue, _pos())
    assert decision.dead_letter == "unknown-request"


def test_a_service_nobody_owns_is_a_dead_letter(catalogue: Catalogue) -> None:
    created = new_event(
        CREATED,
        source="assistant:police",
        request_id="r",
        service_code="moon-landing",
        provider="nasa",
    )
    decision = route(created, "assistant", SubjectState(), catalogue, _pos())
    assert decision.dead_letter == "no-authority-for-service"
    assert "moon-landing" in decision.error


def test_a_conversation_from_an_unknown_source_goes_to_the_fallback(catalogue: Catalogue) -> None:
    decision = route(_msg("vendor-bot"), "assistant", SubjectState(), catalogue, _pos())
    assert _topics(decision) == ["bus.inbox.population-register"]


def test_conversation_events_from_the_service_topic_are_not_routed(catalogue: Catalogue) -> None:
    decision = route(_msg("police"), "service", SubjectState(), catalogue, _pos())
    assert decision.dead_letter == "unroutable-type"


def test_the_same_event_id_at_another_position_is_a_duplicate_and_dropped(
    catalogue: Catalogue,
) -> None:
    state = SubjectState()
    event = _msg("police")
    assert not route(event, "assistant", state, catalogue, _pos()).duplicate
    again = route(event, "assistant", state, catalogue, _pos())
    assert again.duplicate and again.deliveries == []


def test_reprocessing_the_same_message_repeats_the_decision_with_the_same_redirect(
    catalogue: Catalogue,
) -> None:
    state = SubjectState()
    route(_msg("police"), "assistant", state, catalogue, _pos())
    intent, position = _intent("police", "tax"), _pos()
    first = route(intent, "assistant", state, catalogue, position)
    restored = SubjectState.from_json(state.to_json())
    again = route(intent, "assistant", restored, catalogue, position)
    assert not again.duplicate
    assert [(d.topic, d.event.id if d.event else None) for d in again.deliveries] == [
        (d.topic, d.event.id if d.event else None) for d in first.deliveries
    ]


def test_the_remembered_ids_are_bounded(catalogue: Catalogue) -> None:
    state = SubjectState()
    for _ in range(RECENT_IDS + 10):
        route(_msg("police"), "assistant", state, catalogue, _pos())
    assert len(state.recent) == RECENT_IDS
    assert SubjectState.from_json(state.to_json()) == state
