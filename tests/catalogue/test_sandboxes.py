"""Sandboxes in the catalogue: their topics exist, and a wrong declaration fails at load."""

from __future__ import annotations

import textwrap
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bus.catalogue import Catalogue, load_catalogue
from bus.errors import ConfigurationError

AUTHORITIES = """
authorities:
  - {code: police, name: Police, intents: [passport]}
  - {code: tax-board, name: Tax Board, intents: [tax]}
"""


def _load(tmp_path: Path, sandboxes: str) -> Catalogue:
    path = tmp_path / "catalogue.yaml"
    path.write_text(textwrap.dedent(AUTHORITIES) + "sandboxes:\n" + textwrap.dedent(sandboxes))
    return load_catalogue(path)


def _fails(tmp_path: Path, sandboxes: str, *messages: str) -> str:
    with pytest.raises(ConfigurationError) as caught:
        _load(tmp_path, sandboxes)
    text = str(caught.value)
    for message in messages:
        assert message in text, text
    return text


GOOD = """
  - name: police-v2
    authority: police
    principal: candidate-police-v2
    sampling: 0.5
    replay:
      - {from: "2026-11-01T00:00:00Z", to: "2026-11-02T00:00:00Z"}
    ends: "2099-01-01T00:00:00Z"
"""


def test_a_sandbox_gets_an_input_and_an_answers_topic_that_are_audited(tmp_path: Path) -> None:
    catalogue = _load(tmp_path, GOOD)
    box = catalogue.sandbox("police-v2")
    assert box.topics() == ("bus.sandbox.police-v2.input", "bus.sandbox.police-v2.answers")
    specs = {spec.name for spec in catalogue.topic_specs()}
    assert set(box.topics()) <= specs
    assert set(box.topics()) <= set(catalogue.audited_topics())
    assert box.sampling == 0.5 and box.live


def test_an_unknown_sandbox_name_lists_the_declared_ones(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="declared: police-v2"):
        _load(tmp_path, GOOD).sandbox("nope")


def test_an_unknown_authority_is_an_error_naming_the_line(tmp_path: Path) -> None:
    _fails(
        tmp_path,
        GOOD.replace("authority: police", "authority: customs"),
        "catalogue.yaml:8: sandboxes[0].authority: unknown authority 'customs'",
    )


def test_a_principal_of_the_bus_or_of_another_sandbox_is_refused(tmp_path: Path) -> None:
    _fails(
        tmp_path,
        GOOD.replace("candidate-police-v2", "assistant-police"),
        "sandboxes[0].principal: 'assistant-police' is one of the bus's own principals",
    )
    _fails(tmp_path, GOOD.replace("candidate-police-v2", "router"), "bus's own principals")
    second = GOOD.replace("police-v2\n", "police-v3\n", 1)
    _fails(
        tmp_path,
        GOOD + second,
        "sandboxes[1].principal: 'candidate-police-v2' is already the candidate of sandboxes[0]",
    )


def test_overlapping_replay_ranges_are_refused(tmp_path: Path) -> None:
    overlapping = GOOD.replace(
        '      - {from: "2026-11-01T00:00:00Z", to: "2026-11-02T00:00:00Z"}\n',
        '      - {from: "2026-11-01T00:00:00Z", to: "2026-11-02T00:00:00Z"}\n'
        '      - {from: "2026-11-01T12:00:00Z", to: "2026-11-03T00:00:00Z"}\n',
    )
    _fails(tmp_path, overlapping, "sandboxes[0].replay[1]: overlaps replay[0]")


def test_a_range_that_ends_before_it_starts_is_refused(tmp_path: Path) -> None:
    backwards = GOOD.replace('to: "2026-11-02T00:00:00Z"', 'to: "2026-10-02T00:00:00Z"')
    _fails(tmp_path, backwards, "sandboxes[0].replay[0]", "is not after 'from'")


def test_an_ended_sandbox_still_loads_for_its_report_and_nothing_else_stops(
    tmp_path: Path,
) -> None:
    """The panel reports after the end date; the router and the rest must keep starting."""
    [box] = _load(tmp_path, GOOD.replace("2099-01-01", "2020-01-01")).sandboxes
    assert box.ended(datetime.now(UTC))


def test_a_sandbox_that_feeds_nothing_or_has_no_end_date_is_refused(tmp_path: Path) -> None:
    no_feed = (
        "  - {name: a, authority: police, principal: c, live: false, ends: 2099-01-01T00:00:00Z}\n"
    )
    _fails(tmp_path, no_feed, "feeds nothing")
    no_end = "  - {name: a, authority: police, principal: c}\n"
    _fails(tmp_path, no_end, "sandboxes[0].ends: required key missing")


def test_a_sandbox_topic_may_not_clash_with_a_bus_topic(tmp_path: Path) -> None:
    clash = GOOD + "    answers: bus.assistant.police\n"
    _fails(tmp_path, clash, "sandboxes[0].answers: topic 'bus.assistant.police' is also")
