"""The panel's figures from turns and answers, without Kafka; and the page they are drawn on."""

from __future__ import annotations

from typing import Any

from bus.catalogue.escalation import EscalationPolicy
from bus.sandbox.html import render
from bus.sandbox.report import Timed, build_report, headline, histogram
from bus.schemas.event import Event, new_event
from bus.schemas.types import HANDOFF_REQUESTED, INTENT_CLASSIFIED, MESSAGE_SENT

POLICY = EscalationPolicy(sensitive_intents=("firearms",))


def _turn(n: int, text: str) -> Event:
    return new_event(
        MESSAGE_SENT,
        source="assistant:police",
        authority="police",
        conversation_id=f"c{n}",
        message_id=f"m{n}",
        author_role="END_USER",
        text=text,
    )


def _intent(turn: Event, intent: str, confidence: float, *, by_cause: bool) -> Event:
    return new_event(
        INTENT_CLASSIFIED,
        source="x",
        authority="police",
        conversation_id=turn.subject,
        causation_id=turn.id if by_cause else None,
        message_id=turn.data["message_id"],
        intent=intent,
        confidence=confidence,
    )


def _reply(turn: Event, text: str, *, by_cause: bool) -> Event:
    return new_event(
        MESSAGE_SENT,
        source="x",
        authority="police",
        conversation_id=turn.subject,
        causation_id=turn.id if by_cause else None,
        message_id=f"{turn.data['message_id']}-r",
        author_role="BOT",
        text=text,
        in_reply_to=turn.data["message_id"],
    )


def _handoff(turn: Event) -> Event:
    return new_event(
        HANDOFF_REQUESTED,
        source="x",
        authority="police",
        conversation_id=turn.subject,
        causation_id=turn.id,
        trigger="SENSITIVE_TOPIC",
        requested_by="BOT",
    )


TURNS = [_turn(1, "passport?"), _turn(2, "gun permit"), _turn(3, "hm")]


def _report() -> dict[str, Any]:
    turns = TURNS
    fed = [Timed(t, 1000 * (i + 1)) for i, t in enumerate(turns)]
    originals = {str(t.id): 1000 * (i + 1) - 500 for i, t in enumerate(turns)}
    candidate = [
        Timed(_intent(turns[0], "passport", 0.9, by_cause=True), 1100),
        Timed(_reply(turns[0], "Call me at +372 5123 4567", by_cause=True), 1150),
        Timed(_intent(turns[1], "firearms", 0.8, by_cause=True), 2300),
        Timed(_reply(turns[1], "Here is the form", by_cause=True), 2300),
        Timed(_intent(turns[2], "unknown", 0.2, by_cause=True), 3400),
    ]
    production = [  # the production assistant names the message, not the event
        Timed(_intent(turns[0], "passport", 0.95, by_cause=False), 600),
        Timed(_intent(turns[1], "firearms", 0.7, by_cause=False), 1700),
        Timed(_handoff(turns[1]), 1800),
        Timed(_intent(turns[2], "id-card", 0.4, by_cause=False), 2700),
    ]
    return build_report("police-v2", "police", POLICY, fed, candidate, production, originals)


def test_intent_agreement_counts_turns_both_classified_and_lists_the_disagreements() -> None:
    agreement = _report()["intent_agreement"]
    assert (agreement["compared"], agreement["agreed"]) == (3, 2)
    assert agreement["top_disagreements"] == {"unknown / id-card": 1}


def test_each_answer_with_personal_data_and_each_unattended_sensitive_intent_is_listed() -> None:
    report = _report()
    [leak] = report["candidate"]["personal_data"]
    assert leak["kinds"] == ("phone",) and leak["turn_id"] == TURNS[0].id
    assert report["candidate"]["sensitive_without_human"] == [TURNS[1].id]
    assert report["production"]["personal_data"] == []
    assert report["production"]["sensitive_without_human"] == []


def test_escalations_latency_and_confidence_are_counted_per_side() -> None:
    report = _report()
    ours, theirs = report["candidate"], report["production"]
    assert ours["escalations"] == {"sensitive-intent": 1}
    assert theirs["escalations"] == {"human-request": 1, "sensitive-intent": 1}
    assert ours["latency_ms"] == {"p50": 300, "p95": 400, "max": 400}
    assert theirs["latency_ms"] == {"p50": 200, "p95": 200, "max": 200}
    assert ours["confidence_histogram"] == [0, 0, 1, 0, 0, 0, 0, 0, 1, 1]
    assert histogram([0.0, 1.0, 0.55]) == [1, 0, 0, 0, 0, 1, 0, 0, 0, 1]


def test_the_page_is_self_contained_with_three_charts_and_the_headline() -> None:
    report = _report()
    page = render(report)
    assert page.count("<svg") == 3
    assert "<script" not in page and "src=" not in page and "href=" not in page
    for label, value in headline(report):
        assert f'<span class="value">{value}</span><span class="label">{label}</span>' in page
    assert TURNS[0].id in page  # the answer with personal data, listed


def test_a_production_answer_naming_nothing_answers_the_only_turn_of_its_conversation() -> None:
    unnamed = new_event(
        HANDOFF_REQUESTED,
        source="assistant:police",
        authority="police",
        conversation_id=TURNS[2].subject,
        trigger="CITIZEN_REQUEST",
        requested_by="END_USER",
    )
    fed = [Timed(t, 1000) for t in TURNS]
    report = build_report("b", "police", POLICY, fed, [], [Timed(unnamed, 1500)], {})
    assert report["production"]["handoffs"] == 1
    assert report["production"]["escalations"] == {"human-request": 1}
    assert report["candidate"]["handoffs"] == 0
