"""The life of an escalation case: opened, claimed, released, transferred, resolved, breached.

Plain state and transitions; each transition checks who may take it and raises
``CaseActionError`` with a stable reason when the case's state does not allow it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from enum import StrEnum
from typing import Any

from bus.errors import CaseActionError


class Status(StrEnum):
    OPEN = "open"
    CLAIMED = "claimed"
    RESOLVED = "resolved"


@dataclass
class Case:
    """One case: ``authority`` answers it, ``host`` is the assistant the citizen uses."""

    case_id: str
    conversation_id: str
    authority: str
    host: str
    trigger: str
    policy: str
    opened_at_ms: int
    first_response_due_ms: int
    status: Status = Status.OPEN
    official_id: str | None = None
    first_response_at_ms: int | None = None
    breached: bool = False
    resolution: str | None = None
    waiting: str | None = None
    """Why no official can answer yet (an UnavailabilityReason), or None."""
    queued_at_ms: int | None = None
    """When it went back to a queue (released or transferred); None: since it opened."""

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "status": str(self.status)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Case:
        return cls(**{**data, "status": Status(data["status"])})

    @property
    def closed(self) -> bool:
        return self.status is Status.RESOLVED


def _not_closed(case: Case) -> None:
    if case.closed:
        raise CaseActionError("case-closed", f"case {case.case_id} is already resolved")


def _own_authority(case: Case, authority: str) -> None:
    if authority != case.authority:
        raise CaseActionError(
            "foreign-authority", f"case {case.case_id} belongs to {case.authority}, not {authority}"
        )


def _claimed_by(case: Case, official: str) -> None:
    if case.status is not Status.CLAIMED or case.official_id != official:
        holder = f"claimed by {case.official_id}" if case.official_id else "not claimed"
        raise CaseActionError(
            "not-claimed-by-you", f"case {case.case_id} is {holder}; claim it first"
        )


def claim(case: Case, official: str, authority: str) -> None:
    """Take an open case. Claiming one's own case again is a no-op (a retried request)."""
    _own_authority(case, authority)
    _not_closed(case)
    if case.status is Status.CLAIMED and case.official_id != official:
        raise CaseActionError(
            "already-claimed", f"case {case.case_id} is already claimed by {case.official_id}"
        )
    case.status, case.official_id, case.waiting = Status.CLAIMED, official, None


def release(case: Case, official: str, authority: str) -> None:
    """Give a claimed case back to the queue."""
    _own_authority(case, authority)
    _not_closed(case)
    _claimed_by(case, official)
    case.status, case.official_id = Status.OPEN, None


def transfer(case: Case, official: str, authority: str, to_authority: str) -> None:
    """Move an open case, or one's own claimed case, to another authority's queue."""
    _own_authority(case, authority)
    _not_closed(case)
    if case.status is Status.CLAIMED:
        _claimed_by(case, official)
    if to_authority == case.authority:
        raise CaseActionError("same-authority", f"case {case.case_id} is already {to_authority}'s")
    case.authority, case.status, case.official_id = to_authority, Status.OPEN, None


def reply(case: Case, official: str, authority: str, now_ms: int) -> None:
    """An answer to the citizen; the first one meets the first-response service level."""
    _own_authority(case, authority)
    _not_closed(case)
    _claimed_by(case, official)
    if case.first_response_at_ms is None:
        case.first_response_at_ms = now_ms


def resolve(case: Case, official: str, authority: str, resolution: str) -> None:
    """Close one's own claimed case with an end reason."""
    _own_authority(case, authority)
    _not_closed(case)
    _claimed_by(case, official)
    case.status, case.resolution = Status.RESOLVED, resolution


def allowed(case: Case, official: str, authority: str) -> dict[str, bool]:
    """Which actions ``official`` of ``authority`` may take on ``case`` now, by the rules
    above (each tried on a copy): what the officials' console enables. Claiming is not
    offered again to the official who holds the case; a transfer is to another authority."""
    attempts: dict[str, Callable[[Case], None]] = {
        "claim": lambda c: claim(c, official, authority),
        "release": lambda c: release(c, official, authority),
        "transfer": lambda c: transfer(c, official, authority, f"{c.authority} (another)"),
        "reply": lambda c: reply(c, official, authority, 0),
        "resolve": lambda c: resolve(c, official, authority, "OTHER"),
    }
    found = {}
    for action, attempt in attempts.items():
        try:
            attempt(replace(case))
        except CaseActionError:
            found[action] = False
        else:
            found[action] = True
    found["claim"] = found["claim"] and case.official_id != official
    return found


def breach(case: Case, now_ms: int) -> bool:
    """Mark the first-response service level missed, once; True when it just was."""
    if case.closed or case.breached or case.first_response_at_ms is not None:
        return False
    if now_ms < case.first_response_due_ms:
        return False
    case.breached = True
    return True
