"""A supervisor's figures, folded from the escalator's case events."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bus.officials.supervision import Supervision
from bus.schemas.event import Event, new_event

TALLINN = ZoneInfo("Europe/Tallinn")
NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)  # 12:00 in Tallinn


def case_event(name: str, case_id: str, at: datetime, **fields: Any) -> Event:
    return new_event(
        "gov.agencybus.escalation." + name,
        source="bus:escalator",
        conversation_id=f"conv-{case_id}",
        correlation_id=case_id,
        occurred_at=at,
        case_id=case_id,
        **fields,
    )


def opened(case_id: str, at: datetime, authority: str = "police") -> Event:
    return case_event(
        "CaseOpened",
        case_id,
        at,
        handling_authority=authority,
        trigger="CITIZEN_REQUEST",
        policy="human-request",
        first_response_due=at + timedelta(minutes=15),
    )


def claimed(case_id: str, at: datetime, official: str) -> Event:
    return case_event("CaseClaimed", case_id, at, official_id=official)


def breached(case_id: str, at: datetime) -> Event:
    return case_event(
        "ServiceLevelBreached",
        case_id,
        at,
        deadline=at,
        breached_at=at,
        service_level="first-response",
    )


def test_an_empty_authority_has_zero_figures_and_no_one_waiting() -> None:
    figures = Supervision().figures("police", [], NOW, TALLINN)
    assert figures["queue_length"] == 0
    assert figures["oldest_waiting"] is None
    assert (figures["claimed_today"], figures["breached_today"]) == ({}, 0)
    assert figures["day_started_at"] == "2026-11-25T00:00:00+02:00"


def test_the_queue_counts_unclaimed_cases_and_names_the_one_waiting_longest() -> None:
    board = Supervision()
    board.apply(opened("a", NOW - timedelta(minutes=30)))
    board.apply(opened("b", NOW - timedelta(minutes=50)))
    board.apply(opened("c", NOW - timedelta(minutes=5)))
    board.apply(opened("t", NOW - timedelta(hours=2), authority="tax-board"))
    board.apply(claimed("b", NOW - timedelta(minutes=40), "anna"))
    figures = board.figures("police", ["anna", "bert"], NOW, TALLINN)
    assert (figures["queue_length"], figures["open_cases"]) == (2, 3)
    assert figures["oldest_waiting"] == {
        "case_id": "a",
        "since": (NOW - timedelta(minutes=30)).isoformat(),
    }
    assert figures["officials_online"] == ["anna", "bert"]
    assert figures["claimed_now"] == {"anna": 1}


def test_a_released_case_waits_again_from_its_release() -> None:
    board = Supervision()
    board.apply(opened("a", NOW - timedelta(minutes=30)))
    board.apply(claimed("a", NOW - timedelta(minutes=20), "anna"))
    board.apply(case_event("CaseReleased", "a", NOW - timedelta(minutes=2), official_id="anna"))
    figures = board.figures("police", [], NOW, TALLINN)
    assert figures["oldest_waiting"]["since"] == (NOW - timedelta(minutes=2)).isoformat()
    assert figures["claimed_now"] == {}
    assert figures["claimed_today"] == {"anna": 1}


def test_a_transferred_case_leaves_one_queue_for_the_other() -> None:
    board = Supervision()
    board.apply(opened("a", NOW - timedelta(minutes=30)))
    board.apply(
        case_event(
            "CaseTransferred",
            "a",
            NOW - timedelta(minutes=1),
            from_authority="police",
            to_authority="tax-board",
            official_id="anna",
        )
    )
    assert board.figures("police", [], NOW, TALLINN)["queue_length"] == 0
    assert board.figures("tax-board", [], NOW, TALLINN)["queue_length"] == 1


def test_claims_resolutions_and_breaches_count_from_midnight_in_the_callers_zone() -> None:
    board = Supervision()
    # 23:30 UTC yesterday is 01:30 today in Tallinn, but yesterday in UTC.
    late = datetime(2026, 11, 24, 23, 30, tzinfo=UTC)
    board.apply(opened("a", late - timedelta(minutes=20)))
    board.apply(breached("a", late))
    board.apply(claimed("a", late + timedelta(minutes=1), "bert"))
    board.apply(
        case_event(
            "CaseResolved",
            "a",
            late + timedelta(minutes=5),
            resolution="ACCEPTED",
            official_id="bert",
        )
    )
    board.apply(opened("b", NOW - timedelta(minutes=20)))
    board.apply(claimed("b", NOW - timedelta(minutes=10), "anna"))
    board.apply(breached("b", NOW - timedelta(minutes=5)))
    in_tallinn = board.figures("police", [], NOW, TALLINN)
    assert in_tallinn["claimed_today"] == {"anna": 1, "bert": 1}
    assert (in_tallinn["breached_today"], in_tallinn["resolved_today"]) == (2, 1)
    in_utc = board.figures("police", [], NOW, ZoneInfo("UTC"))
    assert in_utc["claimed_today"] == {"anna": 1}
    assert (in_utc["breached_today"], in_utc["resolved_today"]) == (1, 0)


def test_an_event_read_twice_counts_once_and_old_days_are_forgotten() -> None:
    board = Supervision()
    board.apply(opened("a", NOW - timedelta(days=3)))
    board.apply(claimed("a", NOW - timedelta(days=3), "anna"))
    again = claimed("b", NOW, "bert")
    board.apply(opened("b", NOW - timedelta(minutes=1)))
    board.apply(again)
    board.apply(again)
    assert [moment.official_id for moment in board.claims] == ["bert"]
    assert board.figures("police", [], NOW, TALLINN)["claimed_today"] == {"bert": 1}


def test_events_of_cases_it_never_saw_open_change_nothing() -> None:
    board = Supervision()
    board.apply(claimed("ghost", NOW, "anna"))
    board.apply(breached("ghost", NOW))
    figures = board.figures("police", [], NOW, TALLINN)
    assert (figures["claimed_today"], figures["breached_today"]) == ({}, 0)
