"""A flood of dead letters is counted in full and logged in a few lines."""

from __future__ import annotations

import logging
import uuid

import pytest
from prometheus_client import REGISTRY

from bus.deadletters import dead_letter
from bus.worker.record import Record


def test_a_flood_of_one_reason_is_counted_in_full_and_logged_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    agent, topic = f"a-{uuid.uuid4().hex[:6]}", f"t-{uuid.uuid4().hex[:6]}"
    caplog.set_level(logging.WARNING, logger="bus.deadletters")
    for offset in range(500):
        letter = dead_letter(Record(topic, 0, offset, b"k", b"x", [], None), "bad", "no", agent)
        assert letter.value == b"x" and letter.offset == offset and letter.agent == agent
    labels = {"agent": agent, "topic": topic, "reason": "bad"}
    assert REGISTRY.get_sample_value("bus_events_dead_lettered_total", labels) == 500
    lines = [r for r in caplog.records if agent in r.getMessage()]
    assert len(lines) == 1
    assert f"{topic}[0]@0" in lines[0].getMessage()
