"""Per-batch conversation state, without Kafka: one read and one write per conversation."""

from __future__ import annotations

from bus.routing import SubjectState
from bus.routing.batch import BatchStates


def test_each_subject_is_loaded_once_and_written_once_with_its_last_change() -> None:
    loads: list[str] = []

    def load(subject: str) -> SubjectState:
        loads.append(subject)
        return SubjectState(host="police", owner="police")

    states: BatchStates[int] = BatchStates(load)
    first = states.get("c-1")
    first.owner = "tax-board"
    states.changed("c-1", 10)
    assert states.get("c-1") is first
    states.changed("c-1", 11)
    states.get("c-2")  # read, never changed: nothing to write
    changes = list(states.changes())
    assert loads == ["c-1", "c-2"]
    assert changes == [("c-1", first, 11)]
    assert changes[0][1].owner == "tax-board"


def test_a_batch_without_changes_writes_nothing() -> None:
    states: BatchStates[int] = BatchStates(lambda subject: SubjectState())
    states.get("c-1")
    assert list(states.changes()) == []
