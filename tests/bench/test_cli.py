"""The options of ``python -m bench``."""

from __future__ import annotations

import pytest

from bench.__main__ import parse
from bench.run import MEASUREMENTS


def test_defaults_measure_everything_over_200000_events() -> None:
    plan = parse(["--bootstrap-servers", "127.0.0.1:9"])
    assert plan.bootstrap_servers == "127.0.0.1:9"
    assert plan.events == 200_000
    assert plan.runs == 3
    assert plan.rates == (200.0, 1000.0)
    assert plan.only == MEASUREMENTS
    assert "exactly-once" in plan.only and "soak" in plan.only
    assert plan.soak_events == 1_000_000
    assert plan.save


def test_quick_is_small_but_explicit_options_win() -> None:
    quick = parse(["--quick"])
    assert quick.events == 20_000 and quick.runs == 2 and quick.seconds == 3.0
    assert parse(["--quick", "--events", "5000", "--runs", "1"]).events == 5000


def test_quick_leaves_the_soak_out_unless_only_names_it() -> None:
    assert "soak" not in parse(["--quick"]).only
    assert parse(["--quick"]).only == tuple(m for m in MEASUREMENTS if m != "soak")
    plan = parse(["--quick", "--only", "soak", "--soak-events", "50000"])
    assert plan.only == ("soak",) and plan.soak_events == 50_000


def test_only_keeps_the_bench_order_and_router_seconds_zero_means_all_events() -> None:
    plan = parse(["--only", "codec", "throughput", "--router-seconds", "0", "--no-save"])
    assert plan.only == ("throughput", "codec")
    assert plan.router_seconds is None
    assert not plan.save


def test_an_unknown_measurement_is_refused() -> None:
    with pytest.raises(SystemExit):
        parse(["--only", "everything"])
