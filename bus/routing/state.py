"""What the router remembers per conversation (or service request), kept in the router's store."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

RECENT_IDS = 64
"""Decisions kept per subject; producers retry within seconds, so the window is short."""


@dataclass(frozen=True)
class Remembered:
    """A routing decision as it was taken, so reprocessing the same message repeats it.

    ``position`` says which message it was taken for (topic, partition, offset):
    the same event id at another position is a duplicate the producer sent; at
    the same position it is the router redoing its own work after a crash, and
    must deliver exactly what it delivered (or may not have delivered) before.
    """

    position: str
    topics: tuple[str, ...]
    redirect: tuple[str, str] | None = None

    def to_json(self) -> list[Any]:
        return [self.position, list(self.topics), list(self.redirect) if self.redirect else None]

    @classmethod
    def from_json(cls, data: list[Any]) -> Remembered:
        position, topics, redirect = data
        return cls(position, tuple(topics), tuple(redirect) if redirect else None)


@dataclass
class SubjectState:
    """``host``: the authority whose assistant the citizen talks to.

    ``owner``: the authority that handles the conversation now (differs from
    the host after a redirect). ``origins``: request id -> authority whose
    assistant started that service request, where status updates go back to.
    """

    host: str | None = None
    owner: str | None = None
    recent: dict[str, Remembered] = field(default_factory=dict)
    origins: dict[str, str] = field(default_factory=dict)
    external_ids: dict[str, str] = field(default_factory=dict)

    def remember(self, event_id: str, decision: Remembered) -> None:
        self.recent[event_id] = decision
        for old in list(self.recent)[:-RECENT_IDS]:
            del self.recent[old]

    def to_json(self) -> dict[str, Any]:
        return {
            "host": self.host,
            "owner": self.owner,
            "recent": {key: value.to_json() for key, value in self.recent.items()},
            "origins": self.origins,
            "external_ids": self.external_ids,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> SubjectState:
        if not data:
            return cls()
        return cls(
            host=data.get("host"),
            owner=data.get("owner"),
            recent={
                key: Remembered.from_json(value)
                for key, value in (data.get("recent") or {}).items()
            },
            origins=dict(data.get("origins") or {}),
            external_ids=dict(data.get("external_ids") or {}),
        )
