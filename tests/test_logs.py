"""A repeated condition is said once, then once per quiet period with how many were not said."""

from __future__ import annotations

import logging

from bus.logs import ExpectedAsWarning, RepeatFilter, Repeats


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_condition_is_said_first_then_once_per_quiet_period_with_the_count() -> None:
    clock = Clock()
    repeats = Repeats(quiet_s=10, clock=clock)
    said = [repeats.due("gone")]
    for _ in range(500):
        clock.now += 0.01
        said.append(repeats.due("gone"))
    assert said[0] == 0 and said[1:] == [None] * 500
    clock.now += 10
    assert repeats.due("gone") == 500
    assert repeats.more(500) == " (500 more like it in the last 10 s)"
    assert repeats.due("other") == 0, "each condition on its own"


def test_only_the_most_recent_conditions_are_remembered() -> None:
    clock = Clock()
    repeats = Repeats(quiet_s=10, keys=2, clock=clock)
    for condition in ("a", "b", "c"):
        assert repeats.due(condition) == 0
    assert repeats.due("a") == 0, "forgotten, so said again"
    assert repeats.due("c") is None


def _record(
    level: int, text: str, *args: object, name: str = "aiokafka.cluster"
) -> logging.LogRecord:
    return logging.LogRecord(name, level, __file__, 1, text, args, None)


def test_the_filter_collapses_a_librarys_flood_of_one_line_whatever_its_numbers() -> None:
    clock = Clock()
    quiet = RepeatFilter(Repeats(quiet_s=10, clock=clock))
    flood = [
        _record(logging.ERROR, "Connect failed (after %dms in state CONNECT)", n)
        for n in range(6000)
    ]
    passed = [record for record in flood if quiet.filter(record)]
    assert len(passed) == 1
    clock.now += 10
    again = _record(logging.ERROR, "Connect failed (after %dms in state CONNECT)", 7)
    assert quiet.filter(again)
    assert again.getMessage() == (
        "Connect failed (after 7ms in state CONNECT) (5999 more like it in the last 10 s)"
    )


def test_the_filter_lets_info_and_different_conditions_through() -> None:
    quiet = RepeatFilter(Repeats(quiet_s=10, clock=Clock()))
    assert all(quiet.filter(_record(logging.INFO, "consumed")) for _ in range(3))
    assert quiet.filter(_record(logging.ERROR, "Topic %s not found", "a"))
    assert quiet.filter(_record(logging.ERROR, "Topic %s not found", "b"))
    assert quiet.filter(_record(logging.ERROR, "Topic %s not found", "a", name="other"))


def test_a_librarys_expected_conditions_are_warnings_and_its_other_errors_stay_errors() -> None:
    expected = ExpectedAsWarning()
    offsets = _record(
        logging.ERROR,
        "Group Coordinator Request failed: %s",
        "CoordinatorNotAvailableError",
        name="aiokafka.consumer.group_coordinator",
    )
    refused = _record(logging.ERROR, "%s [%s] %s", "FAIL", "rdkafka#producer-1", "refused")
    refused.name = "librdkafka"
    other = _record(logging.ERROR, "Unexpected error in fetcher routine")
    ours = _record(logging.ERROR, "Group Coordinator Request failed", name="bus.worker")
    for record in (offsets, refused, other, ours):
        assert expected.filter(record)
    assert (offsets.levelname, refused.levelname) == ("WARNING", "WARNING")
    assert (other.levelname, ours.levelname) == ("ERROR", "ERROR")
