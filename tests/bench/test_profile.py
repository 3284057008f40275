"""Summing py-spy's raw stacks into where the worker's time goes."""

from __future__ import annotations

import pytest

from bench.profile import OTHER, category, summarise

LOOP = (
    "_run_module_as_main (<frozen runpy>:198);run (asyncio/runners.py:118);"
    "BaseEventLoop._run_once (asyncio/base_events.py:1922);Handle._run (asyncio/events.py:80);"
    "StreamLoop.run (bus/worker/loop.py:101);StreamLoop._handle (bus/worker/loop.py:140);"
)
ROUTER = LOOP + "Router.process (bus/worker/router.py:49);"
THREAD = "Thread._bootstrap (threading.py:995);_WorkItem.run (concurrent/futures/thread.py:58);"


def test_each_sample_goes_to_its_innermost_known_frame() -> None:
    lines = [
        ROUTER + "Runtime.decode (bus/schemas/runtime.py:80);reader (fastavro/x.py:1) 30",
        ROUTER + "route (bus/routing/router.py:70);remember (bus/routing/state.py:51) 20",
        ROUTER + "Store.get (bus/worker/state.py:45) 5",
        ROUTER + "Outputs.send (bus/worker/outputs.py:92) 10",
        THREAD + "StreamLoop._fetch (bus/worker/loop.py:115) 15",
        ROUTER + "delivery (bus/metrics/agents.py:60);inc (prometheus_client/m.py:1) 5",
        LOOP + "Record.of (bus/worker/record.py:30) 5",
        "BaseEventLoop._run_once (asyncio/base_events.py:1922);select (selectors.py:468) 10",
    ]
    shares = dict(summarise(lines))
    assert shares == pytest.approx(
        {
            "Avro decode and encode (fastavro, bus.schemas)": 0.3,
            "routing decision (bus.routing)": 0.2,
            "state stores (bus.worker.state)": 0.05,
            "librdkafka produce, flush, transactions (confluent_kafka, bus.worker.outputs)": 0.1,
            "librdkafka consume and offset commits (confluent_kafka, bus.worker.loop)": 0.2,
            "metrics (prometheus_client, bus.metrics)": 0.05,
            "asyncio event loop": 0.1,
        }
    )
    assert summarise(lines)[0][0] == "Avro decode and encode (fastavro, bus.schemas)"


def test_the_loop_itself_logging_and_unknown_frames() -> None:
    assert category(ROUTER + "Logger.warning (logging/__init__.py:1501)") == "logging"
    assert category(LOOP) == "processors and the worker loop (bus.worker)"
    assert category("Thread._bootstrap (threading.py:995);loads (json/__init__.py:346)") == OTHER


def test_blank_and_malformed_lines_are_ignored() -> None:
    assert summarise(["", "no count here", "   "]) == []
