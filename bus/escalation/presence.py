"""Which officials are online, idle or offline, per authority."""

from __future__ import annotations

from dataclasses import dataclass, field

PRESENT = "ONLINE"


@dataclass
class PresenceBoard:
    """The latest presence of each official; fed from the presence topic."""

    officials: dict[str, tuple[str, str]] = field(default_factory=dict)
    """official id -> (authority, OfficialPresence symbol)."""

    def apply(self, official_id: str, authority: str, presence: str) -> str | None:
        """Record a change; returns the presence before, if known."""
        before = self.officials.get(official_id)
        self.officials[official_id] = (authority, presence)
        return before[1] if before else None

    def online(self, authority: str) -> list[str]:
        """Officials of ``authority`` who can take a conversation now."""
        return sorted(
            official
            for official, (their, presence) in self.officials.items()
            if their == authority and presence == PRESENT
        )
