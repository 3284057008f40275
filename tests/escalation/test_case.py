"""The case state machine: who may do what, and when the service level is missed."""

from __future__ import annotations

import pytest

from bus.errors import CaseActionError
from bus.escalation.case import (
    Case,
    Status,
    allowed,
    breach,
    claim,
    release,
    reply,
    resolve,
    transfer,
)


def new_case() -> Case:
    return Case(
        case_id="case-1",
        conversation_id="c1",
        authority="police",
        host="police",
        trigger="CITIZEN_REQUEST",
        policy="human-request",
        opened_at_ms=0,
        first_response_due_ms=1_000,
    )


def refused(reason: str) -> pytest.RaisesExc[CaseActionError]:
    return pytest.raises(CaseActionError, check=lambda exc: exc.reason == reason)


def test_a_claimed_case_cannot_be_claimed_by_another_official() -> None:
    case = new_case()
    claim(case, "anna", "police")
    with refused("already-claimed"):
        claim(case, "bert", "police")
    assert case.official_id == "anna"


def test_claiming_ones_own_case_again_is_harmless() -> None:
    case = new_case()
    claim(case, "anna", "police")
    claim(case, "anna", "police")
    assert case.status is Status.CLAIMED


def test_an_official_of_another_authority_cannot_touch_the_case() -> None:
    with refused("foreign-authority"):
        claim(new_case(), "carl", "tax-board")


def test_only_the_claimant_replies_releases_or_resolves() -> None:
    case = new_case()
    with refused("not-claimed-by-you"):
        reply(case, "anna", "police", 10)
    claim(case, "anna", "police")
    for act in (
        lambda: reply(case, "bert", "police", 10),
        lambda: release(case, "bert", "police"),
        lambda: resolve(case, "bert", "police", "ACCEPTED"),
    ):
        with refused("not-claimed-by-you"):
            act()


def test_a_released_case_is_open_for_anyone_again() -> None:
    case = new_case()
    claim(case, "anna", "police")
    release(case, "anna", "police")
    claim(case, "bert", "police")
    assert case.official_id == "bert"


def test_a_transferred_case_waits_unclaimed_in_the_other_authoritys_queue() -> None:
    case = new_case()
    claim(case, "anna", "police")
    transfer(case, "anna", "police", "tax-board")
    assert (case.authority, case.status, case.official_id) == ("tax-board", Status.OPEN, None)
    with refused("foreign-authority"):
        claim(case, "anna", "police")
    with refused("same-authority"):
        transfer(case, "carl", "tax-board", "tax-board")


def test_a_resolved_case_is_closed_to_every_action() -> None:
    case = new_case()
    claim(case, "anna", "police")
    resolve(case, "anna", "police", "ACCEPTED")
    assert case.closed and case.resolution == "ACCEPTED"
    with refused("case-closed"):
        claim(case, "bert", "police")


def test_the_first_response_deadline_is_breached_once_and_only_without_an_answer() -> None:
    case = new_case()
    assert not breach(case, 999)
    assert breach(case, 1_000)
    assert not breach(case, 2_000)
    answered = new_case()
    claim(answered, "anna", "police")
    reply(answered, "anna", "police", 500)
    assert not breach(answered, 5_000)


def test_a_case_survives_its_json_round_trip() -> None:
    case = new_case()
    claim(case, "anna", "police")
    assert Case.from_json(case.to_json()) == case


def test_what_an_official_may_do_follows_the_same_rules() -> None:
    case = new_case()
    nothing = dict.fromkeys(("claim", "release", "transfer", "reply", "resolve"), False)
    assert allowed(case, "anna", "police") == {**nothing, "claim": True, "transfer": True}
    assert allowed(case, "carl", "tax-board") == nothing
    claim(case, "anna", "police")
    holding = dict.fromkeys(("release", "transfer", "reply", "resolve"), True)
    assert allowed(case, "anna", "police") == {"claim": False, **holding}
    assert allowed(case, "bert", "police") == nothing
    assert case.status is Status.CLAIMED  # only copies were tried
    resolve(case, "anna", "police", "ACCEPTED")
    assert allowed(case, "anna", "police") == nothing
