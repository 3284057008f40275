"""Choosing dead letters and the records that send them back, without Kafka."""

from __future__ import annotations

import base64
from dataclasses import replace

from bus.deadletters import DeadLetter
from bus.deadletters.queue import (
    REDRIVEN_FROM,
    Found,
    LetterFilter,
    counted,
    redriven,
    to_json,
    why_not_redriven,
)


def _found(
    reason: str = "unknown-authority", topic: str = "bus.assistant-events", **kw: object
) -> Found:
    letter = DeadLetter(
        reason=reason,
        error="Redirected names forwarded_to='airline'",
        topic=topic,
        partition=1,
        offset=41,
        key=b"c-1",
        value=b"\x00\x00\x00\x00\x07event",
        headers=[("ce_id", b"e-1")],
        timestamp_ms=1_700_000_000_000,
        agent="router",
    )
    fields = {"topic": "bus.deadletters", "partition": 2, "offset": 9, "letter": letter, **kw}
    return Found(**fields)  # type: ignore[arg-type]


def test_a_filter_matches_any_of_its_values_and_an_empty_one_matches_all() -> None:
    letter = _found().letter
    assert LetterFilter().matches(letter)
    assert LetterFilter(reasons=("wrong-key", "unknown-authority")).matches(letter)
    assert not LetterFilter(reasons=("wrong-key",)).matches(letter)
    assert not LetterFilter(sources=("bus.service-updates",)).matches(letter)
    assert LetterFilter(agents=("router",), sources=("bus.assistant-events",)).matches(letter)


def test_a_letter_goes_back_to_its_source_unchanged_but_for_where_it_was_a_letter() -> None:
    item = _found()
    topic, key, value, headers = redriven(item)
    assert (topic, key, value) == ("bus.assistant-events", b"c-1", item.letter.value)
    assert headers == [("ce_id", b"e-1"), (REDRIVEN_FROM, b"bus.deadletters:2:9")]


def test_a_letter_may_go_to_another_topic_than_its_source_but_not_the_dead_letters() -> None:
    item = _found(topic="")
    assert redriven(item, to="bus.audit-v2-intake")[0] == "bus.audit-v2-intake"
    assert why_not_redriven(item, to="bus.audit-v2-intake") is None
    assert why_not_redriven(item, to="bus.deadletters") is not None


def test_a_letter_sent_back_twice_names_only_its_latest_letter() -> None:
    item = _found()
    again = replace(item.letter, headers=redriven(item)[3])
    _, _, _, headers = redriven(Found("bus.deadletters", 0, 77, again))
    assert [v for k, v in headers if k == REDRIVEN_FROM] == [b"bus.deadletters:0:77"]


def test_letters_without_a_source_or_from_the_dead_letters_themselves_stay() -> None:
    assert why_not_redriven(_found()) is None
    assert why_not_redriven(_found(topic="")) == "it names no source topic"
    assert why_not_redriven(_found(topic="bus.deadletters")) is not None


def test_letters_are_counted_by_source_and_reason_and_listed_with_their_bytes() -> None:
    items = [_found(), _found(), _found("wrong-key")]
    assert counted(items) == {
        ("bus.assistant-events", "unknown-authority"): 2,
        ("bus.assistant-events", "wrong-key"): 1,
    }
    shown = to_json(items[0])
    assert shown["position"] == "bus.deadletters:2:9"
    assert shown["source"] == {"topic": "bus.assistant-events", "partition": 1, "offset": 41}
    assert base64.b64decode(shown["value_base64"]) == items[0].letter.value
    assert shown["source_time"] == "2023-11-14T22:13:20+00:00"
