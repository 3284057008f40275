"""What the escalator remembers per conversation, kept as JSON in a Faust table."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bus.escalation.case import Case
from bus.escalation.policy import Signals


@dataclass
class ConversationState:
    """``host``: whose assistant the citizen talks to; ``owner``: who handles it now."""

    host: str | None = None
    owner: str | None = None
    signals: Signals = field(default_factory=Signals)
    case: Case | None = None
    opened: int = 0
    ended: bool = False

    @property
    def open_case(self) -> Case | None:
        return self.case if self.case is not None and not self.case.closed else None

    @property
    def finished(self) -> bool:
        """Ended, with no open case and no request to watch: nothing left to remember."""
        return self.ended and self.open_case is None and not self.signals.pending

    def to_json(self) -> dict[str, Any]:
        return {
            "host": self.host,
            "owner": self.owner,
            "signals": self.signals.to_json(),
            "case": self.case.to_json() if self.case else None,
            "opened": self.opened,
            "ended": self.ended,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> ConversationState:
        data = data or {}
        case = data.get("case")
        return cls(
            host=data.get("host"),
            owner=data.get("owner"),
            signals=Signals.from_json(data.get("signals")),
            case=Case.from_json(case) if case else None,
            opened=int(data.get("opened", 0)),
            ended=bool(data.get("ended", False)),
        )
