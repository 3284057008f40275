"""Which officials are online, idle or offline, per authority.

A presence is a lease: the console renews it while it is open, so an
official whose browser crashed, or whose laptop went to sleep, counts as
offline once ``lease`` has passed since the last renewal, without anyone
saying so. A presence of unknown time (none given) never lapses.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

PRESENT = "ONLINE"
ABSENT = "OFFLINE"


@dataclass(frozen=True)
class Seen:
    authority: str
    presence: str
    """An OfficialPresence symbol."""
    at: datetime | None = None
    """When it was said (the event's ``occurred_at``)."""


@dataclass
class PresenceBoard:
    """The latest presence of each official; fed from the presence topic."""

    lease: timedelta | None = None
    """How long a presence holds without renewal; None: until changed."""
    officials: dict[str, Seen] = field(default_factory=dict)

    def apply(
        self, official_id: str, authority: str, presence: str, at: datetime | None = None
    ) -> str | None:
        """Record a presence or its renewal; returns the presence before, if known."""
        before = self.officials.get(official_id)
        self.officials[official_id] = Seen(authority, presence, at)
        return before.presence if before else None

    def presence_of(self, official_id: str, now: datetime) -> str:
        """The official's presence at ``now``: OFFLINE if never seen or lapsed."""
        seen = self.officials.get(official_id)
        if seen is None or self._lapsed(seen, now):
            return ABSENT
        return seen.presence

    def online(self, authority: str, now: datetime) -> list[str]:
        """Officials of ``authority`` who can take a conversation at ``now``."""
        return sorted(
            official
            for official, seen in self.officials.items()
            if seen.authority == authority
            and seen.presence == PRESENT
            and not self._lapsed(seen, now)
        )

    def _lapsed(self, seen: Seen, now: datetime) -> bool:
        return self.lease is not None and seen.at is not None and now - seen.at > self.lease
