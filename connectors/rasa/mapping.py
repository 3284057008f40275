"""What each Rasa tracker event means on the bus: plain logic, no Kafka.

Rasa's Kafka event broker publishes one JSON object per tracker event: the
event's own fields (``event``, ``timestamp``, ``text``, ``parse_data``, ...)
merged with ``sender_id``, which becomes the conversation id.

| Rasa ``event`` | bus events |
| --- | --- |
| ``user`` | MessageSent (END_USER), and IntentClassified when ``parse_data.intent.name`` is set |
| ``bot`` | MessageSent (BOT) |
| ``agent`` | MessageSent (BACKOFFICE_USER): a human agent spoke |
| ``session_started`` | ConversationStatusChanged OPEN |
| ``pause`` / ``resume`` | ConversationStatusChanged IDLE / OPEN |
| ``restart`` | ConversationEnded (OTHER, by the end user) |
| ``action`` of a hand-off action | HandoffRequested (CITIZEN_REQUEST) |

Events that only change Rasa's own tracker state (slots, rewinds, undos,
reminders, loops, other actions, ...) are in ``IGNORED``; any other type is
unknown, and the bridge counts and skips it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from bus.schemas.event import Event, new_event
from bus.schemas.types import CONVERSATION

CLASSIFIER = "rasa"
HANDOFF_ACTIONS = frozenset({"action_handoff", "action_human_handoff", "action_handoff_to_human"})
IGNORED = frozenset(
    {
        "action",
        "slot",
        "reset_slots",
        "rewind",  # UserUtteranceReverted
        "undo",  # ActionReverted
        "user_utterance_reverted",
        "action_reverted",
        "followup",
        "reminder",
        "cancel_reminder",
        "export",
        "active_loop",
        "form",
        "loop_interrupted",
        "form_validation",
        "action_execution_rejected",
        "entities",
        "user_featurization",
        "stack",
        "session_ended",
        "routing_session_ended",
    }
)


@dataclass
class Translation:
    """The bus events for one Rasa event; ``skipped`` says why there are none."""

    events: list[Event] = field(default_factory=list)
    skipped: str | None = None
    """"ignored" (known, nothing to say on the bus) or "unknown" (a type we do not know)."""


class NotRasaEventError(ValueError):
    """JSON that is not a Rasa tracker event (no ``sender_id`` or no ``event``)."""


def translate(raw: Any, *, authority: str, origin: str) -> Translation:
    """Translate one Rasa event; ``origin`` (e.g. topic/partition/offset) makes the ids stable.

    The same Rasa event read twice gives events with the same ids, so a bridge
    that redoes work after a crash produces repeats that consumers drop.
    """
    if not isinstance(raw, dict):
        raise NotRasaEventError(f"a Rasa event is a JSON object, not {type(raw).__name__}")
    sender, kind = raw.get("sender_id"), raw.get("event")
    if not isinstance(sender, str) or not sender or not isinstance(kind, str):
        raise NotRasaEventError("a Rasa event has a 'sender_id' and an 'event' type")
    maker = _Maker(raw, sender, authority, origin)
    if kind == "user":
        message_id = str(raw.get("message_id") or maker.id("message"))
        events = [maker.message(message_id, "END_USER")]
        intent = (raw.get("parse_data") or {}).get("intent") or {}
        if isinstance(intent, dict) and intent.get("name"):
            events.append(
                maker.make(
                    "IntentClassified",
                    message_id=message_id,
                    intent=str(intent["name"]),
                    confidence=float(intent.get("confidence") or 0.0),
                    classifier=CLASSIFIER,
                )
            )
        return Translation(events)
    if kind == "bot":
        return Translation([maker.message(maker.id("message"), "BOT")])
    if kind == "agent":
        return Translation([maker.message(maker.id("message"), "BACKOFFICE_USER")])
    if kind == "session_started":
        return Translation([maker.status("OPEN", None)])
    if kind == "pause":
        return Translation([maker.status("IDLE", "OPEN")])
    if kind == "resume":
        return Translation([maker.status("OPEN", "IDLE")])
    if kind == "restart":
        ended = maker.make(
            "ConversationEnded", reason="OTHER", ended_by="END_USER", note="restarted in Rasa"
        )
        return Translation([ended])
    if kind == "action" and raw.get("name") in HANDOFF_ACTIONS:
        handoff = maker.make(
            "HandoffRequested",
            trigger="CITIZEN_REQUEST",
            requested_by="END_USER",
            detail=f"Rasa ran {raw['name']}",
        )
        return Translation([handoff])
    return Translation(skipped="ignored" if kind in IGNORED else "unknown")


class _Maker:
    def __init__(self, raw: dict[str, Any], sender: str, authority: str, origin: str) -> None:
        self.raw = raw
        self.sender = sender
        self.authority = authority
        self.origin = origin
        self._made = 0
        stamp = raw.get("timestamp")
        self.occurred_at = (
            datetime.fromtimestamp(float(stamp), UTC)
            if isinstance(stamp, int | float)
            else datetime.now(UTC)
        )

    def id(self, what: str) -> str:
        return str(uuid.uuid5(uuid.NAMESPACE_URL, f"rasa-bridge/{self.origin}/{what}"))

    def make(self, type_name: str, **fields: Any) -> Event:
        self._made += 1
        return new_event(
            CONVERSATION + type_name,
            event_id=self.id(f"event/{self._made}"),
            occurred_at=self.occurred_at,
            source=f"assistant:{self.authority}",
            authority=self.authority,
            conversation_id=self.sender,
            **fields,
        )

    def message(self, message_id: str, role: str) -> Event:
        metadata = self.raw.get("metadata") or {}
        language = metadata.get("language") if isinstance(metadata, dict) else None
        return self.make(
            "MessageSent",
            message_id=message_id,
            author_role=role,
            text=str(self.raw.get("text") or ""),
            language=language if isinstance(language, str) else None,
        )

    def status(self, status: str, previous: str | None) -> Event:
        return self.make("ConversationStatusChanged", status=status, previous_status=previous)
