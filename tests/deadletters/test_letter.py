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
