"""The escalation metrics follow a case's life from its state before and after each step."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime

from prometheus_client import REGISTRY

from bus.escalation.case import Case, Status
from bus.escalation.metrics import observe_queues, observe_step, queue_depths, snapshot
from bus.escalation.state import ConversationState

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
OPENED_MS = int(NOW.timestamp() * 1000) - 90_000


def new_case(authority: str) -> Case:
    return Case(
        case_id=f"case-{uuid.uuid4().hex[:8]}",
        conversation_id="conv-1",
        authority=authority,
        host=authority,
        trigger="CITIZEN_REQUEST",
        policy="human-request",
        opened_at_ms=OPENED_MS,
        first_response_due_ms=OPENED_MS + 60_000,
    )


def count(authority: str, transition: str) -> float:
    labels = {"authority": authority, "transition": transition}
    return REGISTRY.get_sample_value("bus_escalation_cases_total", labels) or 0.0


def test_each_transition_is_counted_once_and_a_claim_times_the_wait_since_queued() -> None:
    here, there = f"a-{uuid.uuid4().hex[:6]}", f"b-{uuid.uuid4().hex[:6]}"
    case = new_case(here)
    observe_step(None, case, NOW)
    claimed = replace(case, status=Status.CLAIMED, official_id="anna")
    observe_step(snapshot(case), claimed, NOW)
    observe_step(snapshot(claimed), claimed, NOW)  # a retried claim changes nothing
    released = replace(claimed, status=Status.OPEN, official_id=None, queued_at_ms=OPENED_MS)
    observe_step(claimed, released, NOW)
    moved = replace(released, authority=there, queued_at_ms=OPENED_MS + 80_000)
    observe_step(released, moved, NOW)
    breached = replace(moved, breached=True)
    observe_step(moved, breached, NOW)
    observe_step(breached, breached, NOW)
    claimed_there = replace(breached, status=Status.CLAIMED, official_id="carl")
    observe_step(breached, claimed_there, NOW)
    resolved = replace(claimed_there, status=Status.RESOLVED, resolution="ACCEPTED")
    observe_step(claimed_there, resolved, NOW)

    transitions = ("opened", "claimed", "released", "transferred", "resolved", "breached")
    assert {t: count(here, t) for t in transitions} == {
        "opened": 1, "claimed": 1, "released": 1, "transferred": 1, "resolved": 0, "breached": 0,
    }  # fmt: skip
    assert {t: count(there, t) for t in transitions} == {
        "opened": 0, "claimed": 1, "released": 0, "transferred": 0, "resolved": 1, "breached": 1,
    }  # fmt: skip
    waits = "bus_escalation_claim_wait_seconds_sum"
    assert REGISTRY.get_sample_value(waits, {"authority": here}) == 90.0  # since opened
    assert REGISTRY.get_sample_value(waits, {"authority": there}) == 10.0  # since transferred
    breaches = {"authority": there, "level": "first-response"}
    assert REGISTRY.get_sample_value("bus_escalation_sla_breaches_total", breaches) == 1.0


def test_a_new_case_in_the_conversation_counts_as_opened() -> None:
    authority = f"c-{uuid.uuid4().hex[:6]}"
    first = replace(new_case(authority), status=Status.RESOLVED)
    observe_step(first, new_case(authority), NOW)
    assert count(authority, "opened") == 1 and count(authority, "resolved") == 0


def test_the_queues_count_waiting_and_unresolved_cases_of_every_authority() -> None:
    here, idle = f"d-{uuid.uuid4().hex[:6]}", f"e-{uuid.uuid4().hex[:6]}"
    waiting = ConversationState(case=new_case(here))
    claimed = ConversationState(case=replace(new_case(here), status=Status.CLAIMED))
    done = ConversationState(case=replace(new_case(here), status=Status.RESOLVED))
    states = [waiting, claimed, done, ConversationState()]
    assert queue_depths(states, [here, idle]) == {here: (1, 2), idle: (0, 0)}
    observe_queues(states, [here, idle])
    gauge = REGISTRY.get_sample_value
    assert gauge("bus_escalation_queue_depth", {"authority": here}) == 1.0
    assert gauge("bus_escalation_open_cases", {"authority": here}) == 2.0
    assert gauge("bus_escalation_open_cases", {"authority": idle}) == 0.0
