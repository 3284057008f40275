"""Simulated citizens' conversations with three agencies' assistants."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

from bus.schemas.event import Event, new_event

NS = "gov.agencybus.conversation."
ASSISTANTS = {
    "police": "Where do I renew my passport?",
    "tax-board": "How do I file my income tax return?",
    "social-insurance": "When is my pension paid this month?",
}


def conversation(authority: str, question: str) -> Iterator[Event]:
    """One short conversation: greeting, question, intent, answer, rating, end."""
    cid = str(uuid.uuid4())
    common: dict[str, Any] = {
        "source": f"assistant:{authority}",
        "conversation_id": cid,
        "authority": authority,
    }
    yield new_event(NS + "Greeting", text="Hello! How can I help?", language="en", **common)
    yield new_event(
        NS + "MessageSent",
        message_id=str(uuid.uuid4()),
        author_role="END_USER",
        author_id=None,
        author_display_name=None,
        text=question,
        in_reply_to=None,
        language="en",
        **common,
    )
    yield new_event(
        NS + "IntentClassified",
        message_id=None,
        intent=f"{authority}.faq",
        confidence=0.93,
        classifier="demo",
        **common,
    )
    yield new_event(
        NS + "MessageSent",
        message_id=str(uuid.uuid4()),
        author_role="BOT",
        author_id=f"bot:{authority}",
        author_display_name=None,
        text="Here is what you need to do ...",
        in_reply_to=None,
        language="en",
        **common,
    )
    yield new_event(
        NS + "ConversationEnded",
        reason="CLIENT_LEFT_WITH_ANSWER",
        ended_by="END_USER",
        note=None,
        **common,
    )


def conversations(per_assistant: int) -> Iterator[Event]:
    for _ in range(per_assistant):
        for authority, question in ASSISTANTS.items():
            yield from conversation(authority, question)
