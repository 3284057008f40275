"""The officials' API's picture of the cases and their conversations, folded from Kafka.

It follows the escalations topic and the conversations' topics in full, and
wakes the request waiting for the outcome of an action it published (the
outcome carries the action's event id as its causation id).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bus.client.dedup import RecentIds
from bus.schemas.event import Event
from bus.schemas.types import ESCALATION, UNAVAILABLE
from bus.schemas.types import MESSAGE_SENT as MESSAGE

MAX_MESSAGES = 200


def _iso(value: Any) -> str | None:
    return value.isoformat() if isinstance(value, datetime) else None


@dataclass
class CaseView:
    cases: dict[str, dict[str, Any]] = field(default_factory=dict)
    messages: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    _seen: RecentIds = field(default_factory=RecentIds)
    _waiting: dict[str, asyncio.Future[Event]] = field(default_factory=dict)

    def clear(self) -> None:
        """Forget every case and message: the topics are read again from their start."""
        self.cases.clear()
        self.messages.clear()
        self._seen = RecentIds()

    def expect(self, cause: str) -> asyncio.Future[Event]:
        """A future for the outcome of the action with event id ``cause``."""
        future: asyncio.Future[Event] = asyncio.get_running_loop().create_future()
        self._waiting[cause] = future
        return future

    def forget(self, cause: str) -> None:
        self._waiting.pop(cause, None)

    def apply(self, event: Event) -> None:
        if event.type == MESSAGE and self._seen.seen(str(event.id)):
            return  # the same message forwarded to a second topic
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
                "first_response_due": _iso(data.get("first_response_due")),
                "breached": False,
                "waiting": None,
                "resolution": None,
            }
        elif event.type == MESSAGE:
            transcript = self.messages.setdefault(str(event.header.get("conversation_id")), [])
            transcript.append(
                {
                    "event_id": event.id,
                    "at": _iso(event.occurred_at),
                    "role": data.get("author_role"),
                    "author": data.get("author_display_name") or data.get("author_id"),
                    "text": data.get("text"),
                }
            )
            del transcript[:-MAX_MESSAGES]
        elif case is None:
            return
        elif name == "CaseClaimed":
            case.update(status="claimed", official_id=data["official_id"], waiting=None)
        elif name == "CaseReleased":
            case.update(status="open", official_id=None)
        elif name == "CaseTransferred":
            case.update(status="open", official_id=None, authority=data["to_authority"])
        elif name == "CaseResolved":
            case.update(status="resolved", resolution=data["resolution"])
        elif name == "ServiceLevelBreached":
            case.update(breached=True)
        elif event.type == UNAVAILABLE:
            case.update(waiting=data["reason"])

    def queue(self, authority: str) -> list[dict[str, Any]]:
        """The authority's cases not yet resolved, oldest first."""
        found = [
            case
            for case in self.cases.values()
            if case["authority"] == authority and case["status"] != "resolved"
        ]
        return sorted(found, key=lambda case: case["opened_at"] or "")
