from types import SimpleNamespace

from bus.deadletters import DeadLetter


def test_dead_letter_keeps_original_headers_and_adds_its_context() -> None:
    letter = DeadLetter(
        reason="corrupt-record",
        error="boom",
        topic="in",
        partition=2,
        offset=41,
        key=b"k",
        value=b"\x00bad",
        headers=[("ce_id", b"1")],
        timestamp_ms=1000,
        agent="echo",
    )
    headers = dict(letter.kafka_headers())
    assert headers["ce_id"] == b"1"
    assert headers["bus_dlq_reason"] == b"corrupt-record"
    assert headers["bus_dlq_topic"] == b"in"
    assert headers["bus_dlq_partition"] == b"2"
    assert headers["bus_dlq_offset"] == b"41"


def test_dead_letter_reads_back_from_a_message() -> None:
    letter = DeadLetter("r", "e", "t", 0, 5, None, b"v", [("h", b"1")], 7, "a")
    again = DeadLetter.from_message(letter.key, letter.value, letter.kafka_headers())
    assert again == letter


def test_a_letter_of_a_record_keeps_its_bytes_headers_and_position() -> None:
    record = SimpleNamespace(
        topic="bus.assistant-events",
        partition=2,
        offset=41,
        key=b"c-1",
        value=b"\x00garbage",
        headers={"ce_type": b"x", "empty": None},
        timestamp=1_700_000_000_123,
    )
    letter = DeadLetter.of_record(record, "corrupt-record", "bad body", "router")
    assert (letter.topic, letter.partition, letter.offset) == ("bus.assistant-events", 2, 41)
    assert (letter.key, letter.value) == (b"c-1", b"\x00garbage")
    assert letter.headers == [("ce_type", b"x"), ("empty", b"")]
    assert letter.timestamp_ms == 1_700_000_000_123
    assert DeadLetter.of_record(record, "r", "e", "a", timestamp_ms=5).timestamp_ms == 5
