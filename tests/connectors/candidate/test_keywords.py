"""The reference candidate's answers: an intent, then a reply or a handoff, each naming the turn."""

from __future__ import annotations

from bus.schemas.event import Event, new_event
from bus.schemas.types import HANDOFF_REQUESTED, INTENT_CLASSIFIED, MESSAGE_SENT
from connectors.candidate.keywords import UNSURE, answer, classify


def _turn(text: str) -> Event:
    return new_event(
        MESSAGE_SENT,
        source="assistant:police",
        authority="police",
        conversation_id="c1",
        message_id="m1",
        author_role="END_USER",
        text=text,
    )


def test_keywords_pick_the_first_matching_intent_as_whole_words() -> None:
    assert classify("How do I renew my passport?").intent == "passport"
    assert classify("My income tax return is late").intent == "tax.income"
    assert classify("passports-r-us") == classify("nothing here")
    assert classify("nothing here").intent == UNSURE
    assert classify("a gun permit").confidence > 0.5 > classify("hello").confidence


def test_a_known_intent_is_answered_with_a_reply_that_names_the_turn_and_message() -> None:
    turn = _turn("I lost my passport, my code is <isikukood:hmac:abc>")
    intent, reply = answer(turn, "candidate:police-v2")
    assert (intent.type, reply.type) == (INTENT_CLASSIFIED, MESSAGE_SENT)
    assert intent.header["causation_id"] == reply.header["causation_id"] == turn.id
    assert intent.data["message_id"] == "m1" and reply.data["in_reply_to"] == "m1"
    assert reply.data["author_role"] == "BOT" and "hmac" not in reply.data["text"]
    assert intent.subject == reply.subject == "c1"


def test_asking_for_a_person_or_an_unknown_question_is_handed_to_a_human() -> None:
    _, handoff = answer(_turn("I want to talk to a human about my passport"), "candidate:x")
    assert handoff.type == HANDOFF_REQUESTED and handoff.data["trigger"] == "CITIZEN_REQUEST"
    _, unsure = answer(_turn("blorp"), "candidate:x")
    assert unsure.type == HANDOFF_REQUESTED and unsure.data["trigger"] == "LOW_CONFIDENCE"
    assert unsure.header["causation_id"] is not None
