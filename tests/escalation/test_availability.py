"""Whether an official can answer: working hours from the catalogue and officials online."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from bus.catalogue import Authority, WorkingHours
from bus.escalation.availability import next_opening, unavailability
from bus.escalation.presence import PresenceBoard

HOURS = WorkingHours(timezone="Europe/Tallinn", open=time(9), close=time(17))
TAX = Authority(code="tax-board", name="Tax and Customs Board", working_hours=HOURS)
# Wednesday 2026-11-25, 12:00 in Tallinn (UTC+2) is 10:00 UTC.
WEDNESDAY_NOON = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
FRIDAY_EVENING = datetime(2026, 11, 27, 16, 0, tzinfo=UTC)


def online(*officials: str) -> PresenceBoard:
    board = PresenceBoard()
    for official in officials:
        board.apply(official, "tax-board", "ONLINE")
    return board


def test_open_with_an_official_online_is_available() -> None:
    assert unavailability(TAX, WEDNESDAY_NOON, online("carl")) is None


def test_open_with_no_official_online_waits_for_officials() -> None:
    found = unavailability(TAX, WEDNESDAY_NOON, online())
    assert found is not None and found.reason == "OFFICIALS"


def test_closed_hours_wait_for_the_organisation_until_monday_morning() -> None:
    found = unavailability(TAX, FRIDAY_EVENING, online("carl"))
    assert found is not None and found.reason == "ORGANIZATION"
    assert found.available_again_at == datetime(2026, 11, 30, 7, 0, tzinfo=UTC)


def test_before_opening_the_next_opening_is_the_same_morning() -> None:
    early = datetime(2026, 11, 25, 5, 0, tzinfo=UTC)  # 07:00 in Tallinn
    assert next_opening(HOURS, early) == datetime(2026, 11, 25, 7, 0, tzinfo=UTC)


def test_an_authority_without_working_hours_is_always_open() -> None:
    police = Authority(code="police", name="Police")
    board = PresenceBoard()
    board.apply("anna", "police", "ONLINE")
    assert unavailability(police, FRIDAY_EVENING, board) is None


def test_idle_and_offline_officials_do_not_count_as_online() -> None:
    board = online("carl", "dora")
    assert board.apply("carl", "tax-board", "IDLE") == "ONLINE"
    board.apply("dora", "tax-board", "OFFLINE")
    assert board.online("tax-board", WEDNESDAY_NOON) == []
    assert unavailability(TAX, WEDNESDAY_NOON, board) is not None


def test_a_presence_not_renewed_within_its_lease_counts_as_offline() -> None:
    board = PresenceBoard(lease=timedelta(minutes=3))
    board.apply("carl", "tax-board", "ONLINE", WEDNESDAY_NOON)
    board.apply("dora", "tax-board", "IDLE", WEDNESDAY_NOON)
    board.apply("erik", "tax-board", "ONLINE")  # no time given: holds until changed
    later = WEDNESDAY_NOON + timedelta(minutes=3)
    assert board.online("tax-board", later) == ["carl", "erik"]
    assert board.presence_of("dora", later) == "IDLE"
    lapsed = later + timedelta(seconds=1)
    assert board.online("tax-board", lapsed) == ["erik"]
    assert (board.presence_of("carl", lapsed), board.presence_of("dora", lapsed)) == (
        "OFFLINE",
        "OFFLINE",
    )
    board.apply("carl", "tax-board", "ONLINE", lapsed)  # a renewal
    assert board.online("tax-board", lapsed) == ["carl", "erik"]
    assert PresenceBoard().online("tax-board", lapsed) == []
