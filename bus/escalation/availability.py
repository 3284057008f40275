"""Whether a human can answer now: the authority's working hours and its officials online."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bus.catalogue import Authority, WorkingHours
from bus.catalogue.hours import DAYS
from bus.escalation.presence import PresenceBoard


@dataclass(frozen=True)
class Unavailability:
    """An UnavailabilityReason symbol and when officials are expected back, if known."""

    reason: str
    available_again_at: datetime | None = None


def unavailability(
    authority: Authority, now: datetime, board: PresenceBoard
) -> Unavailability | None:
    """Why no official of ``authority`` can answer at ``now``, or None if one can.

    An authority without working hours is always open.
    """
    hours = authority.working_hours
    if hours is not None and not hours.is_open(now):
        return Unavailability("ORGANIZATION", next_opening(hours, now))
    if not board.online(authority.code, now):
        return Unavailability("OFFICIALS")
    return None


def next_opening(hours: WorkingHours, now: datetime) -> datetime:
    """The next moment at or after ``now`` when ``hours`` open, in UTC-aware form."""
    zone = ZoneInfo(hours.timezone)
    local = now.astimezone(zone)
    for ahead in range(8):
        day = local.date() + timedelta(days=ahead)
        opening = datetime.combine(day, hours.open, tzinfo=zone)
        if DAYS[day.weekday()] in hours.days and opening >= local:
            return opening
    raise AssertionError("working hours name at least one weekday")  # pragma: no cover
