"""Label values stay bounded whatever a message carries."""

from __future__ import annotations

from datetime import UTC, datetime

from bus.metrics.labels import Vocabulary, event_time, header_values, http_method

VOCABULARY = Vocabulary(
    event_types={"gov.agencybus.conversation.MessageSent": "MessageSent"},
    authority_of_topic={"bus.inbox.police": "police"},
)


def test_only_known_contracts_become_event_type_labels() -> None:
    assert VOCABULARY.event_type("gov.agencybus.conversation.MessageSent") == "MessageSent"
    assert VOCABULARY.event_type("made.up.Type") == "unknown"
    assert VOCABULARY.event_type(None) == "unknown"


def test_topics_of_no_authority_are_labelled_none() -> None:
    assert VOCABULARY.authority("bus.inbox.police") == "police"
    assert VOCABULARY.authority("bus.echoes") == "none"


def test_unusual_http_methods_share_one_label() -> None:
    assert http_method("GET") == "GET"
    assert http_method("BREW") == "other"


def test_headers_read_from_pairs_or_mappings() -> None:
    assert header_values([("ce_type", b"x"), ("n", None)]) == {"ce_type": b"x"}
    assert header_values({"ce_type": "x"}) == {"ce_type": b"x"}
    assert header_values(None) == {}


def test_event_time_comes_from_the_cloudevents_time_header() -> None:
    moment = datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)
    assert event_time({"ce_time": b"2026-01-02T03:04:05.678Z"}) == moment.timestamp()
    assert event_time({"ce_time": b"not a time"}) is None
    assert event_time({}) is None
