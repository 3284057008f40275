"""When a human official must take over: pure functions over one event and what we remember.

Each policy of ``EscalationPolicy`` (from the catalogue) is one function; ``evaluate``
applies them in turn. ``Signals`` is the little a conversation must remember between
events: the run of unsure classifications and the service requests not yet accepted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from bus.catalogue.escalation import EscalationPolicy
from bus.catalogue.names import intent_matches
from bus.schemas.event import Event
from bus.schemas.types import CONVERSATION_RATED as RATED
from bus.schemas.types import HANDOFF_REQUESTED as HANDOFF
from bus.schemas.types import INTENT_CLASSIFIED as INTENT
from bus.schemas.types import MESSAGE_SENT as MESSAGE
from bus.schemas.types import SERVICE_REQUEST
from bus.schemas.types import SERVICE_REQUEST_CREATED as REQUEST_CREATED


@dataclass(frozen=True)
class Escalate:
    """A policy fired: ``trigger`` is an EscalationTrigger symbol, ``policy`` its name."""

    trigger: str
    policy: str
    detail: str


@dataclass
class Signals:
    low_streak: int = 0
    pending: dict[str, int] = field(default_factory=dict)
    """Service request id -> epoch ms by which an agency service must accept it."""

    def to_json(self) -> dict[str, Any]:
        return {"low_streak": self.low_streak, "pending": self.pending}

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> Signals:
        data = data or {}
        return cls(int(data.get("low_streak", 0)), dict(data.get("pending", {})))


def human_requested(event: Event, policy: EscalationPolicy) -> Escalate | None:
    """The citizen (or the bot on their behalf) asked for a human."""
    if event.type != HANDOFF or not policy.human_request:
        return None
    trigger = str(event.data.get("trigger") or "CITIZEN_REQUEST")
    detail = event.data.get("detail") or f"handoff requested by {event.data.get('requested_by')}"
    return Escalate(trigger, "human-request", str(detail))


def low_confidence(event: Event, signals: Signals, policy: EscalationPolicy) -> Escalate | None:
    """``turns`` classifications in a row under the threshold; a confident one resets the run."""
    rule = policy.low_confidence
    if event.type != INTENT or rule is None:
        return None
    confidence = float(event.data.get("confidence", 1.0))
    if confidence >= rule.threshold:
        signals.low_streak = 0
        return None
    signals.low_streak += 1
    if signals.low_streak < rule.turns:
        return None
    signals.low_streak = 0
    return Escalate(
        "LOW_CONFIDENCE",
        "low-confidence",
        f"{rule.turns} intents in a row under confidence {rule.threshold}",
    )


def sensitive(event: Event, policy: EscalationPolicy) -> Escalate | None:
    """An intent marked sensitive, or a citizen's message containing a sensitive keyword."""
    if event.type == INTENT:
        intent = str(event.data.get("intent", ""))
        for prefix in policy.sensitive_intents:
            if intent_matches(prefix, intent):
                return Escalate("SENSITIVE_TOPIC", "sensitive-intent", f"intent {intent}")
    if event.type == MESSAGE and event.data.get("author_role") == "END_USER":
        keyword = matched_keyword(str(event.data.get("text", "")), policy.sensitive_keywords)
        if keyword is not None:
            # The keyword, never the citizen's words: the detail is not personal data.
            return Escalate("SENSITIVE_TOPIC", "sensitive-keyword", f"keyword {keyword!r}")
    return None


def matched_keyword(text: str, keywords: tuple[str, ...]) -> str | None:
    """The first keyword found in ``text`` as whole words, ignoring case."""
    for keyword in keywords:
        if re.search(rf"(?<!\w){re.escape(keyword)}(?!\w)", text, re.IGNORECASE):
            return keyword
    return None


def low_rating(event: Event, policy: EscalationPolicy) -> Escalate | None:
    """A rating at or under ``low_rating`` of the scale."""
    if event.type != RATED or policy.low_rating is None:
        return None
    score, scale = int(event.data.get("score", 0)), int(event.data.get("scale_max") or 5)
    if scale <= 0 or score / scale > policy.low_rating:
        return None
    return Escalate("OTHER", "low-rating", f"rated {score} of {scale}")


def track_service_request(
    event: Event, signals: Signals, policy: EscalationPolicy, now_ms: int
) -> None:
    """Remember a new request's acceptance deadline; forget it at its first status update."""
    request_id = event.header.get("request_id")
    if not request_id:
        return
    if event.type == REQUEST_CREATED:
        level = policy.service_levels.get(str(event.data.get("service_code", "")))
        if level is not None:
            signals.pending[str(request_id)] = now_ms + int(level * 1000)
    elif event.type.startswith(SERVICE_REQUEST):
        signals.pending.pop(str(request_id), None)


def overdue(signals: Signals, now_ms: int) -> Escalate | None:
    """The first service request past its deadline (removed: it escalates once)."""
    for request_id, due in sorted(signals.pending.items(), key=lambda item: item[1]):
        if due <= now_ms:
            del signals.pending[request_id]
            return Escalate(
                "SERVICE_LEVEL", "service-level", f"service request {request_id} not accepted"
            )
    return None


def evaluate(
    event: Event, signals: Signals, policy: EscalationPolicy, now_ms: int
) -> Escalate | None:
    """The policy that fires for ``event``, if any; updates ``signals`` in place."""
    track_service_request(event, signals, policy, now_ms)
    return (
        human_requested(event, policy)
        or sensitive(event, policy)
        or low_confidence(event, signals, policy)
        or low_rating(event, policy)
    )
