"""The officials' API's picture of the cases and their conversations, folded from Kafka.

It follows the escalations topic, the conversations' topics and the officials'
presence in full, and wakes the request waiting for the outcome of an action
it published (the outcome carries the action's event id as its causation id).

A conversation's transcript is what the citizen had, from the first turn: the
citizen's, the bot's and the officials' messages, the bot's intents with their
confidence, the hand-over and the take-over, in the order they were read.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from bus.client.dedup import RecentIds
from bus.escalation.presence import PresenceBoard
from bus.officials.supervision import Supervision
from bus.schemas.event import Event
from bus.schemas.types import (
    ESCALATION,
    HANDOFF_REQUESTED,
    INTENT_CLASSIFIED,
    OFFICIAL_PRESENCE_CHANGED,
    TAKEN_OVER,
    UNAVAILABLE,
)
from bus.schemas.types import MESSAGE_SENT as MESSAGE

MAX_TURNS = 500
"""Turns kept per conversation; past it the oldest go (the first one is always kept)."""
PREVIEW_CHARS = 140
TRANSCRIPT = frozenset({MESSAGE, INTENT_CLASSIFIED, HANDOFF_REQUESTED, TAKEN_OVER})


def _iso(value: Any) -> str | None:
    return value.isoformat() if isinstance(value, datetime) else None


def _turn(event: Event) -> dict[str, Any]:
    """One entry of a transcript: ``kind`` says which of the four it is."""
    data = event.data
    turn: dict[str, Any] = {"event_id": event.id, "at": _iso(event.occurred_at)}
    if event.type == MESSAGE:
        turn.update(
            kind="message",
            role=data.get("author_role"),
            author=data.get("author_display_name") or data.get("author_id"),
            text=data.get("text"),
        )
    elif event.type == INTENT_CLASSIFIED:
        turn.update(
            kind="intent",
            intent=data.get("intent"),
            confidence=data.get("confidence"),
            message_id=data.get("message_id"),
        )
    elif event.type == HANDOFF_REQUESTED:
        turn.update(kind="handoff", requested_by=data.get("requested_by"))
    else:
        turn.update(
            kind="taken-over",
            official_id=data.get("official_id"),
            author=data.get("official_display_name") or data.get("official_id"),
        )
    return turn


@dataclass
class CaseView:
    cases: dict[str, dict[str, Any]] = field(default_factory=dict)
    turns: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    presence: PresenceBoard = field(default_factory=PresenceBoard)
    """From the presence topic, with the escalator's lease (``BUS_PRESENCE_LEASE_S``)."""
    supervision: Supervision = field(default_factory=Supervision)
    _seen: RecentIds = field(default_factory=RecentIds)
    _waiting: dict[str, asyncio.Future[Event]] = field(default_factory=dict)

    def clear(self) -> None:
        """Forget every case, turn and presence: the topics are read again from their start."""
        self.cases.clear()
        self.turns.clear()
        self.presence.officials.clear()
        self.supervision = Supervision()
        self._seen = RecentIds()

    def expect(self, cause: str) -> asyncio.Future[Event]:
        """A future for the outcome of the action with event id ``cause``."""
        future: asyncio.Future[Event] = asyncio.get_running_loop().create_future()
        self._waiting[cause] = future
        return future

    def forget(self, cause: str) -> None:
        self._waiting.pop(cause, None)

    def apply(self, event: Event) -> None:
        if event.type in TRANSCRIPT and self._seen.seen(str(event.id)):
            return  # the same event forwarded to a second topic
        # Case events are applied as often as they come (each is idempotent): an
        # Unavailable read from the assistant's topic before its CaseOpened is
        # applied again from the escalations topic, after it.
        self._fold(event)
        cause = event.header.get("causation_id")
        if cause and (event.type.startswith(ESCALATION) or event.type == MESSAGE):
            future = self._waiting.pop(str(cause), None)
            if future is not None and not future.done():
                future.set_result(event)

    def _fold(self, event: Event) -> None:
        data, name = event.data, event.type.removeprefix(ESCALATION)
        if event.type == OFFICIAL_PRESENCE_CHANGED:
            authority = str(event.header.get("authority") or "")
            official, presence = str(data["official_id"]), str(data["presence"])
            self.presence.apply(official, authority, presence, event.occurred_at)
            return
        if event.type.startswith(ESCALATION):
            self.supervision.apply(event)
        if event.type in TRANSCRIPT:
            transcript = self.turns.setdefault(str(event.header.get("conversation_id")), [])
            transcript.append(_turn(event))
            if len(transcript) > MAX_TURNS:
                del transcript[1]
        case = self.cases.get(str(data.get("case_id") or event.header.get("correlation_id")))
        if name == "CaseOpened":
            self.cases[data["case_id"]] = {
                "case_id": data["case_id"],
                "conversation_id": event.header.get("conversation_id"),
                "authority": data["handling_authority"],
                "trigger": data["trigger"],
                "policy": data["policy"],
                "summary": data.get("summary"),
                "status": "open",
                "official_id": None,
                "opened_at": _iso(event.occurred_at),
                "queued_at": _iso(event.occurred_at),
                "first_response_due": _iso(data.get("first_response_due")),
                "answered": False,
                "breached": False,
                "waiting": None,
                "available_again_at": None,
                "resolution": None,
            }
        elif case is None:
            return
        elif event.type == MESSAGE and data.get("author_role") == "BACKOFFICE_USER":
            case.update(answered=True)
        elif name == "CaseClaimed":
            case.update(status="claimed", official_id=data["official_id"], waiting=None)
        elif name == "CaseReleased":
            case.update(status="open", official_id=None, queued_at=_iso(event.occurred_at))
        elif name == "CaseTransferred":
            case.update(
                status="open",
                official_id=None,
                authority=data["to_authority"],
                queued_at=_iso(event.occurred_at),
            )
        elif name == "CaseResolved":
            case.update(status="resolved", resolution=data["resolution"])
        elif name == "ServiceLevelBreached":
            case.update(breached=True)
        elif event.type == UNAVAILABLE:
            case.update(
                waiting=data["reason"], available_again_at=_iso(data.get("available_again_at"))
            )

    def online(self, authority: str, now: datetime | None = None) -> list[str]:
        """Officials of ``authority`` online at ``now`` (default: now), by id."""
        return self.presence.online(authority, now or datetime.now(UTC))

    def presence_of(self, official_id: str, now: datetime | None = None) -> str:
        """``online``, ``idle`` or ``offline`` (never seen, or lapsed: offline)."""
        return self.presence.presence_of(official_id, now or datetime.now(UTC)).lower()

    def waiting(self, case: dict[str, Any], now: datetime | None = None) -> str | None:
        """Why the case still waits for an official now, or None.

        The escalator says so once, when the case opens or moves; the reason
        ends when an official of the authority comes online, or the
        organisation opens again.
        """
        reason = case.get("waiting")
        if reason is None or case["status"] != "open":
            return None
        if reason == "OFFICIALS" and self.online(case["authority"], now):
            return None
        again = case.get("available_again_at")
        if (
            reason == "ORGANIZATION"
            and again
            and (now or datetime.now(UTC)) >= datetime.fromisoformat(again)
        ):
            return None if self.online(case["authority"], now) else "OFFICIALS"
        return str(reason)

    def preview(self, conversation_id: str) -> str | None:
        """The citizen's first message, shortened, to tell cases apart in a queue."""
        for turn in self.turns.get(conversation_id, []):
            if turn["kind"] == "message" and turn["role"] == "END_USER" and turn["text"]:
                text = " ".join(str(turn["text"]).split())
                return text if len(text) <= PREVIEW_CHARS else text[: PREVIEW_CHARS - 1] + "…"
        return None

    def messages(self, conversation_id: str) -> list[dict[str, Any]]:
        """The conversation's messages alone, without intents and hand-overs."""
        return [
            {key: turn[key] for key in ("event_id", "at", "role", "author", "text")}
            for turn in self.turns.get(conversation_id, [])
            if turn["kind"] == "message"
        ]

    def queue(self, authority: str) -> list[dict[str, Any]]:
        """The authority's cases not yet resolved, oldest first."""
        found = [
            case
            for case in self.cases.values()
            if case["authority"] == authority and case["status"] != "resolved"
        ]
        return sorted(found, key=lambda case: case["opened_at"] or "")
