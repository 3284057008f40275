"""What a bench run adds up besides the rows: wall time per kind of run, the soak's rate."""

from __future__ import annotations

import time

import pytest

from bench.run import Walls
from bench.soak import Soak


def test_wall_time_adds_up_over_the_runs_of_one_kind() -> None:
    walls = Walls()
    for _ in range(2):
        with walls.timing("router"):
            time.sleep(0.01)
    with pytest.raises(RuntimeError), walls.timing("soak"):
        raise RuntimeError("a failed run still took its time")
    assert walls.seconds["router"] >= 0.02
    assert set(walls.seconds) == {"router", "soak"}
    assert walls.summary().startswith("router 0s; soak 0s")


def test_the_soak_rate_is_taken_between_the_two_readings() -> None:
    soak = Soak(1_000_000, 200_500, 300.0, 320.0, 330.0, seconds=400.0)
    assert soak.rate == pytest.approx(799_500 / 400.0)
