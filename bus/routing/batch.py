"""Per-batch conversation state: read once, routed in order, written once.

The router handles the events it has at hand as one batch. Events of one
conversation share a key, hence a partition and the batch's order, so routing
them one after another against one in-memory ``SubjectState`` gives exactly
the decisions of one-at-a-time routing; only the table round trips (a read, a
write and a changelog record per event) shrink to one per conversation.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Generic, TypeVar

from bus.routing.state import SubjectState

Where = TypeVar("Where")


@dataclass
class _Entry(Generic[Where]):
    state: SubjectState
    changed_at: Where | None = None


class BatchStates(Generic[Where]):
    """The states of the subjects one batch touches.

    ``load`` reads a subject's stored state (once per batch); ``changed``
    records that a decision updated it, with ``where`` it came from (the
    message whose partition the write belongs to); ``changes`` lists what to
    write back, once per subject.
    """

    def __init__(self, load: Callable[[str], SubjectState]) -> None:
        self._load = load
        self._entries: dict[str, _Entry[Where]] = {}

    def get(self, subject: str) -> SubjectState:
        entry = self._entries.get(subject)
        if entry is None:
            entry = self._entries[subject] = _Entry(self._load(subject))
        return entry.state

    def changed(self, subject: str, where: Where) -> None:
        self._entries[subject].changed_at = where

    def changes(self) -> Iterator[tuple[str, SubjectState, Where]]:
        for subject, entry in self._entries.items():
            if entry.changed_at is not None:
                yield subject, entry.state, entry.changed_at
