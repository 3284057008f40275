"""Each escalation policy on its own, as plain functions."""

from __future__ import annotations

from typing import Any

from bus.catalogue.escalation import EscalationPolicy, LowConfidence
from bus.escalation.policy import (
    Signals,
    evaluate,
    human_requested,
    low_confidence,
    low_rating,
    matched_keyword,
    overdue,
    sensitive,
    track_service_request,
)
from bus.schemas.event import Event, new_event

POLICY = EscalationPolicy(
    low_confidence=LowConfidence(threshold=0.5, turns=2),
    sensitive_intents=("passport.stolen",),
    sensitive_keywords=("threat", "self harm"),
    service_levels={"passport-application": 60},
    low_rating=0.4,
)


def conversation(name: str, **fields: Any) -> Event:
    return new_event(
        f"gov.agencybus.conversation.{name}",
        source="assistant:police",
        conversation_id="c1",
        **fields,
    )


def request(name: str, **fields: Any) -> Event:
    return new_event(
        f"gov.agencybus.servicerequest.{name}",
        source="assistant:police",
        conversation_id="c1",
        request_id="r1",
        **fields,
    )


def intent(confidence: float, name: str = "passport") -> Event:
    return conversation("IntentClassified", intent=name, confidence=confidence)


def test_a_handoff_request_escalates_with_its_trigger() -> None:
    event = conversation("HandoffRequested", trigger="CITIZEN_REQUEST", requested_by="END_USER")
    fired = human_requested(event, POLICY)
    assert fired is not None and (fired.trigger, fired.policy) == (
        "CITIZEN_REQUEST",
        "human-request",
    )


def test_a_handoff_request_is_ignored_when_the_authority_switched_it_off() -> None:
    event = conversation("HandoffRequested", trigger="CITIZEN_REQUEST", requested_by="END_USER")
    assert human_requested(event, EscalationPolicy(human_request=False)) is None


def test_low_confidence_escalates_only_after_n_unsure_turns_in_a_row() -> None:
    signals = Signals()
    assert low_confidence(intent(0.3), signals, POLICY) is None
    fired = low_confidence(intent(0.2), signals, POLICY)
    assert fired is not None and fired.trigger == "LOW_CONFIDENCE"
    assert signals.low_streak == 0


def test_a_confident_turn_resets_the_run_of_unsure_ones() -> None:
    signals = Signals()
    low_confidence(intent(0.3), signals, POLICY)
    low_confidence(intent(0.9), signals, POLICY)
    assert low_confidence(intent(0.3), signals, POLICY) is None
    assert signals.low_streak == 1


def test_a_sensitive_intent_or_anything_under_it_escalates() -> None:
    fired = sensitive(intent(0.99, "passport.stolen.abroad"), POLICY)
    assert fired is not None and fired.policy == "sensitive-intent"
    assert sensitive(intent(0.99, "passport.renewal"), POLICY) is None


def test_a_sensitive_keyword_in_a_citizens_message_escalates_without_quoting_them() -> None:
    message = conversation(
        "MessageSent", message_id="m1", author_role="END_USER", text="He made a THREAT to me."
    )
    fired = sensitive(message, POLICY)
    assert fired is not None and fired.policy == "sensitive-keyword"
    assert "He made" not in fired.detail


def test_keywords_match_whole_words_and_phrases_only() -> None:
    assert matched_keyword("threatening weather", POLICY.sensitive_keywords) is None
    assert matched_keyword("thoughts of self harm", POLICY.sensitive_keywords) == "self harm"


def test_a_bots_message_with_a_keyword_does_not_escalate() -> None:
    message = conversation("MessageSent", message_id="m1", author_role="BOT", text="threat")
    assert sensitive(message, POLICY) is None


def test_a_low_rating_escalates_and_a_middling_one_does_not() -> None:
    assert low_rating(conversation("ConversationRated", score=2, scale_max=5), POLICY) is not None
    assert low_rating(conversation("ConversationRated", score=3, scale_max=5), POLICY) is None


def test_a_service_request_not_accepted_in_its_service_level_escalates_once() -> None:
    signals = Signals()
    track_service_request(
        request("ServiceRequestCreated", service_code="passport-application"), signals, POLICY, 0
    )
    assert signals.pending == {"r1": 60_000}
    assert overdue(signals, 59_999) is None
    fired = overdue(signals, 60_000)
    assert fired is not None and fired.trigger == "SERVICE_LEVEL"
    assert overdue(signals, 120_000) is None


def test_an_accepted_service_request_never_escalates() -> None:
    signals = Signals()
    track_service_request(
        request("ServiceRequestCreated", service_code="passport-application"), signals, POLICY, 0
    )
    track_service_request(request("ServiceRequestAccepted"), signals, POLICY, 1_000)
    assert overdue(signals, 120_000) is None


def test_services_without_a_service_level_are_not_tracked() -> None:
    signals = Signals()
    track_service_request(
        request("ServiceRequestCreated", service_code="other"), signals, POLICY, 0
    )
    assert signals.pending == {}


def test_evaluate_applies_every_policy_and_signals_survive_json() -> None:
    signals = Signals()
    assert evaluate(intent(0.1), signals, POLICY, 0) is None
    restored = Signals.from_json(signals.to_json())
    fired = evaluate(intent(0.1), restored, POLICY, 0)
    assert fired is not None and fired.policy == "low-confidence"
