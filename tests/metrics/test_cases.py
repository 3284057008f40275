"""The escalation and audit helpers set the metrics the alerts and the dashboard read."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from prometheus_client import REGISTRY

from bus.metrics import cases


def _value(name: str, **labels: str) -> float | None:
    return REGISTRY.get_sample_value(name, labels)


def test_case_metrics_are_kept_per_authority() -> None:
    authority = f"a-{uuid.uuid4().hex[:8]}"
    cases.case_transition(authority, "opened")
    cases.case_transition(authority, "opened")
    cases.escalation_queue(authority, waiting=2, open_cases=3)
    cases.claim_waited(authority, 42.0)
    cases.sla_breached(authority, "claim")
    cases_total = "bus_escalation_cases_total"
    assert _value(cases_total, authority=authority, transition="opened") == 2
    assert _value("bus_escalation_queue_depth", authority=authority) == 2
    assert _value("bus_escalation_open_cases", authority=authority) == 3
    assert _value("bus_escalation_claim_wait_seconds_sum", authority=authority) == 42.0
    assert _value("bus_escalation_claim_wait_seconds_bucket", authority=authority, le="60.0") == 1
    assert _value("bus_escalation_sla_breaches_total", authority=authority, level="claim") == 1


def test_an_unknown_transition_is_refused_naming_the_known_ones() -> None:
    with pytest.raises(ValueError, match="opened, claimed"):
        cases.case_transition("police", "lost")


def test_audit_metrics_show_each_chains_head_and_last_checkpoint() -> None:
    before = _value("bus_audit_records_total", chain="3") or 0.0
    cases.audit_appended(3, 41, count=2)
    moment = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)
    cases.audit_checkpointed(3, 40, moment)
    assert _value("bus_audit_records_total", chain="3") == before + 2
    assert _value("bus_audit_chain_head_sequence", chain="3") == 41
    assert _value("bus_audit_last_checkpoint_sequence", chain="3") == 40
    assert _value("bus_audit_last_checkpoint_timestamp_seconds", chain="3") == moment.timestamp()
