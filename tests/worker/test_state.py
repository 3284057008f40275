"""A store's memory and the changelog records it writes, without Kafka."""

from __future__ import annotations

from bus.worker.state import Store


def _store() -> Store[str]:
    return Store("s", "app-s-changelog", str.encode, bytes.decode)


def test_a_key_changed_many_times_writes_one_changelog_record_with_its_last_value() -> None:
    store = _store()
    store.put(0, "c-1", "a")
    store.put(0, "c-1", "b")
    store.put(1, "c-2", "x")
    assert sorted(store.changes()) == [(0, b"c-1", b"b"), (1, b"c-2", b"x")]
    assert list(store.changes()) == []  # written once
    assert store.get(0, "c-1") == "b"


def test_a_deleted_key_becomes_a_tombstone_and_a_missing_one_writes_nothing() -> None:
    store = _store()
    store.put(0, "c-1", "a")
    list(store.changes())
    store.delete(0, "c-1")
    store.delete(0, "never-there")
    assert list(store.changes()) == [(0, b"c-1", None)]
    assert store.get(0, "c-1") is None


def test_restored_partitions_replace_memory_and_dropped_ones_are_forgotten() -> None:
    store = _store()
    store.put(0, "stale", "v")
    store.restored(0, {b"c-1": b"one"})
    store.restored(1, {b"c-2": b"two"})
    assert store.items(0) == [("c-1", "one")]
    assert store.partitions == {0, 1}
    assert list(store.changes()) == []  # what was restored is the changelog already
    store.drop({0})
    assert store.partitions == {1}
    store.drop()
    assert store.partitions == set()
