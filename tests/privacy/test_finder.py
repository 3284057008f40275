"""Overlapping finds: the longest wins, then the more specific kind, whatever the order."""

from __future__ import annotations

import itertools

from bus.privacy import Finding, Kind, find, resolve


def test_an_email_holding_a_personal_code_is_one_email() -> None:
    [finding] = find("kiri 38001085718@eesti.ee")
    assert finding.kind == Kind.EMAIL


def test_a_code_valid_both_as_estonian_and_latvian_is_an_isikukood() -> None:
    [finding] = find("30108285480")
    assert finding.kind == Kind.ISIKUKOOD


def test_resolution_does_not_depend_on_the_order_finds_were_proposed() -> None:
    proposed = [
        Finding(Kind.CARD, 5, 24, "x", "1"),
        Finding(Kind.IBAN, 0, 24, "x", "2"),
        Finding(Kind.PHONE, 10, 19, "x", "3"),
        Finding(Kind.PERSONAS_KODS, 30, 41, "x", "4"),
        Finding(Kind.ISIKUKOOD, 30, 41, "x", "5"),
        Finding(Kind.EMAIL, 40, 60, "x", "6"),
    ]
    results = {resolve(order) for order in itertools.permutations(proposed)}
    assert len(results) == 1
    [kept] = results
    assert [(f.kind, f.start) for f in kept] == [(Kind.IBAN, 0), (Kind.EMAIL, 40)]


def test_kinds_pick_after_overlaps_are_resolved() -> None:
    text = "kiri 38001085718@eesti.ee, kaart 4111 1111 1111 1111, konto EE382200221020145685"
    assert [f.kind for f in find(text)] == [Kind.EMAIL, Kind.CARD, Kind.IBAN]
    assert find(text, {Kind.ISIKUKOOD}) == ()  # the e-mail holds it
    assert [f.kind for f in find(text, {Kind.CARD, Kind.IBAN})] == [Kind.CARD, Kind.IBAN]
    assert find(text, {Kind.PHONE}) == ()


def test_finds_are_disjoint_and_in_text_order() -> None:
    text = "Tel 5123 4567, IK 38001085718, e-post mari@mail.ee, konto EE382200221020145685"
    findings = find(text)
    assert [f.kind for f in findings] == [Kind.PHONE, Kind.ISIKUKOOD, Kind.EMAIL, Kind.IBAN]
    assert all(a.end <= b.start for a, b in itertools.pairwise(findings))
    assert all(text[f.start : f.end] == f.value for f in findings)


def test_a_finding_does_not_show_its_value_in_repr() -> None:
    [finding] = find("38001085718")
    assert "38001085718" not in repr(finding)
    assert finding.span == (0, 11)
