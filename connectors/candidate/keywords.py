"""The reference candidate's mind: keywords to intents, intents to answers. Pure, no Kafka.

Deliberately simple, so the sandbox report has something to compare with the
production assistant: it answers every turn with ``IntentClassified`` and then
either a ``MessageSent`` or, when the citizen asks for a person or no keyword
matches, a ``HandoffRequested``. Every answer names the turn it answers
(``causation_id``), and a reply also names the message (``in_reply_to``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bus.schemas.event import Event, new_event
from bus.schemas.types import HANDOFF_REQUESTED, INTENT_CLASSIFIED, MESSAGE_SENT

KEYWORDS: Mapping[str, tuple[str, ...]] = {
    "passport": ("passport", "pass", "travel document"),
    "id-card": ("id card", "id-card", "identity card", "id-kaart"),
    "firearms": ("firearm", "gun", "weapon", "relv"),
    "lost-property": ("lost", "stolen", "found"),
    "tax.income": ("income tax", "tax return", "declaration", "tulumaks"),
    "tax": ("tax", "vat", "maks"),
    "customs": ("customs", "parcel", "import"),
    "pension": ("pension", "retire", "pension"),
    "benefit": ("benefit", "allowance", "toetus"),
    "address": ("address", "moved", "aadress"),
    "name": ("name change", "surname", "nimi"),
}
"""Intent -> keywords, tried in order; the first intent with a keyword in the text wins."""
HUMAN_WORDS = ("human", "person", "official", "operator", "inimene", "talk to someone")
UNSURE = "unknown"
CLASSIFIER = "keyword-candidate/1"


@dataclass(frozen=True)
class Classified:
    intent: str
    confidence: float


def classify(text: str, keywords: Mapping[str, tuple[str, ...]] = KEYWORDS) -> Classified:
    """The first intent one of whose keywords occurs in ``text`` as whole words."""
    lowered = text.lower()
    for intent, words in keywords.items():
        hits = sum(1 for word in words if re.search(rf"(?<!\w){re.escape(word)}(?!\w)", lowered))
        if hits:
            return Classified(intent, min(0.99, 0.7 + 0.1 * hits))
    return Classified(UNSURE, 0.2)


def wants_a_human(text: str) -> bool:
    lowered = text.lower()
    return any(re.search(rf"(?<!\w){re.escape(word)}(?!\w)", lowered) for word in HUMAN_WORDS)


def reply_text(intent: str) -> str:
    """A canned answer that never repeats the citizen's words (so no personal data)."""
    return f"I can help with {intent.replace('.', ' ').replace('-', ' ')}: here is what to do next."


def answer(turn: Event, source: str) -> list[Event]:
    """The candidate's answers to one citizen turn, each naming it."""
    text = str(turn.data.get("text", ""))
    found = classify(text)
    common: dict[str, Any] = {
        "source": source,
        "authority": turn.header.get("authority"),
        "conversation_id": turn.header.get("conversation_id"),
        "correlation_id": turn.header.get("correlation_id"),
        "causation_id": turn.id,
    }
    message_id = str(turn.data.get("message_id", ""))
    answers = [
        new_event(
            INTENT_CLASSIFIED,
            **common,
            message_id=message_id,
            intent=found.intent,
            confidence=found.confidence,
            classifier=CLASSIFIER,
        )
    ]
    if wants_a_human(text) or found.intent == UNSURE:
        trigger = "CITIZEN_REQUEST" if wants_a_human(text) else "LOW_CONFIDENCE"
        requested_by = "END_USER" if trigger == "CITIZEN_REQUEST" else "BOT"
        answers.append(
            new_event(
                HANDOFF_REQUESTED,
                **common,
                trigger=trigger,
                requested_by=requested_by,
                detail=f"{CLASSIFIER}: intent {found.intent}",
            )
        )
    else:
        answers.append(
            new_event(
                MESSAGE_SENT,
                **common,
                message_id=f"{message_id}-candidate",
                author_role="BOT",
                author_id=CLASSIFIER,
                text=reply_text(found.intent),
                in_reply_to=message_id,
            )
        )
    return answers
