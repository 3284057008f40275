"""Every dead letter, whoever sends it, is logged and counted the same way, once.

A flood of bad input must not become a flood of log lines: the first dead
letter of each (agent, reason) is logged in full, then at most one line per
``bus.logs.QUIET_S`` says how many more there were. The metric counts every one.
"""

from __future__ import annotations

import logging
from typing import Any

from bus.deadletters.letter import DeadLetter
from bus.logs import Repeats
from bus.metrics.agents import dead_lettered

log = logging.getLogger("bus.deadletters")

_repeats = Repeats()
"""Keyed by (agent, reason)."""


def dead_letter(record: Any, reason: str, error: str, agent: str) -> DeadLetter:
    """The dead letter of a record as it was read, logged and counted; the caller sends it.

    ``agent`` names who gave up on the record (``router``, ``subscriber:<group>``,
    ``webhooks:<authority>`` ...): the ``agent`` label of
    ``bus_events_dead_lettered_total``.
    """
    letter = DeadLetter.of_record(record, reason, error, agent)
    dead_lettered(agent, letter.topic, reason)
    _repeats.warn(
        log,
        (agent, reason),
        "dead letter from %s[%s]@%s (%s): %s: %s",
        letter.topic,
        letter.partition,
        letter.offset,
        agent,
        reason,
        error.splitlines()[0][:300] if error else "",
    )
    return letter
