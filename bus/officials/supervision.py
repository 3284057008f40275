"""A supervisor's figures for one authority, folded from the escalator's case events.

The same events the escalation metrics count (``bus.escalation.metrics``):
opened, claimed, released, transferred, resolved, service level breached.
``Supervision`` keeps only what the figures need: each unresolved case's
queue and state, and the claims, resolutions and breaches of the last two
days; "today" is the caller's day, in the caller's time zone.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bus.client.dedup import RecentIds
from bus.schemas.event import Event
from bus.schemas.types import ESCALATION

KEPT = timedelta(days=2)
"""How long a claim, a resolution or a breach is kept: enough for any zone's today."""


@dataclass
class _Open:
    authority: str
    queued_at: datetime
    official_id: str | None = None


@dataclass(frozen=True)
class _Moment:
    at: datetime
    authority: str
    official_id: str | None


@dataclass
class Supervision:
    cases: dict[str, _Open] = field(default_factory=dict)
    """Unresolved cases by id."""
    claims: deque[_Moment] = field(default_factory=deque)
    resolutions: deque[_Moment] = field(default_factory=deque)
    breaches: deque[_Moment] = field(default_factory=deque)
    _seen: RecentIds = field(default_factory=RecentIds)

    def apply(self, event: Event) -> None:
        """Fold one escalation event; others, and an event seen before, are ignored."""
        if not event.type.startswith(ESCALATION) or self._seen.seen(str(event.id)):
            return
        name, data = event.type.removeprefix(ESCALATION), event.data
        at = event.occurred_at or datetime.now(UTC)
        case_id = str(data.get("case_id") or "")
        case = self.cases.get(case_id)
        if name == "CaseOpened":
            self.cases[case_id] = _Open(str(data["handling_authority"]), at)
        elif case is None:
            return
        elif name == "CaseClaimed":
            case.official_id = str(data["official_id"])
            self.claims.append(_Moment(at, case.authority, case.official_id))
        elif name == "CaseReleased":
            case.official_id, case.queued_at = None, at
        elif name == "CaseTransferred":
            case.authority, case.official_id, case.queued_at = str(data["to_authority"]), None, at
        elif name == "CaseResolved":
            self.resolutions.append(_Moment(at, case.authority, case.official_id))
            del self.cases[case_id]
        elif name == "ServiceLevelBreached":
            self.breaches.append(_Moment(at, case.authority, case.official_id))
        self._forget_before(at - KEPT)

    def _forget_before(self, moment: datetime) -> None:
        for kept in (self.claims, self.resolutions, self.breaches):
            while kept and kept[0].at < moment:
                kept.popleft()

    def figures(
        self, authority: str, online: list[str], now: datetime, zone: ZoneInfo
    ) -> dict[str, Any]:
        """What a supervisor of ``authority`` sees; "today" starts at midnight in ``zone``."""
        local = now.astimezone(zone)
        midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
        mine = [case for case in self.cases.values() if case.authority == authority]
        waiting = sorted(
            (case_id, case)
            for case_id, case in self.cases.items()
            if case.authority == authority and case.official_id is None
        )
        oldest = min(waiting, key=lambda item: item[1].queued_at, default=None)
        holding: dict[str, int] = {}
        for case in mine:
            if case.official_id is not None:
                holding[case.official_id] = holding.get(case.official_id, 0) + 1

        def today(moments: deque[_Moment]) -> list[_Moment]:
            return [m for m in moments if m.authority == authority and m.at >= midnight]

        claimed_today: dict[str, int] = {}
        for moment in today(self.claims):
            official = str(moment.official_id)
            claimed_today[official] = claimed_today.get(official, 0) + 1
        return {
            "authority": authority,
            "day_started_at": midnight.isoformat(),
            "queue_length": len(waiting),
            "open_cases": len(mine),
            "oldest_waiting": (
                {"case_id": oldest[0], "since": oldest[1].queued_at.isoformat()}
                if oldest is not None
                else None
            ),
            "officials_online": sorted(online),
            "claimed_now": dict(sorted(holding.items())),
            "claimed_today": dict(sorted(claimed_today.items())),
            "resolved_today": len(today(self.resolutions)),
            "breached_today": len(today(self.breaches)),
        }
