"""Verification of audit chains: a good chain passes, each kind of tampering fails where it is."""

from __future__ import annotations

from dataclasses import replace

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from bus.audit.checkpoint import CheckpointSigner
from bus.audit.verify import LogEntry, verify_partitions

from .chains import HASHER, SIGNATURES, T0, avro_bytes, chain, from_avro_bytes


def _verify(entries: list[LogEntry]):  # type: ignore[no-untyped-def]
    return verify_partitions(entries, HASHER, SIGNATURES)


def test_an_untouched_chain_verifies_with_every_record_and_checkpoint_counted() -> None:
    entries = chain(12) + chain(5, partition=1)
    report = _verify(entries)
    assert report.ok, report.failure
    assert (report.records, report.checkpoints, report.partitions) == (17, 4, 2)


def test_one_altered_byte_in_a_record_fails_at_that_record() -> None:
    entries = chain(12)
    target = 7
    data = bytearray(avro_bytes(entries[target].record or {}))
    position = bytes(data).index(b"tax-board")  # the source field, a readable byte to alter
    data[position] ^= 0x01
    altered = from_avro_bytes(bytes(data))
    assert altered["source"] != entries[target].record["source"]  # type: ignore[index]
    entries[target] = replace(entries[target], record=altered)
    failure = _verify(entries).failure
    assert failure is not None
    assert (failure.offset, failure.index) == (7, 7)
    assert "altered" in failure.reason


def test_an_altered_record_with_its_hash_recomputed_fails_at_the_next_record() -> None:
    entries = chain(12)
    target = 2
    record = {**(entries[target].record or {}), "event_type": "gov.agencybus.conversation.Other"}
    entries[target] = replace(entries[target], record=HASHER.link(record, record["prev_hash"]))
    failure = _verify(entries).failure
    assert failure is not None
    assert failure.offset == 3 and "removed, inserted or reordered" in failure.reason


def test_a_deleted_record_fails_at_the_record_after_the_gap() -> None:
    entries = chain(12)
    del entries[5]
    failure = _verify(entries).failure
    assert failure is not None
    assert failure.offset == 6 and "prev_hash" in failure.reason


def test_two_swapped_records_fail_at_the_first_of_them() -> None:
    entries = chain(12)
    a, b = entries[5], entries[6]  # two records (the checkpoint is at offset 4)
    entries[5] = replace(b, offset=a.offset)
    entries[6] = replace(a, offset=b.offset)
    failure = _verify(entries).failure
    assert failure is not None
    assert failure.offset == 5 and "reordered" in failure.reason


def test_messages_read_out_of_log_order_fail_at_the_first_misplaced_one() -> None:
    entries = chain(6)
    entries[2], entries[3] = entries[3], entries[2]
    failure = _verify(entries).failure
    assert failure is not None and (failure.index, failure.offset) == (2, 3)
    assert "reordered" in failure.reason


def test_a_repeated_offset_fails_where_the_log_goes_back() -> None:
    entries = chain(6)
    entries.insert(3, entries[2])
    failure = _verify(entries).failure
    assert failure is not None and failure.index == 3
    assert "does not follow offset" in failure.reason


def test_a_checkpoint_signed_by_another_key_fails_at_the_checkpoint() -> None:
    entries = chain(12)
    original = entries[9].checkpoint or {}
    forger = CheckpointSigner(Ed25519PrivateKey.generate())
    forged = forger.sign(0, original["offset"], original["head_hash"], T0)
    entries[9] = replace(entries[9], checkpoint=forged)
    failure = _verify(entries).failure
    assert failure is not None
    assert failure.offset == 9 and "key" in failure.reason


def test_a_checkpoint_with_a_forged_signature_under_the_right_key_id_fails() -> None:
    entries = chain(12)
    original = entries[4].checkpoint or {}
    entries[4] = replace(entries[4], checkpoint={**original, "signature": bytes(64)})
    failure = _verify(entries).failure
    assert failure is not None
    assert failure.offset == 4 and "does not verify" in failure.reason


def test_a_rewritten_chain_fails_at_the_checkpoint_that_signed_the_old_head() -> None:
    entries = chain(12)
    # rewrite record 1 and recompute every later hash, as an attacker with write access could
    record = {**(entries[1].record or {}), "source": "assistant:someone-else"}
    head = record["prev_hash"]
    rewritten: list[LogEntry] = []
    for entry in entries:
        if entry.record is not None and entry.offset >= 1:
            base = record if entry.offset == 1 else entry.record
            linked = HASHER.link(base, head)
            head = linked["record_hash"]
            entry = replace(entry, record=linked)
        rewritten.append(entry)
    failure = _verify(rewritten).failure
    assert failure is not None
    assert failure.offset == 4 and "rewritten" in failure.reason


def test_undecodable_bytes_in_the_log_fail_at_their_position() -> None:
    entries = chain(6)
    entries[3] = LogEntry(0, entries[3].offset, error="corrupt-record: truncated")
    failure = _verify(entries).failure
    assert failure is not None and failure.offset == 3 and "does not decode" in failure.reason


def test_an_event_id_that_is_not_a_canonical_uuid_still_hashes_the_same_after_decoding() -> None:
    from bus.audit.record import new_record

    from .chains import message_event

    message, event = message_event(1)
    for spelled in ("6F1C2A0E-5B7D-4E0A-9D3C-8A1B2C3D4E5F", "not-a-uuid"):
        event.header["event_id"] = spelled
        record = HASHER.link(new_record(message, event, {}, audited_at=T0), bytes(32))
        decoded = from_avro_bytes(avro_bytes(record))
        assert HASHER.hash(decoded) == record["record_hash"]
