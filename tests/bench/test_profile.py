"""Summing py-spy's raw stacks into where the router's time goes."""

from __future__ import annotations

import pytest

from bench.profile import OTHER, summarise

ROUTER = "Agent._execute_actor (faust/agents/agent.py:698);register.<locals>.router "


def test_samples_are_summed_by_category_first_match_wins() -> None:
    lines = [
        ROUTER + "(x.py:49);_handle (x.py:75);BatchStates.get (x.py:44);Mapping.get (y.py:7) 30",
        ROUTER + "(x.py:53);ManagedUserDict.__setitem__ (z.py:777);Store._set (r.py:480) 20",
        "Sender._send_produce_req (aiokafka/producer/sender.py:288);write (x.py:1) 40",
        "BaseEventLoop._run_once (asyncio/base_events.py:1922) 10",
    ]
    shares = dict(summarise(lines))
    assert shares == pytest.approx(
        {
            "router: table get (RocksDB read, JSON)": 0.3,
            "router: table set (RocksDB write, JSON, changelog record)": 0.2,
            "aiokafka producer: produce requests": 0.4,
            OTHER: 0.1,
        }
    )
    assert summarise(lines)[0][0] == "aiokafka producer: produce requests"


def test_blank_and_malformed_lines_are_ignored() -> None:
    assert summarise(["", "no count here", "   "]) == []
