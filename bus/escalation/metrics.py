"""Keep the escalation metrics from what a step did to a case, so the desk stays pure.

``observe_step`` compares the conversation's case before and after one event
(or action) and counts each lifecycle transition; ``queue_depths`` counts the
waiting and unresolved cases per authority for the queue gauges.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime

from bus.escalation.case import Case, Status
from bus.escalation.state import ConversationState
from bus.metrics.cases import case_transition, claim_waited, escalation_queue, sla_breached

FIRST_RESPONSE = "first-response"


def snapshot(case: Case | None) -> Case | None:
    """A copy of the case as it was, to compare with after a step."""
    return replace(case) if case is not None else None


def observe_step(before: Case | None, after: Case | None, now: datetime) -> None:
    """Count the transitions from ``before`` to ``after`` (the conversation's case)."""
    if after is None:
        return
    if before is None or before.case_id != after.case_id:
        case_transition(after.authority, "opened")
        before = None
    was = before.status if before is not None else Status.OPEN
    if before is not None and before.authority != after.authority:
        case_transition(before.authority, "transferred")
    elif was is Status.CLAIMED and after.status is Status.OPEN:
        case_transition(after.authority, "released")
    if was is not Status.CLAIMED and after.status is Status.CLAIMED:
        case_transition(after.authority, "claimed")
        queued_ms = after.queued_at_ms or after.opened_at_ms
        claim_waited(after.authority, now.timestamp() - queued_ms / 1000)
    if was is not Status.RESOLVED and after.status is Status.RESOLVED:
        case_transition(after.authority, "resolved")
    if after.breached and not (before is not None and before.breached):
        case_transition(after.authority, "breached")
        sla_breached(after.authority, FIRST_RESPONSE)


def queue_depths(
    states: Iterable[ConversationState], authorities: Iterable[str]
) -> dict[str, tuple[int, int]]:
    """Per authority: (cases waiting for a claim, cases not yet resolved)."""
    depths = {code: (0, 0) for code in authorities}
    for state in states:
        case = state.open_case
        if case is None:
            continue
        waiting, unresolved = depths.get(case.authority, (0, 0))
        depths[case.authority] = (waiting + (case.status is Status.OPEN), unresolved + 1)
    return depths


def observe_queues(states: Iterable[ConversationState], authorities: Iterable[str]) -> None:
    """Set the queue gauges of every authority (zero when it has no cases here)."""
    for authority, (waiting, unresolved) in queue_depths(states, authorities).items():
        escalation_queue(authority, waiting=waiting, open_cases=unresolved)
