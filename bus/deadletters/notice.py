"""Every dead letter, whoever sends it, is logged and counted the same way, once.

A flood of bad input must not become a flood of log lines: the first dead
letter of each (agent, reason) is logged in full, then at most one line per
``QUIET_S`` says how many more there were. The metric counts every one.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from bus.deadletters.letter import DeadLetter
from bus.metrics.agents import dead_lettered

log = logging.getLogger("bus.deadletters")

QUIET_S = 10.0
_quiet: dict[tuple[str, str], tuple[float, int]] = {}
"""(agent, reason) -> (when the last line was logged, dead letters since not logged)."""


def dead_letter(record: Any, reason: str, error: str, agent: str) -> DeadLetter:
    """The dead letter of a record as it was read, logged and counted; the caller sends it.

    ``agent`` names who gave up on the record (``router``, ``subscriber:<group>``,
    ``webhooks:<authority>`` ...): the ``agent`` label of
    ``bus_events_dead_lettered_total``.
    """
    letter = DeadLetter.of_record(record, reason, error, agent)
    dead_lettered(agent, letter.topic, reason)
    now = time.monotonic()
    last, unsaid = _quiet.get((agent, reason), (-QUIET_S, 0))
    if now - last < QUIET_S:
        _quiet[(agent, reason)] = (last, unsaid + 1)
        return letter
    _quiet[(agent, reason)] = (now, 0)
    more = f" ({unsaid} more like it since the last line)" if unsaid else ""
    log.warning(
        "dead letter from %s[%s]@%s (%s): %s: %s%s",
        letter.topic,
        letter.partition,
        letter.offset,
        agent,
        reason,
        error.splitlines()[0][:300] if error else "",
        more,
    )
    return letter
