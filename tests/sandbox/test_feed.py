"""Which turns a sandbox is fed and how they look, without Kafka."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bus.audit.pseudonym import Pseudonymizer
from bus.catalogue.sandbox import Sandbox
from bus.privacy.scrubber import Scrubber
from bus.sandbox.feed import answer_problem, fed, feeds, sampled
from bus.schemas.contracts import load_contracts
from bus.schemas.event import Event, new_event
from bus.schemas.types import CONVERSATION_RATED, INTENT_CLASSIFIED, MESSAGE_SENT
from bus.settings import Settings

NOW = datetime(2026, 12, 1, tzinfo=UTC)
BOX = Sandbox(name="police-v2", authority="police", principal="cand", ends=NOW + timedelta(days=1))
CONTRACTS = load_contracts(Settings().schemas_dir)


def _turn(conversation: str = "c1", authority: str = "police", role: str = "END_USER") -> Event:
    return new_event(
        MESSAGE_SENT,
        source=f"assistant:{authority}",
        authority=authority,
        conversation_id=conversation,
        message_id="m1",
        author_role=role,
        author_id="citizen-42",
        author_display_name="Mari Maasikas",
        text="My code is 37605030299, call me at +372 5123 4567",
    )


def test_only_the_citizen_turns_of_the_sandbox_authority_are_fed_until_the_end_date() -> None:
    assert feeds(BOX, _turn(), NOW)
    assert not feeds(BOX, _turn(authority="tax-board"), NOW)
    assert not feeds(BOX, _turn(role="BOT"), NOW)
    rated = new_event(CONVERSATION_RATED, source="assistant:police", authority="police")
    assert not feeds(BOX, rated, NOW)
    assert not feeds(BOX, _turn(), BOX.ends)


def test_sampling_keeps_whole_conversations_and_about_the_share_asked_for() -> None:
    half = BOX.model_copy(update={"sampling": 0.25})
    conversations = [f"conversation-{n}" for n in range(2000)]
    chosen = [c for c in conversations if sampled(half, c)]
    assert chosen == [c for c in conversations if sampled(half, c)]
    assert 400 < len(chosen) < 600
    assert all(sampled(BOX, c) for c in conversations)


def test_a_fed_turn_has_identifiers_in_its_text_and_personal_fields_pseudonymised() -> None:
    turn = _turn()
    scrubber = Scrubber(Pseudonymizer(b"k" * 32))
    seen = fed(turn, CONTRACTS[MESSAGE_SENT], scrubber)
    text = seen.data["text"]
    assert "37605030299" not in text and "5123 4567" not in text
    assert text.startswith("My code is <isikukood:hmac:")
    assert seen.data["author_id"].startswith("hmac:")
    assert seen.data["author_display_name"].startswith("hmac:")
    assert seen.id == turn.id and seen.subject == "c1"
    assert turn.data["text"].startswith("My code is 376")


def test_an_answer_must_be_an_answer_type_and_name_its_turn() -> None:
    intent = new_event(
        INTENT_CLASSIFIED, source="candidate:x", causation_id="t1", intent="passport", confidence=1
    )
    assert answer_problem(intent) is None
    unnamed = new_event(INTENT_CLASSIFIED, source="candidate:x", intent="passport", confidence=1)
    assert answer_problem(unnamed) == (
        "names-no-turn",
        "an answer must name the turn it answers: set header.causation_id to the turn's event_id",
    )
    rated = new_event(CONVERSATION_RATED, source="candidate:x", causation_id="t1")
    reason, error = answer_problem(rated) or ("", "")
    assert reason == "not-an-answer" and "IntentClassified, MessageSent, HandoffRequested" in error
